/**
 * Scan and Loop with a static trip count (issue 14, item 5), unrolled at ingest over their body
 * (src/onnx/expand-scan.ts, src/onnx/expand-loop.ts, src/onnx/unroll-subgraph.ts). The unrolled
 * float graph equals onnxruntime's output on the original model; the integer model stays within its
 * static bound; circuits equal the integer reference, refuse a changed output, and their constraint
 * counts are pinned; a dynamic trip count, a data-dependent condition, a non-static sequence length,
 * nested subgraphs and unsupported body ops are refused with typed errors naming the node.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Graph } from '../../src/formats/graph';
import { sizeOf } from '../../src/formats/graph';
import type { InputSample } from '../../src/formats/input-document';
import { parseSettings } from '../../src/formats/settings';
import { loadOnnx } from '../../src/onnx/load';
import { DEFAULT_PARSE_LIMITS } from '../../src/onnx/parse';
import { GraphSpec, InitializerSpec, NodeSpec, SubgraphSpec, ValueSpec, writeOnnx } from '../../src/onnx/writer';
import { runFloat } from '../../src/quantize/float-executor';
import { quantizeGraph } from '../../src/quantize/quantize';
import { checkCompiledCircuit } from '../helpers/compiled-circuit-check';
import { expectCode, randomInRange, Rng, runOrtFloat, seededRng } from '../helpers/onnx-builders';
import { assertWithinStaticBound } from '../helpers/within-static-bound';

const f = (name: string, shape: Array<number | string>): ValueSpec => ({ name, elemType: 'float32', shape });
const weights = (rng: Rng, name: string, dims: number[], s = 0.7): InitializerSpec => ({ name, dims, data: Float32Array.from({ length: sizeOf(dims) }, () => rng.uniform(-s, s)) });
const graphAttr = (value: SubgraphSpec) => ({ type: 'graph' as const, value });

interface ScanCase {
  steps: number | string;
  input: number;
  hidden: number;
  inAxis?: number;
  inReverse?: boolean;
  outAxis?: number;
  outReverse?: boolean;
  /** The initial state as a graph input rather than an initializer. */
  runtimeState?: boolean;
  /** A second scan input, added to the state each step. */
  twoScanInputs?: boolean;
  /** Extra nodes in the body (refusal cases). */
  bodyNodes?: NodeSpec[];
  seed: number;
}

/** x's shape with the scan axis (length `steps`) inserted at `axis` into [1, D]. */
function withAxis(rest: number[], axis: number, steps: number | string): Array<number | string> {
  const shape: Array<number | string> = [...rest];
  const at = axis < 0 ? axis + rest.length + 1 : axis;
  shape.splice(at, 0, steps);
  return shape;
}

/**
 * h' = Tanh(x_t·Wx + h·Wh + b), an RNN cell as a Scan: Wx is a body initializer, Wh and b are
 * outer-scope initializers the body reads by name. Outputs the final h and the stacked h'.
 */
function scanModel(c: ScanCase): Uint8Array {
  return writeOnnx(scanSpec(c));
}

function scanSpec(c: ScanCase): GraphSpec {
  const rng = seededRng(c.seed);
  const { input: D, hidden: H } = c;
  const bodyNodes: NodeSpec[] = [
    { opType: 'MatMul', name: 'xw', inputs: ['x_t', 'Wx'], outputs: ['xw'] },
    { opType: 'MatMul', name: 'hw', inputs: ['h', 'Wh'], outputs: ['hw'] },
    { opType: 'Add', name: 'sum', inputs: ['xw', 'hw'], outputs: ['s'] },
    { opType: 'Add', name: 'bias', inputs: ['s', 'b'], outputs: c.twoScanInputs ? ['pre0'] : ['pre'] },
    ...(c.twoScanInputs ? [{ opType: 'Add', name: 'extra', inputs: ['pre0', 'u_t'], outputs: ['pre'] }] : []),
    ...(c.bodyNodes ?? []),
    { opType: 'Tanh', name: 'act', inputs: ['pre'], outputs: ['h_next'] },
    { opType: 'Identity', name: 'out', inputs: ['h_next'], outputs: ['y_t'] },
  ];
  const body: SubgraphSpec = {
    name: 'cell',
    inputs: [f('h', [1, H]), f('x_t', [1, D]), ...(c.twoScanInputs ? [f('u_t', [1, H])] : [])],
    outputs: [f('h_next', [1, H]), f('y_t', [1, H])],
    initializers: [weights(rng, 'Wx', [D, H])],
    nodes: bodyNodes,
  };
  const inAxis = c.inAxis ?? 0;
  const outAxis = c.outAxis ?? 0;
  const steps = typeof c.steps === 'number' ? c.steps : 0;
  const scanInputs = c.twoScanInputs ? 2 : 1;
  const attributes = {
    body: graphAttr(body),
    num_scan_inputs: scanInputs,
    ...(c.inAxis !== undefined ? { scan_input_axes: new Array<number>(scanInputs).fill(inAxis) } : {}),
    ...(c.inReverse ? { scan_input_directions: new Array<number>(scanInputs).fill(1) } : {}),
    ...(c.outAxis !== undefined ? { scan_output_axes: [outAxis] } : {}),
    ...(c.outReverse ? { scan_output_directions: [1] } : {}),
  };
  const spec: GraphSpec = {
    name: 'scan',
    opset: 11,
    inputs: [f('x', withAxis([1, D], inAxis, c.steps)), ...(c.twoScanInputs ? [f('u', withAxis([1, H], inAxis, c.steps))] : []), ...(c.runtimeState ? [f('h0', [1, H])] : [])],
    outputs: [f('h_final', [1, H]), f('y', withAxis([1, H], outAxis, steps || 'T'))],
    initializers: [weights(rng, 'Wh', [H, H]), weights(rng, 'b', [H], 0.3), ...(c.runtimeState ? [] : [weights(rng, 'h0', [1, H], 0.5)])],
    nodes: [{ opType: 'Scan', name: 'scan', inputs: ['h0', 'x', ...(c.twoScanInputs ? ['u'] : [])], outputs: ['h_final', 'y'], attributes }],
  };
  return spec;
}

