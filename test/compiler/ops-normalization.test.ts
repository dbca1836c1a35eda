/**
 * Normalisation (issue 14, item 4): LayerNormalization and InstanceNormalization, expanded at ingest
 * into ReduceMean, Sub, Pow 2, Mul and a piecewise-linear 1/√(v + ε) (src/onnx/expand-normalization.ts).
 * Float semantics equal onnxruntime's; the integer model stays within its static bound and within
 * the measured tolerance of docs/normalisation.md of onnxruntime; circuits equal the integer
 * reference, refuse a changed output, and their constraint counts are pinned; unsupported
 * attributes and a computed scale are refused naming node, op and attribute.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, test } from 'node:test';
import { auditBuild } from '../../src/audit/audit';
import { compileModel } from '../../src/compiler/compile';
import type { Graph } from '../../src/formats/graph';
import { sizeOf } from '../../src/formats/graph';
import type { InputSample } from '../../src/formats/input-document';
import { parseSettings } from '../../src/formats/settings';
import { loadOnnx } from '../../src/onnx/load';
import { AttributeValue, writeOnnx } from '../../src/onnx/writer';
import { runFloat } from '../../src/quantize/float-executor';
import { quantizeGraph } from '../../src/quantize/quantize';
import { checkCompiledCircuit } from '../helpers/compiled-circuit-check';
import { expectCode, makeTempDir, randomInRange, Rng, runOrtFloat, seededRng } from '../helpers/onnx-builders';
import { assertWithinStaticBound } from '../helpers/within-static-bound';
import { assertFloatEqualsOrt } from '../helpers/float-vs-ort';

interface Case {
  opType: string;
  shape: number[];
  /** Scale and bias, or graph inputs by those names when `computedScale`. */
  scale?: number[];
  bias?: number[];
  /** The shape of scale and bias (default [length]). */
  paramDims?: number[];
  attributes?: Record<string, AttributeValue>;
  computedScale?: boolean;
  extraOutputs?: string[];
  opset?: number;
}

function build(c: Case): Uint8Array {
  const inits = [];
  const inputs = [{ name: 'x', elemType: 'float32' as const, shape: c.shape }];
  const names = ['x'];
  for (const [name, v] of [
    ['scale', c.scale],
    ['bias', c.bias],
  ] as const) {
    if (!v) continue;
    names.push(name);
    if (c.computedScale && name === 'scale') inputs.push({ name, elemType: 'float32', shape: c.paramDims ?? [v.length] });
    else inits.push({ name, dims: c.paramDims ?? [v.length], data: Float32Array.from(v) });
  }
  return writeOnnx({
    name: 'ops-normalization',
    opset: c.opset ?? 17,
    inputs,
    outputs: [{ name: 'y', elemType: 'float32', shape: c.shape }],
    initializers: inits,
    nodes: [{ opType: c.opType, name: 'norm', inputs: names, outputs: ['y', ...(c.extraOutputs ?? [])], attributes: c.attributes ?? {} }],
  });
}

function samples(graph: Graph, rng: Rng, n: number): InputSample[] {
  return Array.from({ length: n }, () => new Map(graph.inputs.map((i) => [i.name, Float64Array.from({ length: sizeOf(i.shape) }, () => Math.fround(rng.uniform(-2, 2)))])));
}

const LAYER: Case = { opType: 'LayerNormalization', shape: [1, 3, 4], scale: [1.5, -0.5, 1, 0.25], bias: [0.1, 0, -0.3, 0.5], attributes: { axis: -1, epsilon: 1e-5 } };
const LAYER_AXIS1: Case = { opType: 'LayerNormalization', shape: [1, 2, 3], scale: [1, 2, 0.5, -1, 1, 0.75], paramDims: [2, 3], attributes: { axis: 1 } };
const INSTANCE: Case = { opType: 'InstanceNormalization', shape: [1, 2, 2, 3], scale: [1.25, -0.75], bias: [0.2, -0.1], attributes: { epsilon: 1e-5 } };

/** The tolerance docs/normalisation.md states at default settings, inputs in [−2, 2]: 0.4 per unit of the largest |scale| (at least 1). */
const tolerance = (c: Case) => 0.4 * Math.max(1, ...(c.scale ?? []).map(Math.abs));

let seed = 900;

