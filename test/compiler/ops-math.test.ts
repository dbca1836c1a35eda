/**
 * Math ops (issue 14, item 3): Exp, Log, Sqrt, Reciprocal, Pow, Erf, Sin, Cos, Tan, Asin, Acos,
 * Atan, Mish, Softsign, and Div by a computed value. For each: float semantics equal onnxruntime's;
 * the declared |f'| bounds hold; the measured approximation error is a true bound; the integer model
 * stays within its static error bound of onnxruntime on random in-range inputs; a range where the
 * function is undefined or unbounded is refused as FUNCTION_UNBOUNDED; circuits equal the integer
 * reference, refuse a changed output, and their constraint counts are pinned.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Graph } from '../../src/formats/graph';
import { sizeOf } from '../../src/formats/graph';
import type { InputSample } from '../../src/formats/input-document';
import type { QuantizedModel } from '../../src/formats/quantized-model';
import { CompileSettings, parseSettings } from '../../src/formats/settings';
import { loadOnnx } from '../../src/onnx/load';
import { mathFunction } from '../../src/onnx/ops/math';
import { smoothFunction } from '../../src/onnx/ops/smooth';
import { NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { runFloat } from '../../src/quantize/float-executor';
import { evalPwl, fitPwl } from '../../src/quantize/lower/pwl';
import { quantizeGraph } from '../../src/quantize/quantize';
import { checkCompiledCircuit } from '../helpers/compiled-circuit-check';
import { expectCode, randomInRange, Rng, runOrtFloat, seededRng } from '../helpers/onnx-builders';
import { assertWithinStaticBound } from '../helpers/within-static-bound';

interface Case {
  nodes: NodeSpec[];
  /** Inputs (default x: [1, 8]); the output is y, shaped like x. */
  inputs?: Record<string, number[]>;
  inits?: Record<string, { dims: number[]; data: number[] }>;
  opset?: number;
  range: [number, number];
  settings?: Partial<CompileSettings>;
}

const node = (opType: string, inputs: string[], output: string): NodeSpec => ({ opType, name: `${opType.toLowerCase()}_${output}`, inputs, outputs: [output], attributes: {} });

function build(c: Case): Uint8Array {
  const inputs = c.inputs ?? { x: [1, 8] };
  return writeOnnx({
    name: 'ops-math',
    opset: c.opset ?? 18,
    inputs: Object.entries(inputs).map(([name, shape]) => ({ name, elemType: 'float32', shape })),
    outputs: [{ name: 'y', elemType: 'float32', shape: Object.values(inputs)[0] }],
    initializers: Object.entries(c.inits ?? {}).map(([name, t]) => ({ name, dims: t.dims, data: Float32Array.from(t.data) })),
    nodes: c.nodes,
  });
}

function samples(graph: Graph, rng: Rng, n: number, [lo, hi]: [number, number]): InputSample[] {
  return Array.from({ length: n }, () => new Map(graph.inputs.map((i) => [i.name, Float64Array.from({ length: sizeOf(i.shape) }, () => Math.fround(rng.uniform(lo, hi)))])));
}

let seed = 300;

/** Float = onnxruntime; the integer model within its bound of onnxruntime on 40 in-range inputs. */
async function checkCase(c: Case): Promise<{ model: QuantizedModel; worst: number }> {
  const rng = seededRng(seed++);
  const bytes = build(c);
  const graph = loadOnnx(bytes);
  const floatSamples = samples(graph, rng, 6, c.range);
  const ortFloat = await runOrtFloat(bytes, graph.inputs, floatSamples);
  floatSamples.forEach((s, k) => {
    const want = ortFloat[k].get('y')!;
    const got = runFloat(graph, s).get('y')!.data;
    want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) <= 1e-5 * Math.max(1, Math.abs(w)), `float y[${i}]: ours ${got[i]}, onnxruntime ${w}`));
  });
  const model = quantizeGraph(graph, parseSettings(c.settings ?? {}), samples(graph, rng, 24, c.range));
  const inRange = Array.from({ length: 40 }, () => randomInRange(model, rng));
  const worst = await assertWithinStaticBound(bytes, graph.inputs, model, inRange, (w) => 1e-5 * Math.max(1, Math.abs(w)));
  return { model, worst };
}