/**
 * Two Scans over different initial states, both named 'scan' (onnxruntime refuses that, our parser
 * does not) or the second named `second`: their unrollings must not share a value name.
 */
function twinScans(second = 'scan'): Uint8Array {
  const spec = scanSpec(SCAN);
  const rng = seededRng(9);
  return writeOnnx({
    ...spec,
    outputs: [...spec.outputs, f('h_final_b', [1, 3]), f('y_b', [3, 1, 3])],
    initializers: [...spec.initializers!, weights(rng, 'h0_b', [1, 3], 0.5)],
    nodes: [...spec.nodes, { ...spec.nodes[0], name: second, inputs: ['h0_b', 'x'], outputs: ['h_final_b', 'y_b'] }],
  });
}

interface LoopCase {
  trips: number;
  hidden: number;
  /** M as a graph input (refused) or omitted (refused). */
  tripCount?: 'runtime' | 'omitted';
  /** The initial condition: omitted (default), a true constant, or a graph input (refused). */
  cond?: 'omitted' | 'true' | 'runtime';
  /** The body's condition output: passed through (default), a true constant, or computed from the data (refused). */
  condOut?: 'identity' | 'constant' | 'data';
  /** A Scan inside the body (refused). */
  nested?: boolean;
  seed: number;
}

/**
 * acc' = Tanh(acc·W + x + 0.1·i) for i = 0 … M−1: x is an outer-scope graph input the body reads by
 * name, i the iteration number. Outputs the final acc and the stacked acc'.
 */