/** Float semantics = onnxruntime on 6 samples, then the integer model within its static bound on 40 in-range inputs. */
async function floatThenStaticBound(bytes: Uint8Array, rng: Rng): Promise<{ worst: number; bound: number }> {
  const graph = loadOnnx(bytes);
  await assertFloatEqualsOrt(bytes, graph, samples(graph, rng, 6), 1e-4);
  const model = quantizeGraph(graph, parseSettings({}), samples(graph, rng, 24));
  const inRange = Array.from({ length: 40 }, () => randomInRange(model, rng));
  return { worst: await assertWithinStaticBound(bytes, graph.inputs, model, inRange), bound: model.outputs[0].errorBound };
}

async function checkCase(c: Case): Promise<number> {
  const { worst } = await floatThenStaticBound(build(c), seededRng(seed++));
  assert.ok(worst <= tolerance(c), `${c.opType}: worst error ${worst} > stated tolerance ${tolerance(c)}`);
  return worst;
}

describe('normalisation: float semantics and the integer model against onnxruntime', () => {
  for (const [name, c] of Object.entries({
    'LayerNormalization (axis −1, scale, bias)': LAYER,
    'LayerNormalization (axis 1, scale only)': LAYER_AXIS1,
    'InstanceNormalization (scale, bias)': INSTANCE,
  })) {
    test(name, async (t) => {
      t.diagnostic(`worst |error| ${await checkCase(c)}`);
    });
  }
});

/**
 * Two LayerNormalization nodes of one name, chained: node names may repeat in ONNX (value names may
 * not), so the values each expansion adds must be named after its (unique) output, not the node.
 */
function twoNodesNamed(first: string, second: string): Uint8Array {
  return writeOnnx({
    name: 'same-node-name',
    opset: 17,
    inputs: [{ name: 'x', elemType: 'float32', shape: [1, 3, 4] }],
    outputs: [{ name: 'y', elemType: 'float32', shape: [1, 3, 4] }],
    initializers: [
      { name: 's1', dims: [4], data: Float32Array.from([1.5, -0.5, 1, 0.25]) },
      { name: 'b1', dims: [4], data: Float32Array.from([0.1, 0, -0.3, 0.5]) },
      { name: 's2', dims: [4], data: Float32Array.from([0.5, 2, -1, 1.25]) },
      { name: 'b2', dims: [4], data: Float32Array.from([-0.2, 0.4, 0, 0.1]) },
    ],
    nodes: [
      { opType: 'LayerNormalization', name: first, inputs: ['x', 's1', 'b1'], outputs: ['h'], attributes: { axis: -1 } },
      { opType: 'LayerNormalization', name: second, inputs: ['h', 's2', 'b2'], outputs: ['y'], attributes: { axis: -1 } },
    ],
  });
}

// onnxruntime itself refuses repeated node names, so its reference is the same graph with distinct ones.
test('normalisation: two nodes of one name expand into distinct values (float equals onnxruntime)', async () => {
  const graph = loadOnnx(twoNodesNamed('norm', 'norm'));
  const distinctBytes = twoNodesNamed('norm1', 'norm2');
  const distinct = loadOnnx(distinctBytes);
  // Its own seed: the shared `seed` sequence decides the calibration of the pinned circuits below.
  const floatSamples = samples(graph, seededRng(77), 4);
  const ort = await runOrtFloat(distinctBytes, graph.inputs, floatSamples);
  floatSamples.forEach((s, k) => {
    const got = runFloat(graph, s).get('y')!.data;
    assert.deepEqual(got, runFloat(distinct, s).get('y')!.data);
    ort[k].get('y')!.forEach((w, i) => assert.ok(Math.abs(got[i] - w) <= 1e-4 * Math.max(1, Math.abs(w)), `float y[${i}]: ours ${got[i]}, onnxruntime ${w}`));
  });
});