const fn = (opType: string, exponent?: number) => mathFunction({ name: opType, opType, inputs: [], outputs: [], attributes: {} }, exponent);

/** Each function on an interval inside its domain (Tan between its poles, Asin/Acos inside ±1). */
const INTERVALS: Array<[string, number, number, number?]> = [
  ['Exp', -6, 3],
  ['Log', 0.05, 20],
  ['Sqrt', 0.01, 20],
  ['Reciprocal', 0.1, 10],
  ['Reciprocal', -10, -0.1],
  ['Erf', -5, 5],
  ['Sin', -10, 10],
  ['Cos', -10, 10],
  ['Tan', -1.4, 1.4],
  ['Asin', -0.999, 0.999],
  ['Acos', -0.999, 0.999],
  ['Atan', -20, 20],
  ['Mish', -20, 20],
  ['Softsign', -20, 20],
  ['Pow', 0.01, 4, 0.5],
  ['Pow', 0.2, 4, -1.5],
  ['Pow', 0, 4, 2.5],
];

describe('math functions: declared bounds and measured fits', () => {
  test("each declared |f'| bound holds (finite differences), and propagate bounds |f(x) − f(x̂)|", () => {
    for (const [op, lo, hi, p] of INTERVALS) {
      const f = fn(op, p);
      const L = f.lipschitz(lo, hi);
      for (let x = lo + 1e-5; x <= hi - 1e-5; x += (hi - lo) / 4000) {
        const slope = Math.abs(f.f(x + 1e-7) - f.f(x - 1e-7)) / 2e-7;
        assert.ok(slope <= L * (1 + 1e-6) + 1e-6, `${f.name}: |f'(${x})| = ${slope} > ${L}`);
      }
      if (f.propagate) {
        const e = (hi - lo) / 64;
        for (let x = lo; x <= hi; x += (hi - lo) / 500) {
          for (const d of [-e, e]) {
            const y = Math.min(hi + e, Math.max(lo - e, x + d));
            if (!Number.isFinite(f.f(y))) continue;
            assert.ok(Math.abs(f.f(y) - f.f(x)) <= f.propagate(e, lo, hi) + 1e-12, `${f.name}: propagate(${e}) at ${x}`);
          }
        }
      }
    }
  });

  test('the centred modulus of Sigmoid, Tanh, Erf, Atan, Softsign bounds |f(x) − f(x̂)| for every e, below L·e and the range of f', () => {
    const fns = [
      smoothFunction({ name: 's', opType: 'Sigmoid', inputs: [], outputs: [], attributes: {} }),
      smoothFunction({ name: 't', opType: 'Tanh', inputs: [], outputs: [], attributes: {} }),
      fn('Erf'),
      fn('Atan'),
      fn('Softsign'),
    ];
    for (const f of fns) {
      for (const e of [1e-3, 0.05, 0.5, 2, 10, 100]) {
        const bound = f.propagate!(e, -50, 50);
        assert.ok(bound <= f.lipschitz(-50, 50) * e + 1e-15, `${f.name}: modulus(${e}) <= L·e`);
        for (let x = -60; x <= 60; x += 0.01) assert.ok(Math.abs(f.f(x + e) - f.f(x)) <= bound + 1e-12, `${f.name}: |f(${x} + ${e}) − f(${x})| > ${bound}`);
      }
    }
  });

  test('the measured error is a true bound at every integer of the range, and the range of A is proven', () => {
    const rng = seededRng(17);
    for (const [op, lo, hi, p] of INTERVALS) {
      const f = fn(op, p);
      const s = 9;
      const [L, H] = [BigInt(Math.ceil(lo * 2 ** s)), BigInt(Math.floor(hi * 2 ** s))];
      const fit = fitPwl(f, L, H, s, { center: true });
      assert.ok(Number.isFinite(fit.error), `${f.name}: finite error`);
      const acc = 2 ** (s + fit.coefScale);
      const xs = [L, H, ...fit.breaks.map((b) => b.t).filter((t) => t >= L && t <= H)];
      for (let i = 0; i < 2000; i++) xs.push(BigInt(Math.round(rng.uniform(Number(L), Number(H)))));
      for (const X of xs) {
        const A = evalPwl(fit, X);
        const dev = Math.abs(Number(A) / acc - f.f(Number(X) / 2 ** s));
        assert.ok(dev <= fit.error, `${f.name} at ${Number(X) / 2 ** s}: ${dev} > ${fit.error}`);
        assert.ok(A >= fit.range.lo && A <= fit.range.hi, `${f.name}: A(${X}) outside the proven range`);
      }
    }
  });
});

