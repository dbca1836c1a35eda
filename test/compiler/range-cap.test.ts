/**
 * The range cap on the static error bound (issue 14, item 7; docs/activations.md): a function's
 * output error is at most its spread over where the quantized and the float input both lie, and a
 * tensor whose float value has a known range (a Clip's, a Softmax's, f's image) is never off by
 * more than that range allows. Asin/Acos of a quantized value that strays past ±1 while the float
 * value provably stays inside are evaluated clamped. Each case: the images are exact, the new bound
 * is finite and far below the old one, and the integer reference stays within it of onnxruntime.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Graph } from '../../src/formats/graph';
import { sizeOf } from '../../src/formats/graph';
import type { InputSample } from '../../src/formats/input-document';
import { parseSettings } from '../../src/formats/settings';
import { loadOnnx } from '../../src/onnx/load';
import { mathFunction } from '../../src/onnx/ops/math';
import { imageOf, sineImage, smoothFunction } from '../../src/onnx/ops/smooth';
import { NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { quantizeGraph } from '../../src/quantize/quantize';
import { expectCode, randomInRange, seededRng } from '../helpers/onnx-builders';
import { assertWithinStaticBound } from '../helpers/within-static-bound';

const node = (opType: string, inputs: string[], output: string, attributes: NodeSpec['attributes'] = {}): NodeSpec => ({ opType, name: `${opType}_${output}`, inputs, outputs: [output], attributes });
const spec = (opType: string) => ({ name: opType, opType, inputs: [], outputs: [], attributes: {} });

function build(nodes: NodeSpec[], shape: number[], outShape: number[], inits: Record<string, { dims: number[]; data: number[] }> = {}): Uint8Array {
  return writeOnnx({
    name: 'range-cap',
    opset: 18,
    inputs: [{ name: 'x', elemType: 'float32', shape }],
    outputs: [{ name: 'y', elemType: 'float32', shape: outShape }],
    initializers: Object.entries(inits).map(([name, t]) => ({ name, dims: t.dims, data: Float32Array.from(t.data) })),
    nodes,
  });
}

/** Compiles with calibration in [lo, hi]; the reference within the bound of onnxruntime on 60 in-range inputs. */
async function withinBound(bytes: Uint8Array, [lo, hi]: [number, number], seed: number): Promise<{ bound: number; worst: number }> {
  const rng = seededRng(seed);
  const graph: Graph = loadOnnx(bytes);
  const samples = (n: number): InputSample[] =>
    Array.from({ length: n }, () => new Map(graph.inputs.map((i) => [i.name, Float64Array.from({ length: sizeOf(i.shape) }, () => Math.fround(rng.uniform(lo, hi)))])));
  const model = quantizeGraph(graph, parseSettings({}), samples(24));
  const inputs = Array.from({ length: 60 }, () => randomInRange(model, rng));
  const worst = await assertWithinStaticBound(bytes, graph.inputs, model, inputs, (w) => 1e-5 * Math.max(1, Math.abs(w)));
  return { bound: model.outputs[0].errorBound, worst };
}

describe('function images', () => {
  test('imageOf is the exact image: ends of monotone functions, crests and troughs of Sin and Cos', () => {
    const dense = (f: (x: number) => number, lo: number, hi: number) => {
      let a = Infinity;
      let b = -Infinity;
      for (let i = 0; i <= 20000; i++) {
        const v = f(lo + ((hi - lo) * i) / 20000);
        a = Math.min(a, v);
        b = Math.max(b, v);
      }
      return { lo: a, hi: b };
    };
    const cases: Array<[string, number, number]> = [
      ['Sin', -0.3, 0.9],
      ['Sin', 1, 2.5],
      ['Sin', -5, -1],
      ['Cos', -0.5, 0.4],
      ['Cos', 2, 4],
      ['Exp', -3, 2],
      ['Acos', -0.7, 0.95],
      ['Atan', -4, 4],
      ['Tan', -1.2, 1.3],
    ];
    for (const [op, lo, hi] of cases) {
      const fn = mathFunction(spec(op));
      const got = imageOf(fn, lo, hi)!;
      const want = dense(fn.f, lo, hi);
      assert.ok(got.lo <= want.lo + 1e-12 && got.hi >= want.hi - 1e-12, `${op} [${lo}, ${hi}]: ${JSON.stringify(got)} misses ${JSON.stringify(want)}`);
      assert.ok(got.lo > want.lo - 1e-6 && got.hi < want.hi + 1e-6, `${op} [${lo}, ${hi}]: ${JSON.stringify(got)} is not tight`);
    }
    assert.deepEqual(sineImage(0, 7), { lo: -1, hi: 1 });
    assert.equal(imageOf(mathFunction(spec('Tan')), 1, 2), undefined, 'a pole inside: no image');
    assert.equal(imageOf(mathFunction(spec('Sqrt')), -0.1, 1), undefined, 'outside the domain: no image');
    assert.equal(imageOf(smoothFunction(spec('Gelu')), -1, 1), undefined, 'not monotone, no image: no cap');
  });
});