describe('normalisation: refusals name the node, the op and the attribute', () => {
  const refused = (c: Case, attribute: string | undefined, code: 'ONNX_UNSUPPORTED_ATTRIBUTE' | 'ONNX_UNSUPPORTED_OP' = 'ONNX_UNSUPPORTED_ATTRIBUTE') => {
    const err = expectCode(() => loadOnnx(build(c)), code);
    assert.match(err.message, /'norm' \((Layer|Instance)Normalization\)/);
    if (attribute) assert.ok(err.message.includes(attribute), err.message);
  };
  test('stash_type other than 1', () => refused({ ...LAYER, attributes: { stash_type: 0 } }, 'stash_type'));
  test('a scale computed at run time', () => refused({ ...LAYER, computedScale: true }, "scale 'scale'"));
  test('an InstanceNormalization scale computed at run time', () => refused({ ...INSTANCE, computedScale: true }, "scale 'scale'"));
  test('the Mean output requested', () => refused({ ...LAYER, extraOutputs: ['mean'] }, 'mean'));
  test('an axis outside the rank', () => refused({ ...LAYER, attributes: { axis: 3 } }, 'axis'));
  test('an unknown attribute', () => refused({ ...INSTANCE, attributes: { momentum: 0.5 } }, 'momentum'));
  test('the internal 1/√(v + ε) op is not accepted in a model', () => {
    const bytes = writeOnnx({
      name: 'internal',
      opset: 17,
      inputs: [{ name: 'x', elemType: 'float32', shape: [1, 4] }],
      outputs: [{ name: 'y', elemType: 'float32', shape: [1, 4] }],
      initializers: [],
      nodes: [{ opType: 'zkml.InverseStdDev', name: 'inv', inputs: ['x'], outputs: ['y'], attributes: {} }],
    });
    expectCode(() => loadOnnx(bytes), 'ONNX_UNSUPPORTED_OP');
  });
});

/** Compiles the circuit and checks it (test/helpers/compiled-circuit-check.ts). */
async function checkCircuit(c: Case, expectConstraints: number): Promise<void> {
  const bytes = build(c);
  const graph = loadOnnx(bytes);
  const rng = seededRng(seed++);
  const calibration = samples(graph, rng, 16).map((s) => Object.fromEntries([...s].map(([k, v]) => [k, Array.from(v)])));
  await checkCompiledCircuit({ bytes, samples: calibration, expectConstraints, rng, label: 'norm' });
}

describe('normalisation circuits', () => {
  test('LayerNormalization circuit', async () => {
    await checkCircuit(LAYER, 963);
  });
  test('InstanceNormalization circuit', async () => {
    await checkCircuit(INSTANCE, 1122);
  });
});

/**
 * GroupNormalization (opset 18: per-group scale and bias; opset 21: per-channel), LpNormalization
 * (p = 1, 2, any axis) and LpPool (p = 1, 2, with strides, pads and dilations): expanded at ingest
 * like LayerNormalization (expand-normalization.ts, expand-lp-pool.ts). Seeds of their own, so the
 * pinned circuits above keep their calibration.
 */
const GROUP_18: Case = { opType: 'GroupNormalization', opset: 18, shape: [1, 4, 2, 2], scale: [1.25, -0.5], bias: [0.2, -0.1], attributes: { num_groups: 2, epsilon: 1e-5 } };
const GROUP_21: Case = { opType: 'GroupNormalization', opset: 21, shape: [2, 4, 3], scale: [1, -0.75, 0.5, 1.5], bias: [0, 0.25, -0.5, 0.1], attributes: { num_groups: 2 } };
const LP2: Case = { opType: 'LpNormalization', shape: [1, 3, 4], attributes: { axis: -1, p: 2 } };
const LP1_AXIS1: Case = { opType: 'LpNormalization', shape: [1, 3, 4], attributes: { axis: 1, p: 1 } };

/** The tolerances docs/normalisation.md states at default settings, inputs in [−2, 2]. */
const NEW_TOLERANCE: Record<string, number> = { GroupNormalization: 0.5, LpNormalization: 0.2, LpPool: 0.1 };

async function checkNewCase(c: Case, caseSeed: number): Promise<{ worst: number; bound: number }> {
  const { worst, bound } = await floatThenStaticBound(build(c), seededRng(caseSeed));
  const tol = NEW_TOLERANCE[c.opType] * Math.max(1, ...(c.scale ?? []).map(Math.abs));
  assert.ok(worst <= tol, `${c.opType}: worst error ${worst} > stated tolerance ${tol}`);
  return { worst, bound };
}