describe('math ops: float = onnxruntime, integer model within its static bound', () => {
  const unary: Array<[string, [number, number], number?]> = [
    ['Exp', [-2, 2], 0.08],
    ['Erf', [-3, 3], 0.02],
    ['Sin', [-4, 4], 0.03],
    ['Cos', [-4, 4], 0.03],
    ['Tan', [-0.9, 0.9], 0.2],
    ['Asin', [-0.9, 0.9]],
    ['Acos', [-0.9, 0.9]],
    ['Atan', [-6, 6], 0.05],
    ['Mish', [-6, 6], 0.05],
    ['Softsign', [-6, 6], 0.05],
    ['Sqrt', [0, 4], 0.1],
  ];
  for (const [op, range, maxBound] of unary) {
    test(`${op} over [${range}]`, async () => {
      const { model, worst } = await checkCase({ nodes: [node(op, ['x'], 'y')], range, settings: { inputBits: 10 } });
      assert.ok(worst <= model.outputs[0].errorBound);
      if (maxBound !== undefined) assert.ok(model.outputs[0].errorBound < maxBound, `${op}: bound ${model.outputs[0].errorBound}`);
    });
  }

  test('Log, Reciprocal, Sqrt and Pow(x, −0.5) of a positive computed value (a sigmoid)', async () => {
    for (const op of ['Log', 'Reciprocal', 'Sqrt']) {
      await checkCase({ nodes: [node('Sigmoid', ['x'], 's'), node(op, ['s'], 'y')], range: [-3, 3], settings: { inputBits: 10 } });
    }
    await checkCase({ nodes: [node('Sigmoid', ['x'], 's'), node('Pow', ['s', 'p'], 'y')], inits: { p: { dims: [], data: [-0.5] } }, range: [-3, 3] });
  });

  test('Pow: integer exponents are exact products (0 … 3), fractional ones approximated', async () => {
    for (const p of [0, 1, 2, 3]) {
      const { model } = await checkCase({ nodes: [node('Pow', ['x', 'p'], 'y')], inits: { p: { dims: [1], data: [p] } }, range: [-2, 2] });
      const products = model.layers.reduce((n, l) => n + l.rows.reduce((k, r) => k + r.products.length, 0), 0);
      assert.equal(products, Math.max(0, p - 1) * 8, `x^${p}: ${products} products`);
    }
    await checkCase({ nodes: [node('Pow', ['x', 'p'], 'y')], inits: { p: { dims: [], data: [1.5] } }, range: [0, 3] });
  });

  test('Div by a computed value: softsign x / (1 + |x|), and x / exp(z)', async () => {
    await checkCase({ nodes: [node('Abs', ['x'], 'a'), node('Add', ['a', 'one'], 'd'), node('Div', ['x', 'd'], 'y')], inits: { one: { dims: [], data: [1] } }, range: [-4, 4] });
    await checkCase({ nodes: [node('Exp', ['z'], 'e'), node('Div', ['x', 'e'], 'y')], inputs: { x: [1, 6], z: [1, 6] }, range: [-1, 1] });
  });
});

describe('LogSoftmax', () => {
  test('float = onnxruntime; integer model within its bound, for rows of 10 and of 4 (axis −1 of [1, 3, 4])', async () => {
    const { model } = await checkCase({ nodes: [node('LogSoftmax', ['x'], 'y')], inputs: { x: [1, 10] }, range: [-4, 4], settings: { inputBits: 10 } });
    assert.ok(model.outputs[0].errorBound < 0.1, `bound ${model.outputs[0].errorBound}`);
    await checkCase({ nodes: [{ ...node('LogSoftmax', ['x'], 'y'), attributes: { axis: -1 } }], inputs: { x: [1, 3, 4] }, range: [-2, 2] });
  });
});

