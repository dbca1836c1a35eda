/**
 * If (issue 14, item 5), inlined at ingest (src/onnx/expand-if.ts): a constant condition (an
 * initializer, a Constant, or one folded from constants) inlines the taken branch; a run-time one
 * inlines both and selects each output with Where. The inlined float graph equals onnxruntime's output
 * on the original model; the integer model stays within its static bound; circuits equal the integer
 * reference, refuse a changed output, and their constraint counts are pinned; branches of different
 * shapes or element types under a run-time condition, and nested subgraphs, are refused with typed
 * errors naming the node.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Graph } from '../../src/formats/graph';
import { sizeOf } from '../../src/formats/graph';
import type { InputSample } from '../../src/formats/input-document';
import { parseSettings } from '../../src/formats/settings';
import { loadOnnx } from '../../src/onnx/load';
import { InitializerSpec, NodeSpec, SubgraphSpec, ValueSpec, writeOnnx } from '../../src/onnx/writer';
import { runFloat } from '../../src/quantize/float-executor';
import { quantizeGraph } from '../../src/quantize/quantize';
import { checkCompiledCircuit } from '../helpers/compiled-circuit-check';
import { expectCode, randomInRange, Rng, runOrtFloat, seededRng } from '../helpers/onnx-builders';
import { assertWithinStaticBound } from '../helpers/within-static-bound';

const f = (name: string, shape: Array<number | string>): ValueSpec => ({ name, elemType: 'float32', shape });
const weights = (rng: Rng, name: string, dims: number[], s = 0.7): InitializerSpec => ({ name, dims, data: Float32Array.from({ length: sizeOf(dims) }, () => rng.uniform(-s, s)) });
const graphAttr = (value: SubgraphSpec) => ({ type: 'graph' as const, value });

interface IfCase {
  hidden: number;
  /** The condition: a true or false initializer, folded from constants (Greater(2, 1)), or computed from x (ReduceSum(x) > 0). */
  cond: 'true' | 'false' | 'folded' | 'runtime';
  /** The else branch's output: of the then branch's shape (default), of another shape, or declared int64 (refusals). */
  elseOut?: 'same' | 'other-shape' | 'other-type';
  /** An If inside the then branch (refused). */
  nested?: boolean;
  seed: number;
}

/**
 * y = If(cond) then Tanh(x·W1) else Relu(x + b) − 0.5·x: W1 is a then-branch initializer, b and x are
 * outer-scope values both branches read by name.
 */
function ifModel(c: IfCase): Uint8Array {
  const rng = seededRng(c.seed);
  const H = c.hidden;
  const inner: SubgraphSpec = { name: 'inner', inputs: [], outputs: [f('z', [1, H])], nodes: [{ opType: 'Identity', name: 'pass', inputs: ['x'], outputs: ['z'] }] };
  const thenBranch: SubgraphSpec = {
    name: 'then',
    inputs: [],
    outputs: [f('t', [1, H])],
    initializers: [weights(rng, 'W1', [H, H])],
    nodes: [
      { opType: 'MatMul', name: 'xw', inputs: [c.nested ? 'xi' : 'x', 'W1'], outputs: ['xw'] },
      { opType: 'Tanh', name: 'act', inputs: ['xw'], outputs: ['t'] },
      ...(c.nested ? [{ opType: 'If', name: 'inner_if', inputs: ['cond'], outputs: ['xi'], attributes: { then_branch: graphAttr(inner), else_branch: graphAttr(inner) } }] : []),
    ],
  };
  const elseNodes: NodeSpec[] = [
    { opType: 'Add', name: 'xb', inputs: ['x', 'b'], outputs: ['xb'] },
    { opType: 'Relu', name: 'relu', inputs: ['xb'], outputs: ['r'] },
    { opType: 'Mul', name: 'half', inputs: ['x', 'half'], outputs: ['hx'] },
    { opType: 'Sub', name: 'minus', inputs: ['r', 'hx'], outputs: c.elseOut === 'other-shape' ? ['e0'] : ['e'] },
    ...(c.elseOut === 'other-shape' ? [{ opType: 'ReduceSum', name: 'shrink', inputs: ['e0'], outputs: ['e'], attributes: { keepdims: 1 } }] : []),
  ];
  const elseBranch: SubgraphSpec = {
    name: 'else',
    inputs: [],
    outputs: [c.elseOut === 'other-type' ? { name: 'e', elemType: 'int64', shape: [1, H] } : f('e', c.elseOut === 'other-shape' ? [1, 1] : [1, H])],
    initializers: [{ name: 'half', dims: [], data: [0.5] }],
    nodes: elseNodes,
  };
  const condNodes: NodeSpec[] =
    c.cond === 'runtime'
      ? [
          { opType: 'ReduceSum', name: 'total', inputs: ['x'], outputs: ['total'], attributes: { keepdims: 0 } },
          { opType: 'Greater', name: 'positive', inputs: ['total', 'zero'], outputs: ['cond'] },
        ]
      : c.cond === 'folded'
        ? [{ opType: 'Greater', name: 'two_gt_one', inputs: ['two', 'one'], outputs: ['cond'] }]
        : [];
  const inits: InitializerSpec[] = [weights(rng, 'b', [H], 0.3), { name: 'zero', dims: [], data: [0] }, { name: 'one', dims: [], data: [1] }, { name: 'two', dims: [], data: [2] }];
  if (c.cond === 'true' || c.cond === 'false') inits.push({ name: 'cond', dims: [1], data: [c.cond === 'true' ? 1 : 0], elemType: 'bool' });
  return writeOnnx({
    name: 'if',
    opset: 13,
    inputs: [f('x', [1, H])],
    outputs: [f('y', [1, H])],
    initializers: inits,
    nodes: [...condNodes, { opType: 'If', name: 'branch', inputs: ['cond'], outputs: ['y'], attributes: { then_branch: graphAttr(thenBranch), else_branch: graphAttr(elseBranch) } }],
  });
}