describe('range cap: bounds that were huge are now finite, and hold', () => {
  test('LayerNormalization feeding a MatMul: the clamped normalised values cap the error (was 1.8e8, now 11)', async () => {
    const w = [0.5, -0.25, 0.75, 1, -0.5, 0.25, 0.125, 0.5, -1, 0.25, 0.5, -0.75];
    const bytes = build([node('LayerNormalization', ['x', 'g'], 'n', { axis: -1, epsilon: 1e-5 }), node('MatMul', ['n', 'w'], 'y')], [1, 2, 4], [1, 2, 3], {
      g: { dims: [4], data: [1, 1, 1, 1] },
      w: { dims: [4, 3], data: w },
    });
    const { bound, worst } = await withinBound(bytes, [-2, 2], 71);
    // |n| <= √4 in float and after the clamp: each n is off by at most 4, each y by Σ|w|·4 (about 8).
    assert.ok(bound < 12, `bound ${bound}`);
    assert.ok(worst < bound);
  });

  test('Softmax feeding a MatMul: its outputs are off by at most 1 (their span), and the bound holds', async () => {
    const w = [2, -1, 0.5, 1, -2, 0.25, 1, 1, -0.5, 0.75, 0.5, -1];
    const bytes = build([node('Mul', ['x', 'k'], 'z'), node('Softmax', ['z'], 's', { axis: -1 }), node('MatMul', ['s', 'w'], 'y')], [1, 4], [1, 3], {
      k: { dims: [], data: [40] },
      w: { dims: [4, 3], data: w },
    });
    const { bound } = await withinBound(bytes, [-1, 1], 72);
    assert.ok(bound <= 4 * 2 + 0.1, `bound ${bound}`);
  });

  test('Sin of a value with a large error: at most its spread, not L·e (was 15.1)', async () => {
    const bytes = build([node('Mul', ['x', 'k'], 'z'), node('Sin', ['z'], 'y')], [1, 8], [1, 8], { k: { dims: [], data: [900] } });
    const { bound } = await withinBound(bytes, [-1, 1], 73);
    assert.ok(bound < 2.2, `bound ${bound}`);
  });
});

describe('tests decided by the bounds', () => {
  test('Sign and Less of a value whose float interval stays on one side of the threshold: error 0, not 1', async () => {
    const bytes = build([node('Add', ['x', 'k'], 'z'), node('Sign', ['z'], 's'), node('Less', ['z', 'c'], 'l'), node('Cast', ['l'], 'f', { to: 1 }), node('Add', ['s', 'f'], 'y')], [1, 8], [1, 8], {
      k: { dims: [], data: [3] },
      c: { dims: [], data: [0.5] },
    });
    const { bound, worst } = await withinBound(bytes, [-1, 1], 76);
    assert.equal(bound, 0);
    assert.equal(worst, 0);
  });
});

describe('Asin, Acos of an approximation that strays past ±1', () => {
  test('Acos(Cos(x)), Asin(Tanh(x)): evaluated clamped, within the bound of onnxruntime', async () => {
    for (const [inner, outer, seed] of [
      ['Cos', 'Acos', 74],
      ['Tanh', 'Asin', 75],
    ] as const) {
      const bytes = build([node(inner, ['x'], 'c'), node(outer, ['c'], 'y')], [1, 8], [1, 8]);
      const { bound } = await withinBound(bytes, [-3, 3], seed);
      assert.ok(Number.isFinite(bound) && bound < 2, `${outer}(${inner}): bound ${bound}`);
    }
  });

  test('a float input that can leave [−1, 1] is still refused, naming both ranges', () => {
    const bytes = build([node('Mul', ['x', 'k'], 'c'), node('Acos', ['c'], 'y')], [1, 8], [1, 8], { k: { dims: [], data: [1.5] } });
    const graph = loadOnnx(bytes);
    const err = expectCode(() => quantizeGraph(graph, parseSettings({ inputRange: [-1, 1] })), 'FUNCTION_UNBOUNDED');
    assert.match(err.message, /Acos_y/);
  });
});
