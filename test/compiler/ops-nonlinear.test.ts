/**
 * Non-linear op families (issue 3): MaxPool, GlobalMaxPool, Max, Min, ReduceMax, ReduceMin (relu
 * trees); Clip, LeakyRelu, PRelu, HardSigmoid, HardSwish, Abs (exact piecewise-linear); Sigmoid,
 * Tanh, Softplus, Elu, Selu, Celu, Gelu (piecewise-linear approximations with a measured error);
 * Softmax. For each: float semantics equal onnxruntime's; the integer model stays within its static
 * error bound of onnxruntime on random in-range inputs; MaxPool, Clip and Sigmoid compile to
 * circuits whose witnesses equal the integer reference, with the constraint count pinned.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { artifactPath } from '../../src/formats/artifacts';
import { compileModel } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import { verifyWitness, computeWitness, loadR1cs } from '../../src/compiler/r1cs-check';
import type { Graph } from '../../src/formats/graph';
import { sizeOf } from '../../src/formats/graph';
import { loadOnnx } from '../../src/onnx/load';
import { smoothFunction } from '../../src/onnx/ops/smooth';
import { InitializerSpec, NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { BN254_R } from '../../src/formats/field';
import { runFloat } from '../../src/quantize/float-executor';
import type { InputSample } from '../../src/formats/input-document';
import { evalPwl, fitPwl, PWL_MAX_SEGMENTS, PWL_TARGET_ERROR } from '../../src/quantize/lower/pwl';
import type { QuantizedModel } from '../../src/formats/quantized-model';
import { quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { CompileSettings, parseSettings } from '../../src/formats/settings';
import { expectCode, makeTempDir, randomInRange, Rng, runOrtFloat, seededRng } from '../helpers/onnx-builders';

type Shape = number[];

interface Case {
  inputs: Record<string, Shape>;
  outputs?: Record<string, Shape>;
  nodes: NodeSpec[];
  inits?: Record<string, { dims: number[]; data: number[] }>;
  opset?: number;
  /** Float range of calibration inputs (default [-1, 1]). */
  range?: [number, number];
  settings?: Partial<CompileSettings>;
}

const one = (opType: string, attributes: NodeSpec['attributes'] = {}, extraInputs: string[] = []): NodeSpec[] => [
  { opType, name: opType.toLowerCase(), inputs: ['x', ...extraInputs], outputs: ['y'], attributes },
];

function build(c: Case): Uint8Array {
  const initializers: InitializerSpec[] = Object.entries(c.inits ?? {}).map(([name, t]) => ({ name, dims: t.dims, data: Float32Array.from(t.data) }));
  return writeOnnx({
    name: 'ops-nonlinear',
    opset: c.opset,
    inputs: Object.entries(c.inputs).map(([name, shape]) => ({ name, elemType: 'float32', shape })),
    outputs: Object.entries(c.outputs ?? { y: c.inputs.x }).map(([name, shape]) => ({ name, elemType: 'float32', shape })),
    initializers,
    nodes: c.nodes,
  });
}

const randomData = (rng: Rng, n: number, lo: number, hi: number) => Float64Array.from({ length: n }, () => Math.fround(rng.uniform(lo, hi)));

function samplesFor(graph: Graph, rng: Rng, n: number, [lo, hi]: [number, number]): InputSample[] {
  return Array.from({ length: n }, () => new Map(graph.inputs.map((i) => [i.name, randomData(rng, sizeOf(i.shape), lo, hi)])));
}