function loopModel(c: LoopCase): Uint8Array {
  const rng = seededRng(c.seed);
  const H = c.hidden;
  const condOut: NodeSpec[] =
    c.condOut === 'data'
      ? [
          { opType: 'ReduceSum', name: 'total', inputs: ['acc_next'], outputs: ['total'], attributes: { keepdims: 0 } },
          { opType: 'Less', name: 'small', inputs: ['total', 'limit'], outputs: ['cond_out'] },
        ]
      : c.condOut === 'constant'
        ? [{ opType: 'Identity', name: 'keep', inputs: ['always'], outputs: ['cond_out'] }]
        : [{ opType: 'Identity', name: 'keep', inputs: ['cond_in'], outputs: ['cond_out'] }];
  const nestedBody: SubgraphSpec = {
    name: 'inner',
    inputs: [f('s', [1, H]), f('v', [1, H])],
    outputs: [f('s2', [1, H])],
    nodes: [{ opType: 'Add', name: 'add', inputs: ['s', 'v'], outputs: ['s2'] }],
  };
  const body: SubgraphSpec = {
    name: 'step',
    inputs: [{ name: 'i', elemType: 'int64', shape: [] }, { name: 'cond_in', elemType: 'bool', shape: [] }, f('acc', [1, H])],
    outputs: [{ name: 'cond_out', elemType: 'bool', shape: [] }, f('acc_next', [1, H]), f('y_i', [1, H])],
    initializers: [
      { name: 'tenth', dims: [], data: [0.1] },
      { name: 'limit', dims: [], data: [0.5] },
      { name: 'always', dims: [], data: [1], elemType: 'bool' },
    ],
    nodes: [
      { opType: 'MatMul', name: 'aw', inputs: ['acc', 'W'], outputs: ['aw'] },
      { opType: 'Add', name: 'plus_x', inputs: ['aw', 'x'], outputs: ['ax'] },
      { opType: 'Cast', name: 'i_float', inputs: ['i'], outputs: ['i_f'], attributes: { to: 1 } },
      { opType: 'Mul', name: 'i_scaled', inputs: ['i_f', 'tenth'], outputs: ['i_s'] },
      { opType: 'Add', name: 'plus_i', inputs: ['ax', 'i_s'], outputs: ['pre'] },
      ...(c.nested ? [{ opType: 'Scan', name: 'inner', inputs: ['pre', 'x3'], outputs: ['pre2'], attributes: { body: graphAttr(nestedBody), num_scan_inputs: 1 } }] : []),
      { opType: 'Tanh', name: 'act', inputs: [c.nested ? 'pre2' : 'pre'], outputs: ['acc_next'] },
      { opType: 'Identity', name: 'out', inputs: ['acc_next'], outputs: ['y_i'] },
      ...condOut,
    ],
  };
  const inits: InitializerSpec[] = [weights(rng, 'W', [H, H]), weights(rng, 'acc0', [1, H], 0.5)];
  const graphInputs: ValueSpec[] = [f('x', [1, H])];
  if (c.tripCount === 'runtime') graphInputs.push({ name: 'M', elemType: 'int64', shape: [] });
  else if (c.tripCount !== 'omitted') inits.push({ name: 'M', dims: [], data: [c.trips], elemType: 'int64' });
  if (c.cond === 'runtime') graphInputs.push({ name: 'cond', elemType: 'bool', shape: [] });
  else if (c.cond === 'true') inits.push({ name: 'cond', dims: [], data: [1], elemType: 'bool' });
  if (c.nested) inits.push(weights(rng, 'x3', [1, 1, H]));
  return writeOnnx({
    name: 'loop',
    opset: 13,
    inputs: graphInputs,
    outputs: [f('acc_final', [1, H]), f('ys', [c.trips, 1, H])],
    initializers: inits,
    nodes: [
      {
        opType: 'Loop',
        name: 'loop',
        inputs: [c.tripCount === 'omitted' ? '' : 'M', c.cond === 'true' || c.cond === 'runtime' ? 'cond' : '', 'acc0'],
        outputs: ['acc_final', 'ys'],
        attributes: { body: graphAttr(body) },
      },
    ],
  });
}

function samples(graph: Graph, rng: Rng, n: number): InputSample[] {
  return Array.from({ length: n }, () => new Map(graph.inputs.map((i) => [i.name, Float64Array.from({ length: sizeOf(i.shape) }, () => Math.fround(rng.uniform(-2, 2)))])));
}

/** The float expansion against onnxruntime (1e-5), then the integer model within its static bound; returns the worst integer error. */
async function checkAgainstOrt(bytes: Uint8Array, seed: number, dims?: Record<string, number>, ortBytes = bytes): Promise<number> {
  const rng = seededRng(seed);
  const graph = loadOnnx(bytes, undefined, dims ? { leading: 1, named: dims } : 1);
  const floatSamples = samples(graph, rng, 5);
  const ortFloat = await runOrtFloat(ortBytes, graph.inputs, floatSamples);
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
  const worst = await assertWithinStaticBound(ortBytes, graph.inputs, model, inRange);
  return worst;
}

const SCAN: ScanCase = { steps: 3, input: 2, hidden: 3, seed: 1 };
const LOOP: LoopCase = { trips: 3, hidden: 2, seed: 2 };

describe('Scan and Loop: the unrolled graph against onnxruntime', () => {
  const scans: Record<string, ScanCase> = {
    'Scan (forward, axis 0, constant initial state)': SCAN,
    'Scan (scan input axis 1, reversed)': { ...SCAN, inAxis: 1, inReverse: true, seed: 3 },
    'Scan (scan output axis -1, reversed; initial state at run time)': { ...SCAN, outAxis: -1, outReverse: true, runtimeState: true, seed: 4 },
    'Scan (two scan inputs, one step)': { ...SCAN, steps: 1, twoScanInputs: true, seed: 5 },
  };
  for (const [name, c] of Object.entries(scans)) test(name, async (t) => t.diagnostic(`worst |error| ${await checkAgainstOrt(scanModel(c), c.seed + 50)}`));
  test('two Scans with the same node name', async (t) => t.diagnostic(`worst |error| ${await checkAgainstOrt(twinScans(), 57, undefined, twinScans('scan_b'))}`));
  test('Scan over a named symbolic length, bound with dims', async (t) => {
    t.diagnostic(`worst |error| ${await checkAgainstOrt(scanModel({ ...SCAN, steps: 'T', inAxis: 1, seed: 6 }), 56, { T: 4 })}`);
  });
  const loops: Record<string, LoopCase> = {
    'Loop (constant M, condition omitted, passed through)': LOOP,
    'Loop (constant M, constant true condition, body condition a true constant)': { ...LOOP, trips: 4, cond: 'true', condOut: 'constant', seed: 7 },
  };
  for (const [name, c] of Object.entries(loops)) test(name, async (t) => t.diagnostic(`worst |error| ${await checkAgainstOrt(loopModel(c), c.seed + 50)}`));
});

