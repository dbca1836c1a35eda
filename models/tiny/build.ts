/**
 * Builds two tiny models for fast tests, with seeded weights:
 *   models/tiny/        x [1, 4] → Gemm(4→3) → Relu → Gemm(3→2) → y [1, 2]
 *   models/tiny-matmul/ x [batch, 4] → MatMul(4→3) → Add(bias) → Relu → MatMul(3→2) → y [batch, 2]
 * so both the Gemm and the MatMul+Add import paths are exercised. Each folder gets model.onnx,
 * input.json (one sample) and calibration.json (32 samples), all values in [-1, 1].
 * Run: npm run build && node dist/models/tiny/build.js
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { GraphSpec, writeOnnx } from '../../src/onnx/writer';
import { readEzklInput, writeEzklInput } from '../ezkl-json';
import { modelSourceDir } from '../source-dir';
import { Rng, seededRng } from '../rng';

const CALIBRATION_SAMPLES = 32;

/** Uniform in [-1, 1], rounded to `decimals` so the committed files read cleanly. */
function values(rng: Rng, count: number, decimals: number): number[] {
  return Array.from({ length: count }, () => Number(rng.uniform(-1, 1).toFixed(decimals)));
}

function weights(rng: Rng, count: number): Float32Array {
  return Float32Array.from(values(rng, count, 2));
}

function tinyGemm(rng: Rng): GraphSpec {
  return {
    name: 'tiny',
    inputs: [{ name: 'x', elemType: 'float32', shape: [1, 4] }],
    outputs: [{ name: 'y', elemType: 'float32', shape: [1, 2] }],
    initializers: [
      { name: 'W1', dims: [3, 4], data: weights(rng, 12) },
      { name: 'b1', dims: [3], data: weights(rng, 3) },
      { name: 'W2', dims: [2, 3], data: weights(rng, 6) },
      { name: 'b2', dims: [2], data: weights(rng, 2) },
    ],
    nodes: [
      // alpha/beta spelled out (both 1) so importers meet FLOAT attributes on the Gemm path.
      { opType: 'Gemm', name: 'gemm1', inputs: ['x', 'W1', 'b1'], outputs: ['h'], attributes: { alpha: 1, beta: 1, transB: 1 } },
      { opType: 'Relu', name: 'relu1', inputs: ['h'], outputs: ['h_relu'] },
      { opType: 'Gemm', name: 'gemm2', inputs: ['h_relu', 'W2', 'b2'], outputs: ['y'], attributes: { transB: 1 } },
    ],
  };
}

function tinyMatMul(rng: Rng): GraphSpec {
  return {
    name: 'tiny-matmul',
    inputs: [{ name: 'x', elemType: 'float32', shape: ['batch', 4] }],
    outputs: [{ name: 'y', elemType: 'float32', shape: ['batch', 2] }],
    initializers: [
      { name: 'W1', dims: [4, 3], data: weights(rng, 12) },
      { name: 'b1', dims: [3], data: weights(rng, 3) },
      { name: 'W2', dims: [3, 2], data: weights(rng, 6) },
    ],
    nodes: [
      { opType: 'MatMul', name: 'matmul1', inputs: ['x', 'W1'], outputs: ['xw'] },
      { opType: 'Add', name: 'add1', inputs: ['xw', 'b1'], outputs: ['h'] },
      { opType: 'Relu', name: 'relu1', inputs: ['h'], outputs: ['h_relu'] },
      { opType: 'MatMul', name: 'matmul2', inputs: ['h_relu', 'W2'], outputs: ['y'] },
    ],
  };
}

async function build(name: string, graph: GraphSpec, rng: Rng): Promise<void> {
  const dir = modelSourceDir(name);
  const modelFile = path.join(dir, 'model.onnx');
  fs.writeFileSync(modelFile, writeOnnx(graph));
  writeEzklInput(path.join(dir, 'input.json'), [values(rng, 4, 3)]);
  writeEzklInput(
    path.join(dir, 'calibration.json'),
    Array.from({ length: CALIBRATION_SAMPLES }, () => values(rng, 4, 3)),
  );

  // Check the written files load and run in onnxruntime.
  const session = await ort.InferenceSession.create(modelFile);
  const x = readEzklInput(path.join(dir, 'input.json')).input_data[0];
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [1, 4]) });
  await session.release();
  console.log(`${name}: x = [${x}] → y = [${Array.from(out.y.data as Float32Array).map((v) => v.toFixed(4))}] (${modelFile})`);
}

async function main(): Promise<void> {
  await build('tiny', tinyGemm(seededRng(11)), seededRng(12));
  await build('tiny-matmul', tinyMatMul(seededRng(21)), seededRng(22));
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