function samples(graph: Graph, rng: Rng, n: number): InputSample[] {
  return Array.from({ length: n }, () => new Map(graph.inputs.map((i) => [i.name, Float64Array.from({ length: sizeOf(i.shape) }, () => Math.fround(rng.uniform(-2, 2)))])));
}

/** The float expansion against onnxruntime (1e-5), then the integer model within its static bound; returns the worst integer error. */
async function checkAgainstOrt(bytes: Uint8Array, seed: number): Promise<number> {
  const rng = seededRng(seed);
  const graph = loadOnnx(bytes);
  const floatSamples = samples(graph, rng, 8);
  // Both branches taken among the samples, so a run-time selection is checked both ways.
  const positive = floatSamples.filter((s) => s.get('x')!.reduce((a, v) => a + v, 0) > 0).length;
  assert.ok(positive > 0 && positive < floatSamples.length, `${positive} of ${floatSamples.length} samples take the then branch`);
  const ortFloat = await runOrtFloat(bytes, graph.inputs, floatSamples);
  floatSamples.forEach((s, k) => {
    const ours = runFloat(graph, s);
    for (const out of graph.outputs) {
      const want = ortFloat[k].get(out.name)!;
      const got = ours.get(out.name)!.data;
      assert.equal(got.length, want.length, `${out.name} size`);
      want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) <= 1e-5, `float ${out.name}[${i}]: ours ${got[i]}, onnxruntime ${w}`));
    }
  });
  const model = quantizeGraph(graph, parseSettings({}), samples(graph, rng, 24));
  const inRange = Array.from({ length: 20 }, () => randomInRange(model, rng));
  return assertWithinStaticBound(bytes, graph.inputs, model, inRange);
}

const IF: IfCase = { hidden: 3, cond: 'runtime', seed: 1 };

describe('If: the inlined graph against onnxruntime', () => {
  const cases: Record<string, IfCase> = {
    'If (constant true condition: the then branch only)': { ...IF, cond: 'true', seed: 2 },
    'If (constant false condition: the else branch only)': { ...IF, cond: 'false', seed: 3 },
    'If (condition folded from constants)': { ...IF, cond: 'folded', seed: 4 },
    'If (condition computed at run time: both branches and a Where)': IF,
  };
  for (const [name, c] of Object.entries(cases)) test(name, async (t) => t.diagnostic(`worst |error| ${await checkAgainstOrt(ifModel(c), c.seed + 50)}`));
  test('a constant condition inlines one branch, a run-time one both and a Where', () => {
    const ops = (c: IfCase) => loadOnnx(ifModel(c)).nodes.map((n) => n.opType);
    assert.deepEqual(ops({ ...IF, cond: 'true' }), ['MatMul', 'Tanh', 'Identity']);
    assert.deepEqual(ops({ ...IF, cond: 'false' }), ['Add', 'Relu', 'Mul', 'Sub', 'Identity']);
    const both = ops(IF);
    for (const op of ['MatMul', 'Tanh', 'Relu', 'Sub', 'Where']) assert.ok(both.includes(op), `${op} in ${both}`);
  });
});

describe('If: refusals name the node and why', () => {
  const refused = (bytes: Uint8Array, code: 'ONNX_UNSUPPORTED_ATTRIBUTE', ...what: string[]) => {
    const err = expectCode(() => loadOnnx(bytes), code);
    for (const w of what) assert.ok(err.message.includes(w), err.message);
  };
  test('branches of different shapes under a run-time condition', () => refused(ifModel({ ...IF, elseOut: 'other-shape' }), 'ONNX_UNSUPPORTED_ATTRIBUTE', "'branch' (If)", 'shape [1,3]', '[1,1]'));
  test('branches of different element types under a run-time condition', () => refused(ifModel({ ...IF, elseOut: 'other-type' }), 'ONNX_UNSUPPORTED_ATTRIBUTE', "'branch' (If)", 'float32', 'int64'));
  test('a subgraph inside a branch', () => refused(ifModel({ ...IF, nested: true }), 'ONNX_UNSUPPORTED_ATTRIBUTE', "'branch' (If)", "'inner_if' (If)", 'nested'));
  test('a constant condition takes either branch whatever the other gives', () => {
    assert.equal(loadOnnx(ifModel({ ...IF, cond: 'true', elseOut: 'other-shape' })).outputs[0].shape.join(), '1,3');
  });
});

describe('If circuits', () => {
  test('If circuit (condition computed at run time)', async () => {
    const bytes = ifModel(IF);
    const graph = loadOnnx(bytes);
    const rng = seededRng(101);
    const calibration = samples(graph, rng, 16).map((s) => Object.fromEntries([...s].map(([k, v]) => [k, Array.from(v)])));
    await checkCompiledCircuit({ bytes, samples: calibration, expectConstraints: 330, rng, label: 'if' });
  });
});
