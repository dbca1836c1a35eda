/**
 * Attention (issue 14): the pieces the ezkl attention models need beyond the existing families.
 * - LayerNorm written out op by op (ReduceMean, Sub, Pow 2, ReduceMean, Add ε, Sqrt, Div) is fused
 *   at ingest into the 1/√(v + ε) of LayerNormalization (src/onnx/fuse-layernorm.ts); a Sqrt of
 *   anything but a mean of squares is left alone.
 * - A self-attention head: MatMul of two run-time tensors (Q·Kᵀ, softmax·V), a scale, a causal mask
 *   by Where on a constant condition, Softmax on the last axis of a rank-3 tensor.
 * - NonZero folded on a constant, refused on a run-time tensor.
 * - The opset-10 float Equal that GPT exports contain loads in onnxruntime as opset 11.
 * Circuits: witness = integer reference, a changed output wire is refused, constraints pinned.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Graph } from '../../src/formats/graph';
import { sizeOf } from '../../src/formats/graph';
import type { InputSample } from '../../src/formats/input-document';
import { parseSettings } from '../../src/formats/settings';
import { loadOnnx } from '../../src/onnx/load';
import { raiseOpset10ForFloatEqual } from '../../src/onnx/opset-repair';
import { createOrtSession } from '../../src/onnx/runtime';
import { InitializerSpec, NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { runFloat } from '../../src/quantize/float-executor';
import { quantizeGraph } from '../../src/quantize/quantize';
import { checkCompiledCircuit } from '../helpers/compiled-circuit-check';
import { expectCode, randomInRange, Rng, runOrtFloat, seededRng } from '../helpers/onnx-builders';
import { assertWithinStaticBound } from '../helpers/within-static-bound';

const T = 3; // tokens
const D = 4; // model width

const scalar = (name: string, v: number): InitializerSpec => ({ name, dims: [], data: [v] });
const matrix = (name: string, rows: number, cols: number, rng: Rng): InitializerSpec => ({
  name,
  dims: [rows, cols],
  data: Array.from({ length: rows * cols }, () => Math.fround(rng.uniform(-0.6, 0.6))),
});

/** y = LayerNorm(x) over the last axis, written out op by op as PyTorch's opset-10 exports do. */
function decomposedLayerNorm(x: string, y: string, sqrtInput?: 'mean'): { nodes: NodeSpec[]; inits: InitializerSpec[] } {
  const n = (opType: string, inputs: string[], out: string, attributes = {}): NodeSpec => ({ opType, name: `ln/${out}`, inputs, outputs: [out], attributes });
  return {
    nodes: [
      n('ReduceMean', [x], 'mean', { axes: [-1] }),
      n('Sub', [x, 'mean'], 'd'),
      n('Pow', ['d', 'two'], 'sq'),
      n('ReduceMean', ['sq'], 'var', { axes: [-1] }),
      // The non-fusable variant: √ of the plain mean, which may be negative.
      n('Add', [sqrtInput === 'mean' ? 'mean' : 'var', 'eps'], 'var_eps'),
      n('Sqrt', ['var_eps'], 'std'),
      n('Div', ['d', 'std'], 'norm'),
      n('Mul', ['norm', 'gamma'], 'scaled'),
      n('Add', ['scaled', 'beta'], y),
    ],
    inits: [scalar('two', 2), scalar('eps', 1e-5), { name: 'gamma', dims: [D], data: [1.25, -0.5, 1, 0.75] }, { name: 'beta', dims: [D], data: [0.1, 0, -0.2, 0.3] }],
  };
}

/** The LayerNorm alone, or followed by a projection (then its normalised output is clamped to ±√D). */
function layerNormModel(sqrtInput?: 'mean', projection = false): Uint8Array {
  const { nodes, inits } = decomposedLayerNorm('x', projection ? 'ln' : 'y', sqrtInput);
  if (projection) {
    nodes.push({ opType: 'MatMul', name: 'proj', inputs: ['ln', 'w'], outputs: ['y'] });
    inits.push(matrix('w', D, D, seededRng(1402)));
  }
  return writeOnnx({
    name: 'decomposed-layernorm',
    opset: 13,
    inputs: [{ name: 'x', elemType: 'float32', shape: [1, T, D] }],
    outputs: [{ name: 'y', elemType: 'float32', shape: [1, T, D] }],
    initializers: inits,
    nodes,
  });
}

