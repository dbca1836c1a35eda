/**
 * Builds models/transformer-encoder/: one pre-norm transformer encoder block with seeded weights,
 * exported by our own ONNX writer (opset 20):
 *   x [1, 4, 8] (4 token embeddings of width 8)
 *   → LayerNormalization → multi-head self-attention (2 heads of width 4: Q, K, V projections,
 *     Q·Kᵀ·½, Softmax over the keys, ·V, output projection) → + x
 *   → LayerNormalization → MLP 8 → 16 → Gelu → 8 → + residual
 *   → mean over the tokens → Gemm 8 → 3 → y [1, 3] (class scores)
 * The weights are seeded, not trained (no task): what the README's accuracy measures is agreement of
 * the circuit with onnxruntime on held-out random inputs (the class chosen, the largest score error).
 * Run: npm run build && node dist/models/transformer-encoder/build.js
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { GraphSpec, InitializerSpec, NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { writeEzklInput } from '../ezkl-json';
import { modelSourceDir } from '../source-dir';
import { Rng, seededRng } from '../rng';

export const TOKENS = 4;
export const WIDTH = 8;
const HEADS = 2;
const HEAD = WIDTH / HEADS;
const HIDDEN = 16;
const CLASSES = 3;
const CALIBRATION_SAMPLES = 32;

/** Inputs: token embeddings uniform in [-1, 1], 3 decimals. */
export function sample(rng: Rng): number[] {
  return Array.from({ length: TOKENS * WIDTH }, () => Number(rng.uniform(-1, 1).toFixed(3)));
}

/** A [rows, cols] weight matrix, Xavier-uniform, rounded to 3 decimals. */
function matrix(rng: Rng, name: string, rows: number, cols: number): InitializerSpec {
  const a = Math.sqrt(6 / (rows + cols));
  return { name, dims: [rows, cols], data: Float32Array.from({ length: rows * cols }, () => Number(rng.uniform(-a, a).toFixed(3))) };
}

function vector(rng: Rng, name: string, n: number, center = 0, spread = 0.1): InitializerSpec {
  return { name, dims: [n], data: Float32Array.from({ length: n }, () => Number((center + rng.uniform(-spread, spread)).toFixed(3))) };
}

const ints = (name: string, values: number[]): InitializerSpec => ({ name, dims: [values.length], data: values, elemType: 'int64' });

export function encoderGraph(rng: Rng): GraphSpec {
  const nodes: NodeSpec[] = [];
  const op = (opType: string, inputs: string[], output: string, attributes: NodeSpec['attributes'] = {}): string => {
    nodes.push({ opType, name: output, inputs, outputs: [output], attributes });
    return output;
  };
  const linear = (x: string, w: string, b: string, out: string) => op('Add', [op('MatMul', [x, w], `${out}_mm`), b], out);
  /** [1, T, D] → [1, H, T, d] (or [1, H, d, T] for the keys, ready for Q·Kᵀ). */
  const heads = (x: string, out: string, keys = false) => op('Transpose', [op('Reshape', [x, 'heads_shape'], `${out}_split`)], out, { perm: keys ? [0, 2, 3, 1] : [0, 2, 1, 3] });

  const ln1 = op('LayerNormalization', ['x', 'ln1_scale', 'ln1_bias'], 'ln1', { axis: -1, epsilon: 1e-5 });
  const q = heads(linear(ln1, 'wq', 'bq', 'q'), 'q_heads');
  const k = heads(linear(ln1, 'wk', 'bk', 'k'), 'k_heads', true);
  const v = heads(linear(ln1, 'wv', 'bv', 'v'), 'v_heads');
  const scores = op('Mul', [op('MatMul', [q, k], 'qk'), 'inv_sqrt_head'], 'scores');
  const attn = op('MatMul', [op('Softmax', [scores], 'attn_weights', { axis: -1 }), v], 'attn_heads');
  const merged = op('Reshape', [op('Transpose', [attn], 'attn_tokens', { perm: [0, 2, 1, 3] }), 'tokens_shape'], 'attn_merged');
  const res1 = op('Add', ['x', linear(merged, 'wo', 'bo', 'attn_out')], 'res1');
  const ln2 = op('LayerNormalization', [res1, 'ln2_scale', 'ln2_bias'], 'ln2', { axis: -1, epsilon: 1e-5 });
  const hidden = op('Gelu', [linear(ln2, 'w1', 'b1', 'mlp_in')], 'mlp_gelu');
  const res2 = op('Add', [res1, linear(hidden, 'w2', 'b2', 'mlp_out')], 'res2');
  const pooled = op('ReduceMean', [res2, 'pool_axes'], 'pooled', { keepdims: 0 });
  nodes.push({ opType: 'Gemm', name: 'classifier', inputs: [pooled, 'wc', 'bc'], outputs: ['y'], attributes: { transB: 1 } });

  return {
    name: 'transformer-encoder',
    opset: 20,
    inputs: [{ name: 'x', elemType: 'float32', shape: [1, TOKENS, WIDTH] }],
    outputs: [{ name: 'y', elemType: 'float32', shape: [1, CLASSES] }],
    initializers: [
      vector(rng, 'ln1_scale', WIDTH, 1),
      vector(rng, 'ln1_bias', WIDTH),
      matrix(rng, 'wq', WIDTH, WIDTH),
      vector(rng, 'bq', WIDTH),
      matrix(rng, 'wk', WIDTH, WIDTH),
      vector(rng, 'bk', WIDTH),
      matrix(rng, 'wv', WIDTH, WIDTH),
      vector(rng, 'bv', WIDTH),
      { name: 'inv_sqrt_head', dims: [], data: [1 / Math.sqrt(HEAD)] },
      ints('heads_shape', [1, TOKENS, HEADS, HEAD]),
      ints('tokens_shape', [1, TOKENS, WIDTH]),
      matrix(rng, 'wo', WIDTH, WIDTH),
      vector(rng, 'bo', WIDTH),
      vector(rng, 'ln2_scale', WIDTH, 1),
      vector(rng, 'ln2_bias', WIDTH),
      matrix(rng, 'w1', WIDTH, HIDDEN),
      vector(rng, 'b1', HIDDEN),
      matrix(rng, 'w2', HIDDEN, WIDTH),
      vector(rng, 'b2', WIDTH),
      ints('pool_axes', [1]),
      matrix(rng, 'wc', CLASSES, WIDTH),
      vector(rng, 'bc', CLASSES),
    ],
    nodes,
  };
}

async function main(): Promise<void> {
  const dir = modelSourceDir('transformer-encoder');
  const modelFile = path.join(dir, 'model.onnx');
  fs.writeFileSync(modelFile, writeOnnx(encoderGraph(seededRng(1407))));
  const rng = seededRng(1408);
  const input = sample(rng);
  writeEzklInput(path.join(dir, 'input.json'), [input]);
  writeEzklInput(
    path.join(dir, 'calibration.json'),
    Array.from({ length: CALIBRATION_SAMPLES }, () => sample(rng)),
  );
  // The shipped file, not this script, is what gets proved: check it loads and runs in onnxruntime.
  const session = await ort.InferenceSession.create(modelFile);
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(input), [1, TOKENS, WIDTH]) });
  await session.release();
  console.log(`y = [${Array.from(out.y.data as Float32Array).map((v) => v.toFixed(4))}] (${modelFile}, ${fs.statSync(modelFile).size} bytes)`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
