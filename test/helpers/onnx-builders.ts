/**
 * Test helpers: small ONNX graphs built with our writer, the shipped models, seeded random inputs,
 * and an assertion for typed errors.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { packageRoot } from '../../src/package-root';
import { Rng, seededRng } from '../../models/rng';
import { ErrorCode, ZkmlError } from '../../src/errors';
import type { Graph, ValueInfo } from '../../src/formats/graph';
import { sizeOf } from '../../src/formats/graph';
import { loadOnnx } from '../../src/onnx/load';
import { GraphSpec, NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { InputSample, readSamples } from '../../src/formats/input-document';
import type { QuantizedModel } from '../../src/formats/quantized-model';

export { seededRng };
export type { Rng };

export const REPO_ROOT = packageRoot();
export const MODELS_DIR = path.join(REPO_ROOT, 'models');

export type ShippedModel = 'tiny' | 'tiny-matmul' | 'mnist-mlp';

export function modelFile(name: ShippedModel): string {
  return path.join(MODELS_DIR, name, 'model.onnx');
}

export function calibrationFile(name: ShippedModel): string {
  return path.join(MODELS_DIR, name, 'calibration.json');
}

export function inputFile(name: ShippedModel): string {
  return path.join(MODELS_DIR, name, 'input.json');
}

export function readModelBytes(name: ShippedModel): Uint8Array {
  return fs.readFileSync(modelFile(name));
}

export function loadShipped(name: ShippedModel): { bytes: Uint8Array; graph: Graph; calibration: InputSample[] } {
  const bytes = readModelBytes(name);
  const graph = loadOnnx(bytes);
  const calibration = readSamples(JSON.parse(fs.readFileSync(calibrationFile(name), 'utf8')), graph.inputs, 'CALIBRATION_INVALID');
  return { bytes, graph, calibration };
}

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `zkml-${prefix}-`));
}

/** Runs fn and checks it throws a ZkmlError with this code; returns the error for further checks. */
export function expectCode(fn: () => unknown, code: ErrorCode, what = ''): ZkmlError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown !== undefined, `${what}: expected ZkmlError ${code}, nothing was thrown`);
  assert.ok(thrown instanceof ZkmlError, `${what}: expected ZkmlError ${code}, got ${String((thrown as Error)?.stack ?? thrown)}`);
  assert.equal(thrown.code, code, `${what}: expected ${code}, got ${thrown.code}: ${thrown.message}`);
  return thrown;
}

export const f32 = (values: number[]): Float32Array => Float32Array.from(values);

/** A float32 graph with one input x [1, n] and one output y of the given shape. */
export function simpleGraph(nodes: NodeSpec[], opts: Partial<GraphSpec> & { xShape?: (number | string)[]; yShape?: (number | string)[] } = {}): Uint8Array {
  return writeOnnx({
    name: opts.name ?? 'test',
    opset: opts.opset,
    inputs: opts.inputs ?? [{ name: 'x', elemType: 'float32', shape: opts.xShape ?? [1, 4] }],
    outputs: opts.outputs ?? [{ name: 'y', elemType: 'float32', shape: opts.yShape ?? [1, 2] }],
    initializers: opts.initializers ?? [],
    nodes,
  });
}

/** A Constant node whose value is a TENSOR attribute (the form PyTorch exports), added to ONNX bytes. */
export function withTensorConstant(bytes: Uint8Array, name: string, output: string, dims: number[], values: number[]): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph as onnx.GraphProto;
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  const value = onnx.TensorProto.create({ dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
  const node = onnx.NodeProto.create({
    opType: 'Constant',
    name,
    output: [output],
    attribute: [onnx.AttributeProto.create({ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: value })],
  });
  graph.node.unshift(node);
  return onnx.ModelProto.encode(model).finish();
}

/** Runs ONNX bytes in onnxruntime for one float32 sample; returns every output by name. */
export async function runOrtFloat(bytes: Uint8Array, inputs: ValueInfo[], samples: InputSample[]): Promise<Array<Map<string, Float32Array>>> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    const out: Array<Map<string, Float32Array>> = [];
    for (const sample of samples) {
      const feeds: Record<string, ort.Tensor> = {};
      for (const info of inputs) {
        const values = sample.get(info.name)!;
        // An int64 input (an index) is fed as one.
        feeds[info.name] =
          info.elemType === 'int64'
            ? new ort.Tensor(
                'int64',
                BigInt64Array.from(values, (v) => BigInt(v)),
                info.shape,
              )
            : new ort.Tensor('float32', Float32Array.from(values), info.shape);
      }
      const r = await session.run(feeds);
      out.push(new Map(session.outputNames.map((n) => [n, r[n].data as Float32Array])));
    }
    return out;
  } finally {
    await session.release();
  }
}

/**
 * A random sample whose every element lies in the model's quantized input range: uniform over the
 * float interval [lo, hi] / 2^scale (so rounding stays inside), rounded to float32 so that
 * onnxruntime sees exactly the same value. `edges` picks the interval's ends more often.
 */
export function randomInRange(model: QuantizedModel, rng: Rng, edges = 0.1): InputSample {
  const sample: InputSample = new Map();
  for (const input of model.inputs) {
    const scale = 2 ** input.scaleBits;
    const lo = Number(input.lo) / scale;
    const hi = Number(input.hi) / scale;
    const n = sizeOf(input.shape);
    sample.set(
      input.name,
      Float64Array.from({ length: n }, () => {
        const u = rng.next();
        const x = u < edges / 2 ? lo : u < edges ? hi : rng.uniform(lo, hi);
        return Math.fround(x);
      }),
    );
  }
  return sample;
}

/**
 * models/tiny rebuilt with each initializer's values passed through `change` (same shapes, same
 * graph): another model of the same architecture, e.g. the same values in another order.
 */
export function tinyWithWeights(change: (data: Float32Array, name: string) => Float32Array): Uint8Array {
  const graph = loadOnnx(fs.readFileSync(modelFile('tiny')));
  return writeOnnx({
    name: 'tiny-variant',
    inputs: [{ name: 'x', elemType: 'float32', shape: [1, 4] }],
    outputs: [{ name: 'y', elemType: 'float32', shape: [1, 2] }],
    initializers: ['W1', 'b1', 'W2', 'b2'].map((name) => {
      const c = graph.constants.get(name)!;
      return { name, dims: c.shape, data: change(Float32Array.from(c.data), name) };
    }),
    nodes: [
      { opType: 'Gemm', name: 'gemm1', inputs: ['x', 'W1', 'b1'], outputs: ['h'], attributes: { transB: 1 } },
      { opType: 'Relu', name: 'relu1', inputs: ['h'], outputs: ['h_relu'] },
      { opType: 'Gemm', name: 'gemm2', inputs: ['h_relu', 'W2', 'b2'], outputs: ['y'], attributes: { transB: 1 } },
    ],
  });
}