/** One causal self-attention head on [1, T, D]: softmax(mask(Q·Kᵀ/√D))·V. */
function attentionModel(opset = 13): Uint8Array {
  const rng = seededRng(1401);
  const n = (opType: string, inputs: string[], out: string, attributes = {}): NodeSpec => ({ opType, name: `attn/${out}`, inputs, outputs: [out], attributes });
  // The causal mask as GPT exports build it: a constant lower-triangular buffer compared with 0.
  const tril = Array.from({ length: T * T }, (_, i) => (i % T <= Math.floor(i / T) ? 1 : 0));
  return writeOnnx({
    name: 'attention-head',
    opset,
    inputs: [{ name: 'x', elemType: 'float32', shape: [1, T, D] }],
    outputs: [{ name: 'y', elemType: 'float32', shape: [1, T, D] }],
    initializers: [
      matrix('wq', D, D, rng),
      matrix('wk', D, D, rng),
      matrix('wv', D, D, rng),
      scalar('sqrt_d', Math.sqrt(D)),
      { name: 'tril', dims: [1, T, T], data: tril },
      scalar('zero', 0),
      scalar('masked', -8),
    ],
    nodes: [
      n('MatMul', ['x', 'wq'], 'q'),
      n('MatMul', ['x', 'wk'], 'k'),
      n('MatMul', ['x', 'wv'], 'v'),
      n('Transpose', ['k'], 'kt', { perm: [0, 2, 1] }),
      n('MatMul', ['q', 'kt'], 'qk'),
      n('Div', ['qk', 'sqrt_d'], 'scores'),
      n('Equal', ['tril', 'zero'], 'future'),
      n('Where', ['future', 'masked', 'scores'], 'causal'),
      n('Softmax', ['causal'], 'p', { axis: -1 }),
      n('MatMul', ['p', 'v'], 'y'),
    ],
  });
}

function samples(graph: Graph, rng: Rng, count: number): InputSample[] {
  return Array.from({ length: count }, () => new Map(graph.inputs.map((i) => [i.name, Float64Array.from({ length: sizeOf(i.shape) }, () => Math.fround(rng.uniform(-2, 2)))])));
}

/** Our float semantics equal onnxruntime's; the integer model is within its static bound and `tolerance`. */
async function checkAccuracy(bytes: Uint8Array, tolerance: number, seed: number): Promise<number> {
  const rng = seededRng(seed);
  const graph = loadOnnx(bytes);
  const floatSamples = samples(graph, rng, 6);
  const ortFloat = await runOrtFloat(bytes, graph.inputs, floatSamples);
  floatSamples.forEach((s, k) => {
    const got = runFloat(graph, s).get('y')!.data;
    ortFloat[k].get('y')!.forEach((w, i) => assert.ok(Math.abs(got[i] - w) <= 1e-4 * Math.max(1, Math.abs(w)), `float y[${i}]: ours ${got[i]}, onnxruntime ${w}`));
  });
  const model = quantizeGraph(graph, parseSettings({}), samples(graph, rng, 24));
  const inRange = Array.from({ length: 30 }, () => randomInRange(model, rng));
  const worst = await assertWithinStaticBound(bytes, graph.inputs, model, inRange);
  assert.ok(worst <= tolerance, `worst error ${worst} > tolerance ${tolerance}`);
  return worst;
}

/** Compiles; witnesses (two random in-range inputs) equal the integer reference; a changed output wire breaks the R1CS; the count is pinned. */
async function checkCircuit(bytes: Uint8Array, expectConstraints: number, seed: number): Promise<void> {
  const graph = loadOnnx(bytes);
  const rng = seededRng(seed);
  await checkCompiledCircuit({
    bytes,
    samples: samples(graph, rng, 16).map((s) => Object.fromEntries([...s].map(([k, v]) => [k, Array.from(v)]))),
    expectConstraints,
    rng,
    label: 'attention',
    inputs: (model) => [0, 1].map(() => randomInRange(model, rng)),
  });
}