/** (a) runFloat (our float semantics) equals onnxruntime to 1e-5 (relative above 1). */
async function checkFloat(bytes: Uint8Array, graph: Graph, rng: Rng, range: [number, number]): Promise<void> {
  const samples = samplesFor(graph, rng, 6, [range[0] * 1.5, range[1] * 1.5]);
  const ort = await runOrtFloat(bytes, graph.inputs, samples);
  samples.forEach((sample, s) => {
    const ours = runFloat(graph, sample);
    for (const out of graph.outputs) {
      const want = ort[s].get(out.name)!;
      const got = ours.get(out.name)!;
      assert.deepEqual(got.shape, out.shape);
      assert.equal(got.data.length, want.length, out.name);
      want.forEach((w, i) => assert.ok(Math.abs(got.data[i] - w) <= 1e-5 * Math.max(1, Math.abs(w)), `${out.name}[${i}]: ours ${got.data[i]}, onnxruntime ${w}`));
    }
  });
}

/**
 * (b) The integer reference, dequantized, is within the static error bound of onnxruntime on 50
 * random in-range inputs (float32 rounding of onnxruntime allowed on top). Returns the model and the
 * worst observed error per output.
 */
async function checkQuantized(bytes: Uint8Array, graph: Graph, rng: Rng, c: Case): Promise<{ model: QuantizedModel; worst: number[] }> {
  const calibration = samplesFor(graph, rng, 24, c.range ?? [-1, 1]);
  const model = quantizeGraph(graph, parseSettings(c.settings ?? {}), calibration);
  const samples = Array.from({ length: 50 }, () => randomInRange(model, rng));
  const ort = await runOrtFloat(bytes, graph.inputs, samples);
  const worst = model.outputs.map(() => 0);
  samples.forEach((sample, s) => {
    const ints = runReference(model, quantizeSample(model, sample));
    model.outputs.forEach((o, j) => {
      const want = ort[s].get(o.name)!;
      ints[o.tensor].forEach((v, i) => {
        const got = Number(v) / 2 ** o.scaleBits;
        const err = Math.abs(got - want[i]);
        worst[j] = Math.max(worst[j], err);
        assert.ok(err <= o.errorBound + 1e-5 * Math.max(1, Math.abs(want[i])), `${o.name}[${i}]: integer model ${got}, onnxruntime ${want[i]}, error ${err} > bound ${o.errorBound}`);
      });
    });
  });
  return { model, worst };
}

let seed = 100;
async function checkCase(c: Case): Promise<{ model: QuantizedModel; graph: Graph; worst: number[] }> {
  const rng = seededRng(seed++);
  const bytes = build(c);
  const graph = loadOnnx(bytes);
  await checkFloat(bytes, graph, rng, c.range ?? [-1, 1]);
  const { model, worst } = await checkQuantized(bytes, graph, rng, c);
  return { model, graph, worst };
}

/** Integer input values of a model for one sample, and the reference output ints. */
function referenceOf(model: QuantizedModel, sample: InputSample): { inputs: Map<number, bigint[]>; out: bigint[] } {
  const inputs = quantizeSample(model, sample);
  return { inputs, out: runReference(model, inputs)[model.outputs[0].tensor] };
}