describe('math ops: refused where the function is undefined or unbounded', () => {
  const quantize = (c: Case) => () => quantizeGraph(loadOnnx(build(c)), parseSettings({}), samples(loadOnnx(build(c)), seededRng(5), 8, c.range));
  test('FUNCTION_UNBOUNDED names the node, the function and the range', () => {
    const cases: Array<[string, Case]> = [
      ['Log of [−1, 1]', { nodes: [node('Log', ['x'], 'y')], range: [-1, 1] }],
      ['Log of [0, 1] (0 included)', { nodes: [node('Log', ['x'], 'y')], range: [0, 1] }],
      ['Sqrt of [−1, 1]', { nodes: [node('Sqrt', ['x'], 'y')], range: [-1, 1] }],
      ['Tan of [−2, 2] (π/2 inside)', { nodes: [node('Tan', ['x'], 'y')], range: [-2, 2] }],
      ['Asin of [−2, 2]', { nodes: [node('Asin', ['x'], 'y')], range: [-2, 2] }],
      ['Pow(x, 0.5) of [−1, 1]', { nodes: [node('Pow', ['x', 'p'], 'y')], inits: { p: { dims: [], data: [0.5] } }, range: [-1, 1] }],
      ['Pow(x, −0.5) of [−1, 1]', { nodes: [node('Pow', ['x', 'p'], 'y')], inits: { p: { dims: [], data: [-0.5] } }, range: [-1, 1] }],
    ];
    for (const [what, c] of cases) {
      const err = expectCode(quantize(c), 'FUNCTION_UNBOUNDED', what);
      assert.ok(err.details?.node, `${what}: names the node`);
      assert.match(err.message, /range/, what);
    }
  });

  test('a Pow exponent computed at run time is refused at ingest, also with a constant base', () => {
    const bytes = build({ nodes: [node('Pow', ['x', 'z'], 'y')], inputs: { x: [1, 4], z: [1, 4] }, range: [0, 1] });
    expectCode(() => loadOnnx(bytes), 'ONNX_UNSUPPORTED_OP', 'run-time exponent');
    const constantBase = build({ nodes: [node('Pow', ['c', 'x'], 'y')], inits: { c: { dims: [], data: [2] } }, range: [0, 1] });
    expectCode(() => loadOnnx(constantBase), 'ONNX_UNSUPPORTED_OP', 'constant base, run-time exponent');
  });
});

/** Compiles the circuit and checks it (test/helpers/compiled-circuit-check.ts). */
async function checkCircuit(c: Case, expectConstraints: number): Promise<void> {
  const bytes = build(c);
  const graph = loadOnnx(bytes);
  const rng = seededRng(seed++);
  const calibration = samples(graph, rng, 16, c.range).map((s) => Object.fromEntries([...s].map(([k, v]) => [k, Array.from(v)])));
  await checkCompiledCircuit({ bytes, samples: calibration, expectConstraints, rng, label: 'math', settings: c.settings });
}

describe('math circuits', () => {
  test('Exp circuit', async () => {
    await checkCircuit({ nodes: [node('Exp', ['x'], 'y')], inputs: { x: [1, 4] }, range: [-2, 2] }, 236);
  });
  test('Pow(x, 3) circuit: two products', async () => {
    await checkCircuit({ nodes: [node('Pow', ['x', 'p'], 'y')], inputs: { x: [1, 4] }, inits: { p: { dims: [], data: [3] } }, range: [-2, 2] }, 172);
  });
  test('Div by a computed value (softsign) circuit', async () => {
    await checkCircuit(
      { nodes: [node('Abs', ['x'], 'a'), node('Add', ['a', 'one'], 'd'), node('Div', ['x', 'd'], 'y')], inputs: { x: [1, 4] }, inits: { one: { dims: [], data: [1] } }, range: [-4, 4] },
      300,
    );
  });
});