describe('decomposed LayerNorm', () => {
  test('is fused into 1/√(v + ε): no Sqrt or Div is left', () => {
    const ops = loadOnnx(layerNormModel()).nodes.map((n) => n.opType);
    assert.ok(ops.includes('zkml.InverseStdDev'), ops.join(' '));
    assert.ok(!ops.includes('Sqrt') && !ops.includes('Div'), ops.join(' '));
  });
  test('a Sqrt of something other than a mean of squares is not fused', () => {
    const ops = loadOnnx(layerNormModel('mean')).nodes.map((n) => n.opType);
    assert.ok(ops.includes('Sqrt') && !ops.includes('zkml.InverseStdDev'), ops.join(' '));
  });
  test('integer model against onnxruntime (tolerance of docs/normalisation.md: 0.4 per unit of |scale|)', async (t) => {
    t.diagnostic(`worst |error| ${await checkAccuracy(layerNormModel(), 0.4 * 1.25, 1410)}`);
  });
  test('circuit', async () => {
    await checkCircuit(layerNormModel(), 975, 1411);
  });
  test('followed by a MatMul: the normalised output is clamped to ±√n (exact in float); a final one is not', () => {
    const clips = (bytes: Uint8Array) => {
      const graph = loadOnnx(bytes);
      return graph.nodes.filter((n) => n.opType === 'Clip').map((n) => [graph.constants.get(n.inputs[1])!.data[0], graph.constants.get(n.inputs[2])!.data[0]]);
    };
    assert.deepEqual(clips(layerNormModel(undefined, true)), [[-2, 2]]);
    assert.deepEqual(clips(layerNormModel()), []);
  });
  test('followed by a MatMul: integer model against onnxruntime', async (t) => {
    t.diagnostic(`worst |error| ${await checkAccuracy(layerNormModel(undefined, true), 1, 1414)}`);
  });
  test('followed by a MatMul: circuit', async () => {
    await checkCircuit(layerNormModel(undefined, true), 1860, 1415);
  });
});

describe('causal self-attention head', () => {
  test('integer model against onnxruntime', async (t) => {
    t.diagnostic(`worst |error| ${await checkAccuracy(attentionModel(), 0.25, 1412)}`);
  });
  test('circuit', async () => {
    await checkCircuit(attentionModel(), 2483, 1413);
  });
});

describe('NonZero', () => {
  const model = (input: 'x' | 'c'): Uint8Array =>
    writeOnnx({
      name: 'nonzero',
      opset: 13,
      inputs: [{ name: 'x', elemType: 'float32', shape: [2, 3] }],
      outputs: [{ name: 'y', elemType: 'float32', shape: [2, 3] }],
      initializers: [{ name: 'c', dims: [2, 3], data: [0, 5, 0, 1, 0, 2] }],
      nodes: [
        { opType: 'NonZero', name: 'nz', inputs: [input], outputs: ['idx'] },
        { opType: 'Shape', name: 'shape', inputs: ['idx'], outputs: ['s'] },
        { opType: 'Reshape', name: 'reshape', inputs: ['x', 's'], outputs: ['y'] },
      ],
    });
  test('folds on a constant: the coordinates of the non-zero elements', () => {
    const graph = loadOnnx(model('c'));
    assert.ok(!graph.nodes.some((n) => n.opType === 'NonZero'));
    // c = [[0, 5, 0], [1, 0, 2]]: non-zero at (0, 1), (1, 0), (1, 2), one row per axis.
    assert.deepEqual(graph.constants.get('idx'), { shape: [2, 3], data: Float64Array.from([0, 1, 1, 1, 0, 2]) });
  });
  test('refused on a run-time tensor, naming the node', () => {
    const err = expectCode(() => loadOnnx(model('x')), 'ONNX_DYNAMIC_SHAPE');
    assert.match(err.message, /'nz' \(NonZero\)/);
  });
});

describe('opset-10 float Equal', () => {
  test('onnxruntime loads the model as opset 11; ingest reads it as it is', async () => {
    const bytes = attentionModel(10);
    assert.ok(raiseOpset10ForFloatEqual(bytes));
    await (await createOrtSession(bytes)).release();
    assert.equal(loadOnnx(bytes).opset, 10);
  });
  test('not repaired when an op changed meaning in opset 11 (Clip): onnxruntime refuses it', async () => {
    const bytes = writeOnnx({
      name: 'clip10',
      opset: 10,
      inputs: [{ name: 'x', elemType: 'float32', shape: [2] }],
      outputs: [{ name: 'y', elemType: 'float32', shape: [2] }],
      initializers: [scalar('zero', 0)],
      nodes: [
        { opType: 'Equal', name: 'eq', inputs: ['x', 'zero'], outputs: ['b'] },
        { opType: 'Clip', name: 'clip', inputs: ['x'], outputs: ['y'], attributes: { min: 0, max: 1 } },
      ],
    });
    assert.equal(raiseOpset10ForFloatEqual(bytes), undefined);
    await assert.rejects(createOrtSession(bytes), (err: Error & { code?: string }) => err.code === 'ONNXRUNTIME_REFUSED');
  });
});