describe('Scan and Loop: refusals name the node and the input or attribute', () => {
  const refused = (bytes: Uint8Array, code: 'ONNX_UNSUPPORTED_ATTRIBUTE' | 'ONNX_UNSUPPORTED_OP' | 'ONNX_DYNAMIC_SHAPE' | 'MODEL_TOO_LARGE', ...what: string[]) => {
    const err = expectCode(() => loadOnnx(bytes), code);
    for (const w of what) assert.ok(err.message.includes(w), err.message);
  };
  test('a trip count computed at run time', () => refused(loopModel({ ...LOOP, tripCount: 'runtime' }), 'ONNX_UNSUPPORTED_ATTRIBUTE', "'loop' (Loop)", 'trip count M'));
  test('no trip count (runs until the condition turns false)', () => refused(loopModel({ ...LOOP, tripCount: 'omitted' }), 'ONNX_UNSUPPORTED_ATTRIBUTE', "'loop' (Loop)", 'trip count M is omitted'));
  test('an initial condition computed at run time', () => refused(loopModel({ ...LOOP, cond: 'runtime' }), 'ONNX_UNSUPPORTED_ATTRIBUTE', "'loop' (Loop)", "condition 'cond'"));
  test('a data-dependent body condition', () => refused(loopModel({ ...LOOP, condOut: 'data' }), 'ONNX_UNSUPPORTED_ATTRIBUTE', "'loop' (Loop)", "attribute 'body'", "'cond_out'"));
  test('a trip count that unrolls too far', () => refused(loopModel({ ...LOOP, trips: 1_000_000 }), 'MODEL_TOO_LARGE', "'loop' (Loop)"));
  test('body nodes count against the parse limits', () => {
    const err = expectCode(() => loadOnnx(loopModel(LOOP), { ...DEFAULT_PARSE_LIMITS, maxNodes: 5 }), 'MODEL_TOO_LARGE');
    assert.ok(err.message.includes('nodes'), err.message);
  });
  test('a nested subgraph', () => refused(loopModel({ ...LOOP, nested: true }), 'ONNX_UNSUPPORTED_ATTRIBUTE', "'loop' (Loop)", "'inner' (Scan)", 'nested'));
  test('the opset 8 Scan (batched, with sequence_lens)', () => refused(writeOnnx({ ...scanSpec(SCAN), opset: 8 }), 'ONNX_UNSUPPORTED_ATTRIBUTE', "'scan' (Scan)", 'opset 8'));
  test('a Scan over a symbolic length not bound', () => refused(scanModel({ ...SCAN, steps: 'T', inAxis: 1 }), 'ONNX_DYNAMIC_SHAPE', "'T'"));
  test('an unsupported op in the body', () =>
    refused(
      scanModel({ ...SCAN, bodyNodes: [{ opType: 'Einsum', name: 'odd', inputs: ['pre', 'pre'], outputs: ['unused'], attributes: { equation: 'ij,ij->ij' } }] }),
      'ONNX_UNSUPPORTED_OP',
      "'scan/odd' (Einsum)",
    ));
});

/** Compiles the circuit and checks it (test/helpers/compiled-circuit-check.ts). */
async function checkCircuit(bytes: Uint8Array, seed: number, expectConstraints: number): Promise<void> {
  const graph = loadOnnx(bytes);
  const rng = seededRng(seed);
  const calibration = samples(graph, rng, 16).map((s) => Object.fromEntries([...s].map(([k, v]) => [k, Array.from(v)])));
  await checkCompiledCircuit({ bytes, samples: calibration, expectConstraints, rng, label: 'scan-loop' });
}

describe('Scan and Loop circuits', () => {
  test('Scan circuit (2 steps, initial state at run time)', async () => {
    await checkCircuit(scanModel({ ...SCAN, steps: 2, runtimeState: true }), 101, 711);
  });
  test('Loop circuit (3 iterations, outer-scope input)', async () => {
    await checkCircuit(loopModel(LOOP), 102, 468);
  });
});