describe('max/min family: relu trees', () => {
  test('MaxPool 2x2 stride 2: float = onnxruntime, within the bound, and exactly the max of the quantized inputs', async () => {
    const c: Case = { inputs: { x: [1, 1, 4, 4] }, outputs: { y: [1, 1, 2, 2] }, nodes: one('MaxPool', { kernel_shape: [2, 2], strides: [2, 2] }) };
    const { model } = await checkCase(c);
    const rng = seededRng(7);
    for (let t = 0; t < 20; t++) {
      const { inputs, out } = referenceOf(model, randomInRange(model, rng));
      const q = inputs.get(model.inputs[0].tensor)!;
      const want = [0, 2, 8, 10].map((o) => [0, 1, 4, 5].map((k) => q[o + k]).reduce((a, b) => (a > b ? a : b)));
      assert.deepEqual(out, want);
    }
  });

  test('MaxPool with pads (padding never wins), dilations, auto_pad and 1-D windows', async () => {
    // All-negative inputs: a zero pad would win if padding were not skipped.
    await checkCase({ inputs: { x: [1, 2, 5, 5] }, nodes: one('MaxPool', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), range: [-2, -0.5] });
    await checkCase({ inputs: { x: [1, 1, 6, 6] }, outputs: { y: [1, 1, 2, 2] }, nodes: one('MaxPool', { kernel_shape: [2, 2], dilations: [2, 2], strides: [2, 2] }) });
    await checkCase({ inputs: { x: [1, 2, 5, 5] }, outputs: { y: [1, 2, 3, 3] }, nodes: one('MaxPool', { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_UPPER' }) });
    await checkCase({ inputs: { x: [1, 3, 7] }, outputs: { y: [1, 3, 3] }, nodes: one('MaxPool', { kernel_shape: [3], strides: [2] }) });
  });

  test('GlobalMaxPool', async () => {
    await checkCase({ inputs: { x: [1, 3, 3, 3] }, outputs: { y: [1, 3, 1, 1] }, nodes: one('GlobalMaxPool') });
  });

  test('Max and Min: n-ary, broadcasting, a constant operand, inputs at different scales', async () => {
    const nodes: NodeSpec[] = [
      { opType: 'Max', name: 'max', inputs: ['a', 'b', 'c'], outputs: ['m'] },
      { opType: 'Min', name: 'min', inputs: ['a', 'b'], outputs: ['n'] },
    ];
    const c: Case = {
      inputs: { a: [2, 3], b: [3] },
      outputs: { m: [2, 3], n: [2, 3] },
      nodes,
      inits: { c: { dims: [1], data: [0.3] } },
    };
    const rng = seededRng(seed++);
    const bytes = build(c);
    const graph = loadOnnx(bytes);
    await checkFloat(bytes, graph, rng, [-1, 1]);
    // a in [-1, 1], b in [-4, 4]: different input scales, aligned exactly.
    const calibration = Array.from(
      { length: 24 },
      () =>
        new Map([
          ['a', randomData(rng, 6, -1, 1)],
          ['b', randomData(rng, 3, -4, 4)],
        ]),
    );
    const model = quantizeGraph(graph, parseSettings({}), calibration);
    assert.notEqual(model.inputs[0].scaleBits, model.inputs[1].scaleBits);
    const samples = Array.from({ length: 50 }, () => randomInRange(model, rng));
    const ort = await runOrtFloat(bytes, graph.inputs, samples);
    samples.forEach((sample, s) => {
      const ints = runReference(model, quantizeSample(model, sample));
      for (const o of model.outputs) {
        ints[o.tensor].forEach((v, i) => {
          const want = ort[s].get(o.name)![i];
          assert.ok(Math.abs(Number(v) / 2 ** o.scaleBits - want) <= o.errorBound + 1e-6, `${o.name}[${i}]`);
        });
      }
    });
    await checkCase({ inputs: { x: [1, 4] }, nodes: one('Max') }); // one input: a copy
  });

  test('ReduceMax / ReduceMin: axes attribute, keepdims, all axes, opset-18 axes input', async () => {
    await checkCase({ inputs: { x: [2, 3, 4] }, outputs: { y: [2, 4] }, nodes: one('ReduceMax', { axes: [1], keepdims: 0 }) });
    await checkCase({ inputs: { x: [2, 3, 4] }, outputs: { y: [1, 1, 1] }, nodes: one('ReduceMin') });
    await checkCase({ inputs: { x: [2, 3, 4] }, outputs: { y: [2, 3, 1] }, nodes: one('ReduceMin', { axes: [-1] }) });
    await checkCase({
      inputs: { x: [2, 3, 4] },
      outputs: { y: [1, 3, 1] },
      opset: 18,
      nodes: [
        { opType: 'Constant', name: 'axes', inputs: [], outputs: ['axes'], attributes: { value_ints: [0, 2] } },
        { opType: 'ReduceMax', name: 'reducemax', inputs: ['x', 'axes'], outputs: ['y'] },
      ],
    });
  });

  test('refused: MaxPool ceil_mode, storage_order, the Indices output; all-padding windows', () => {
    const bad = (attributes: NodeSpec['attributes'], outputs = ['y']) =>
      build({ inputs: { x: [1, 1, 4, 4] }, outputs: Object.fromEntries(outputs.map((o) => [o, [1, 1, 2, 2]])), nodes: [{ opType: 'MaxPool', name: 'mp', inputs: ['x'], outputs, attributes }] });
    expectCode(() => loadOnnx(bad({ kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 })), 'ONNX_UNSUPPORTED_ATTRIBUTE', 'ceil_mode');
    expectCode(() => loadOnnx(bad({ kernel_shape: [2, 2], strides: [2, 2], storage_order: 1 })), 'ONNX_UNSUPPORTED_ATTRIBUTE', 'storage_order');
    expectCode(() => loadOnnx(bad({ kernel_shape: [2, 2], strides: [2, 2] }, ['y', 'idx'])), 'ONNX_UNSUPPORTED_ATTRIBUTE', 'Indices');
    expectCode(() => loadOnnx(bad({ kernel_shape: [2, 2], pads: [2, 2, 2, 2] })), 'ONNX_UNSUPPORTED_ATTRIBUTE', 'all-padding window');
  });
});

describe('exact piecewise-linear activations', () => {
  test('Clip (opset 13 inputs, ReLU6) is exactly clip of the quantized input', async () => {
    const c: Case = { inputs: { x: [1, 16] }, nodes: one('Clip', {}, ['lo', 'hi']), inits: { lo: { dims: [], data: [0] }, hi: { dims: [], data: [6] } }, range: [-8, 8] };
    const { model } = await checkCase(c);
    const s = model.inputs[0].scaleBits;
    const rng = seededRng(3);
    for (let t = 0; t < 20; t++) {
      const { inputs, out } = referenceOf(model, randomInRange(model, rng));
      const six = 6n << BigInt(s);
      assert.deepEqual(
        out,
        inputs.get(model.inputs[0].tensor)!.map((v) => (v < 0n ? 0n : v > six ? six : v)),
      );
    }
    assert.equal(model.outputs[0].errorBound, 2 ** -(s + 1), 'clip adds no error to the input rounding');
  });

  test('Clip: opset-6 attributes, min only, non-grid bounds, bounds beyond the range', async () => {
    await checkCase({ inputs: { x: [1, 16] }, nodes: one('Clip', { min: -0.3, max: 0.7 }), opset: 6 });
    await checkCase({ inputs: { x: [1, 16] }, nodes: one('Clip', {}, ['lo']), inits: { lo: { dims: [], data: [0.1] } } });
    await checkCase({ inputs: { x: [1, 16] }, nodes: one('Clip', {}, ['lo', 'hi']), inits: { lo: { dims: [], data: [-100] }, hi: { dims: [], data: [0.25] } } });
  });

  test('LeakyRelu, PRelu (per-channel slope), HardSigmoid, HardSwish, Abs', async () => {
    await checkCase({ inputs: { x: [1, 16] }, nodes: one('LeakyRelu', { alpha: 0.1 }), range: [-2, 2] });
    await checkCase({ inputs: { x: [1, 16] }, nodes: one('LeakyRelu'), range: [-2, 2] });
    await checkCase({ inputs: { x: [1, 3, 2, 2] }, nodes: one('PRelu', {}, ['slope']), inits: { slope: { dims: [3, 1, 1], data: [0.25, -0.5, 1.5] } }, range: [-2, 2] });
    await checkCase({ inputs: { x: [1, 16] }, nodes: one('HardSigmoid', { alpha: 0.25, beta: 0.4 }), range: [-4, 4] });
    await checkCase({ inputs: { x: [1, 16] }, nodes: one('HardSigmoid'), range: [-4, 4] });
    await checkCase({ inputs: { x: [1, 16] }, nodes: one('HardSwish'), opset: 14, range: [-5, 5] });
    const { model } = await checkCase({ inputs: { x: [1, 16] }, nodes: one('Abs'), range: [-2, 2] });
    assert.equal(model.outputs[0].errorBound, 2 ** -(model.inputs[0].scaleBits + 1));
  });

  test('Clip(x, "", max): the omitted min keeps its position (max only), as onnxruntime reads it', async () => {
    const { model } = await checkCase({ inputs: { x: [1, 4] }, nodes: one('Clip', {}, ['', 'hi']), inits: { hi: { dims: [], data: [0.25] } } });
    assert.equal(model.layers.length > 0, true);
  });

  test('refused: a run-time Clip bound, a run-time PRelu slope', () => {
    const clipVar = build({ inputs: { x: [1, 4], lo: [] }, nodes: one('Clip', {}, ['lo']) });
    expectCode(() => loadOnnx(clipVar), 'ONNX_UNSUPPORTED_ATTRIBUTE', 'run-time min');
    const preluVar = build({ inputs: { x: [1, 4], s: [4] }, nodes: one('PRelu', {}, ['s']) });
    expectCode(() => loadOnnx(preluVar), 'ONNX_UNSUPPORTED_ATTRIBUTE', 'run-time slope');
  });
});

const SMOOTH: Array<{ op: string; attributes?: NodeSpec['attributes']; opset?: number }> = [
  { op: 'Sigmoid' },
  { op: 'Tanh' },
  { op: 'Softplus' },
  { op: 'Elu', attributes: { alpha: 0.7 } },
  { op: 'Selu' },
  { op: 'Celu', attributes: { alpha: 1.3 }, opset: 12 },
  { op: 'Gelu', opset: 20 },
  { op: 'Gelu', attributes: { approximate: 'tanh' }, opset: 20 },
];

describe('smooth activations: piecewise-linear with a measured bound', () => {
  test('every fit over [-8, 8) at 2^-8 meets the target error within the segment budget', () => {
    for (const { op, attributes } of SMOOTH) {
      const fn = smoothFunction({ name: op, opType: op, inputs: [], outputs: [], attributes: (attributes ?? {}) as never });
      const fit = fitPwl(fn, -2048n, 2047n, 8, { center: true });
      assert.ok(fit.segments <= PWL_MAX_SEGMENTS, `${fn.name}: ${fit.segments} segments`);
      assert.ok(fit.error <= PWL_TARGET_ERROR, `${fn.name}: error ${fit.error}`);
    }
  });

  test('the swept deviation is exactly the extremes of A(X)/2^(s+w) − f over every grid point (brute force)', () => {
    for (const { op, attributes } of SMOOTH) {
      const fn = smoothFunction({ name: op, opType: op, inputs: [], outputs: [], attributes: (attributes ?? {}) as never });
      for (const [lo, hi, s] of [
        [-2048n, 2047n, 8],
        [-300n, 5000n, 10],
      ] as const) {
        const fit = fitPwl(fn, lo, hi, s);
        const acc = 2 ** (s + fit.coefScale);
        let min = Infinity;
        let max = -Infinity;
        for (let X = lo; X <= hi; X++) {
          const dev = Number(evalPwl(fit, X)) / acc - fn.f(Number(X) / 2 ** s);
          min = Math.min(min, dev);
          max = Math.max(max, dev);
        }
        assert.equal(fit.minDev, min, `${fn.name} on [${lo}, ${hi}] at 2^-${s}: smallest deviation`);
        assert.equal(fit.maxDev, max, `${fn.name} on [${lo}, ${hi}] at 2^-${s}: largest deviation`);
      }
    }
  });

  test("each declared Lipschitz constant bounds |f'| (finite differences over [-20, 20])", () => {
    for (const { op, attributes } of SMOOTH) {
      const fn = smoothFunction({ name: op, opType: op, inputs: [], outputs: [], attributes: (attributes ?? {}) as never });
      const L = fn.lipschitz(-20, 20);
      for (let x = -20; x <= 20; x += 1 / 512) {
        const slope = Math.abs(fn.f(x + 1e-6) - fn.f(x - 1e-6)) / 2e-6;
        assert.ok(slope <= L + 1e-6, `${fn.name}: |f'(${x})| = ${slope} > ${L}`);
      }
    }
  });

  test('the measured error is a true bound, also over huge ranges (sampled sweep + analytic tails)', () => {
    const rng = seededRng(11);
    for (const { op, attributes } of SMOOTH) {
      const fn = smoothFunction({ name: op, opType: op, inputs: [], outputs: [], attributes: (attributes ?? {}) as never });
      const s = 12;
      const lo = -(1n << 26n);
      const hi = 1n << 25n;
      const fit = fitPwl(fn, lo, hi, s, { center: true });
      const acc = 2 ** (s + fit.coefScale);
      const xs = [lo, hi, 0n, ...fit.breaks.map((b) => b.t)];
      for (let i = 0; i < 3000; i++) xs.push(BigInt(Math.round(rng.uniform(-12, 12) * 2 ** s)));
      for (let i = 0; i < 300; i++) xs.push(BigInt(Math.round(rng.uniform(Number(lo), Number(hi)))));
      for (const X of xs) {
        const A = evalPwl(fit, X);
        const dev = Math.abs(Number(A) / acc - fn.f(Number(X) / 2 ** s));
        assert.ok(dev <= fit.error, `${fn.name} at ${Number(X) / 2 ** s}: ${dev} > ${fit.error}`);
        assert.ok(A >= fit.range.lo && A <= fit.range.hi, `${fn.name}: A(${X}) outside the proven range`);
      }
    }
  });

  for (const { op, attributes, opset } of SMOOTH) {
    const label = `${op}${attributes?.approximate ? ` (${attributes.approximate})` : ''}`;
    test(`${label}: float = onnxruntime; integer model within its bound, after a Gemm too`, async () => {
      const { model, worst } = await checkCase({ inputs: { x: [1, 16] }, nodes: one(op, attributes), opset, range: [-6, 6], settings: { inputBits: 10 } });
      assert.ok(model.outputs[0].errorBound < 0.05, `${label}: bound ${model.outputs[0].errorBound}`);
      assert.ok(worst[0] <= model.outputs[0].errorBound);
      // Behind a Gemm the input range comes from the bound analysis (wider than calibration).
      await checkCase({
        inputs: { x: [1, 4] },
        outputs: { y: [1, 3] },
        nodes: [
          { opType: 'Gemm', name: 'g', inputs: ['x', 'W', 'b'], outputs: ['h'], attributes: { transB: 1 } },
          { opType: op, name: 'act', inputs: ['h'], outputs: ['y'], attributes },
        ],
        inits: { W: { dims: [3, 4], data: [0.5, -1, 0.25, 2, -0.75, 1, 1.5, -0.5, 1, 1, -1, 0.3] }, b: { dims: [3], data: [0.1, -0.2, 0.3] } },
        opset,
        range: [-1, 1],
      });
    });
  }
});

describe('Softmax', () => {
  test('float = onnxruntime; integer model within its bound; monotone (argmax preserved)', async () => {
    const { model } = await checkCase({ inputs: { x: [1, 10] }, nodes: one('Softmax'), range: [-4, 4] });
    assert.ok(model.outputs[0].errorBound < 0.05, `bound ${model.outputs[0].errorBound}`);
    const rng = seededRng(5);
    for (let t = 0; t < 30; t++) {
      const { inputs, out } = referenceOf(model, randomInRange(model, rng));
      const q = inputs.get(model.inputs[0].tensor)!;
      for (let i = 0; i < q.length; i++) for (let j = 0; j < q.length; j++) if (q[i] > q[j]) assert.ok(out[i] >= out[j], 'softmax keeps the order');
    }
  });

  test('axis over a middle dimension, opset 11 default axis on [1, n], and a Gemm head', async () => {
    await checkCase({ inputs: { x: [2, 4, 1] }, nodes: one('Softmax', { axis: 1 }), range: [-3, 3] });
    await checkCase({ inputs: { x: [1, 6] }, nodes: one('Softmax'), opset: 11, range: [-3, 3] });
    await checkCase({
      inputs: { x: [1, 4] },
      outputs: { y: [1, 3] },
      nodes: [
        { opType: 'Gemm', name: 'g', inputs: ['x', 'W'], outputs: ['h'], attributes: { transB: 1 } },
        { opType: 'Softmax', name: 'sm', inputs: ['h'], outputs: ['y'] },
      ],
      inits: { W: { dims: [3, 4], data: [0.5, -1, 0.25, 2, -0.75, 1, 1.5, -0.5, 1, 1, -1, 0.3] } },
    });
  });

  test('refused: an axis whose meaning changed at opset 13', () => {
    expectCode(() => loadOnnx(build({ inputs: { x: [1, 3, 4] }, nodes: one('Softmax', { axis: 1 }) })), 'ONNX_UNSUPPORTED_ATTRIBUTE');
  });
});

/** Compiles the circuit; witnesses equal the integer reference; a changed output breaks the R1CS. */
async function checkCircuit(c: Case, expectConstraints?: number): Promise<void> {
  const dir = makeTempDir('nonlinear');
  try {
    const bytes = build(c);
    const graph = loadOnnx(bytes);
    const rng = seededRng(seed++);
    const onnxPath = path.join(dir, 'model.onnx');
    fs.writeFileSync(onnxPath, bytes);
    const calibration = { samples: samplesFor(graph, rng, 16, c.range ?? [-1, 1]).map((s) => Object.fromEntries([...s].map(([k, v]) => [k, Array.from(v)]))) };
    const result = await compileModel(onnxPath, path.join(dir, 'build'), { calibration, settings: c.settings });
    assert.equal(result.constraints, result.report.predictedConstraints, 'predicted constraints = r1cs');
    if (expectConstraints !== undefined) assert.equal(result.constraints, expectConstraints);
    const { model } = readCompiled(result.buildDir);
    const r1cs = loadR1cs(artifactPath(result.buildDir, 'r1cs'));
    const size = model.tensors[model.outputs[0].tensor].size;
    for (let t = 0; t < 4; t++) {
      const q = quantizeSample(model, randomInRange(model, rng));
      const want = runReference(model, q)[model.outputs[0].tensor];
      const witness = await computeWitness(circuitInput(model, q), artifactPath(result.buildDir, 'wasm'));
      assert.deepEqual(verifyWitness(r1cs, witness), { ok: true });
      const got = witness.slice(1, 1 + size).map((v) => (v > BN254_R / 2n ? v - BN254_R : v));
      assert.deepEqual(got, want);
      for (const wire of [1, size]) {
        const mutated = witness.slice();
        mutated[wire] = (mutated[wire] + 1n) % BN254_R;
        assert.equal(verifyWitness(r1cs, mutated).ok, false, `output wire ${wire} + 1 is rejected`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('circuits', () => {
  test('MaxPool 2x2 on 1x1x4x4: 16·8 input bits + 4 windows · 3 relus · (8 + 2) = 248 constraints', async () => {
    // Signed 8-bit inputs: b − a ∈ [−255, 255] needs m = 8, at both tree levels (the max is exact).
    await checkCircuit({ inputs: { x: [1, 1, 4, 4] }, outputs: { y: [1, 1, 2, 2] }, nodes: one('MaxPool', { kernel_shape: [2, 2], strides: [2, 2] }) }, 248);
  });

  test('Clip (ReLU6) circuit', async () => {
    await checkCircuit({ inputs: { x: [1, 8] }, nodes: one('Clip', {}, ['lo', 'hi']), inits: { lo: { dims: [], data: [0] }, hi: { dims: [], data: [6] } }, range: [-8, 8] });
  });

  test('Sigmoid circuit', async () => {
    await checkCircuit({ inputs: { x: [1, 4] }, nodes: one('Sigmoid'), range: [-8, 8] });
  });
});