describe('GroupNormalization and LpNormalization: float semantics and the integer model against onnxruntime', () => {
  for (const [name, c, s] of [
    ['GroupNormalization opset 18 (per-group scale, bias)', GROUP_18, 1901],
    ['GroupNormalization opset 21 (per-channel scale, bias), batch 2, rank 3', GROUP_21, 1902],
    ['LpNormalization p = 2, axis −1', LP2, 1903],
    ['LpNormalization p = 1, axis 1', LP1_AXIS1, 1904],
  ] as const) {
    test(name, async (t) => {
      const { worst, bound } = await checkNewCase(c, s);
      t.diagnostic(`worst |error| ${worst}, static bound ${bound}`);
    });
  }
});

describe('GroupNormalization, LpNormalization: refusals name the node, the op and the attribute', () => {
  const refused = (c: Case, attribute: string, code: 'ONNX_UNSUPPORTED_ATTRIBUTE' | 'ONNX_MALFORMED' = 'ONNX_UNSUPPORTED_ATTRIBUTE') => {
    const err = expectCode(() => loadOnnx(build(c)), code);
    assert.match(err.message, new RegExp(`'norm' \\(${c.opType}\\)`));
    assert.ok(err.message.includes(attribute), err.message);
  };
  test('num_groups that does not divide C', () => refused({ ...GROUP_21, attributes: { num_groups: 3 } }, 'num_groups'));
  test('num_groups missing', () => refused({ ...GROUP_21, attributes: {} }, 'num_groups'));
  test('GroupNormalization stash_type other than 1', () => refused({ ...GROUP_21, attributes: { num_groups: 2, stash_type: 0 } }, 'stash_type'));
  test('a GroupNormalization scale computed at run time', () => refused({ ...GROUP_21, computedScale: true }, "scale 'scale'"));
  test('a scale of neither C nor num_groups values', () => refused({ ...GROUP_21, scale: [1, 2, 3], bias: [0, 0, 0] }, 'scale of 3 values', 'ONNX_MALFORMED'));
  test('LpNormalization p = 3', () => refused({ ...LP2, attributes: { p: 3 } }, 'p=3'));
  test('LpNormalization axis outside the rank', () => refused({ ...LP2, attributes: { axis: 3 } }, 'axis'));
});

interface PoolCase {
  shape: number[];
  outShape: number[];
  attributes: Record<string, AttributeValue>;
}

function buildLpPool(c: PoolCase): Uint8Array {
  return writeOnnx({
    name: 'ops-lp-pool',
    opset: 18,
    inputs: [{ name: 'x', elemType: 'float32', shape: c.shape }],
    outputs: [{ name: 'y', elemType: 'float32', shape: c.outShape }],
    nodes: [{ opType: 'LpPool', name: 'pool', inputs: ['x'], outputs: ['y'], attributes: c.attributes }],
  });
}

const LP_POOL_2: PoolCase = { shape: [1, 2, 4, 4], outShape: [1, 2, 2, 2], attributes: { p: 2, kernel_shape: [2, 2], strides: [2, 2] } };
const LP_POOL_1: PoolCase = { shape: [1, 2, 5, 5], outShape: [1, 2, 3, 3], attributes: { p: 1, kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 0, 0], dilations: [2, 2] } };

describe('LpPool: float semantics and the integer model against onnxruntime', () => {
  for (const [name, c, s] of [
    ['p = 2, kernel 2×2, strides 2', LP_POOL_2, 1911],
    ['p = 1, pads, dilations 2', LP_POOL_1, 1912],
  ] as const) {
    test(name, async (t) => {
      const { worst, bound } = await floatThenStaticBound(buildLpPool(c), seededRng(s));
      assert.ok(worst <= NEW_TOLERANCE.LpPool, `LpPool: worst error ${worst} > stated tolerance ${NEW_TOLERANCE.LpPool}`);
      t.diagnostic(`worst |error| ${worst}, static bound ${bound}`);
    });
  }

  test('p = 3 is refused naming the attribute; ceil_mode with a partial window too', () => {
    const cases: Array<[Record<string, AttributeValue>, string]> = [
      [{ ...LP_POOL_2.attributes, p: 3 }, 'p=3'],
      [{ p: 2, kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }, 'ceil_mode'],
    ];
    for (const [attributes, attribute] of cases) {
      const err = expectCode(() => loadOnnx(buildLpPool({ ...LP_POOL_2, attributes })), 'ONNX_UNSUPPORTED_ATTRIBUTE');
      assert.match(err.message, /'pool' \(LpPool\)/);
      assert.ok(err.message.includes(attribute), err.message);
    }
  });
});

/** Compiles the circuit with a calibration from `caseSeed` and checks it (test/helpers/compiled-circuit-check.ts). */
async function checkNewCircuit(bytes: Uint8Array, caseSeed: number, expectConstraints: number): Promise<void> {
  const graph = loadOnnx(bytes);
  const rng = seededRng(caseSeed);
  const calibration = samples(graph, rng, 16).map((s) => Object.fromEntries([...s].map(([k, v]) => [k, Array.from(v)])));
  await checkCompiledCircuit({ bytes, samples: calibration, expectConstraints, rng, label: 'norm' });
}

describe('GroupNormalization, LpNormalization and LpPool circuits', () => {
  for (const [name, bytes, caseSeed, count] of [
    ['GroupNormalization opset 18', () => build(GROUP_18), 1921, 1226],
    ['GroupNormalization opset 21', () => build(GROUP_21), 1922, 2220],
    ['LpNormalization p = 2', () => build(LP2), 1923, 861],
    ['LpNormalization p = 1', () => build(LP1_AXIS1), 1924, 896],
    ['LpPool p = 2', () => buildLpPool(LP_POOL_2), 1925, 1448],
    ['LpPool p = 1', () => buildLpPool(LP_POOL_1), 1926, 850],
  ] as const) {
    test(`${name} circuit`, async () => {
      await checkNewCircuit(bytes(), caseSeed, count);
    });
  }
});

/** GroupNormalization → LpPool (p = 2) → LpNormalization (p = 1) → ReduceLogSumExp: one small model using each new op. */
function chained(): Uint8Array {
  return writeOnnx({
    name: 'norm-chain',
    opset: 21,
    inputs: [{ name: 'x', elemType: 'float32', shape: [1, 4, 4, 4] }],
    outputs: [{ name: 'y', elemType: 'float32', shape: [1, 4] }],
    initializers: [
      { name: 'scale', dims: [4], data: Float32Array.from([1, -0.5, 0.75, 1.25]) },
      { name: 'bias', dims: [4], data: Float32Array.from([0.5, 0, -0.25, 0.1]) },
      { name: 'axes', dims: [2], data: [2, 3], elemType: 'int64' },
    ],
    nodes: [
      { opType: 'GroupNormalization', name: 'gn', inputs: ['x', 'scale', 'bias'], outputs: ['g'], attributes: { num_groups: 2 } },
      { opType: 'LpPool', name: 'pool', inputs: ['g'], outputs: ['p'], attributes: { p: 2, kernel_shape: [2, 2], strides: [2, 2] } },
      { opType: 'LpNormalization', name: 'lp', inputs: ['p'], outputs: ['n'], attributes: { axis: 1, p: 1 } },
      { opType: 'ReduceLogSumExp', name: 'lse', inputs: ['n', 'axes'], outputs: ['y'], attributes: { keepdims: 0 } },
    ],
  });
}

test('the soundness audit refuses every mutation on a model using GroupNormalization, LpPool, LpNormalization and ReduceLogSumExp', async (t) => {
  const dir = makeTempDir('norm-audit');
  try {
    const bytes = chained();
    const graph = loadOnnx(bytes);
    fs.writeFileSync(`${dir}/model.onnx`, bytes);
    const rng = seededRng(1931);
    const calibration = samples(graph, rng, 16).map((s) => Object.fromEntries([...s].map(([k, v]) => [k, Array.from(v)])));
    await compileModel(`${dir}/model.onnx`, `${dir}/build`, { calibration: { samples: calibration } });
    const x = Array.from(samples(graph, rng, 1)[0].get('x')!);
    const report = await auditBuild(`${dir}/build`, { input_data: [x] }, { perClass: 200 });
    assert.equal(report.forgeries, 0, JSON.stringify(report.classes.filter((cl) => cl.accepted.length > 0)));
    const tried = (name: string) => report.classes.filter((cl) => cl.mutationClass === name).reduce((a, cl) => a + cl.tried, 0);
    for (const cls of ['outputs', 'range-check bits', 'forged rescale']) assert.ok(tried(cls) > 0, `class '${cls}' was tried`);
    t.diagnostic(report.classes.map((cl) => `${cl.mutationClass}: ${cl.tried}/${cl.available}`).join(', '));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
