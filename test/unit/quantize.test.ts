/**
 * Quantization: scale choice, input ranges, bound analysis and gadget choice, the integer reference,
 * the static error bound against float64 and onnxruntime, input files and the field codec.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadMnistSplit } from '../../models/mnist-mlp/dataset';
import type { ValueInfo } from '../../src/formats/graph';
import { accumulatorInterval, analyzeLayer, chooseGadget, gadgetBits, MAX_MAGNITUDE_BITS } from '../../src/quantize/bounds';
import { quantizeSample } from '../../src/quantize/codec';
import { decodePublicSignals, publicLayout } from '../../src/formats/public-signals';
import { BN254_R, fromField, toField } from '../../src/formats/field';
import { bitsForSpan, roundShift, signedMagnitudeBits } from '../../src/quantize/fixed-point';
import { runFloat } from '../../src/quantize/float-executor';
import { InputSample, readInput, readSamples } from '../../src/formats/input-document';
import type { Interval, Layer, QuantizedModel, Row } from '../../src/formats/quantized-model';
import { assumedRangeWarnings, inputSpec, quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { activationScale, magnitudeExponent, weightScale } from '../../src/quantize/scales';
import { CompileSettings, parseSettings } from '../../src/formats/settings';
import { cliWording } from '../../src/cli/progress';
import { expectCode, loadShipped, randomInRange, runOrtFloat, seededRng, ShippedModel } from '../helpers/onnx-builders';

const DEFAULTS = parseSettings({});
const settings = (patch: Partial<CompileSettings> = {}): CompileSettings => parseSettings({ ...patch });
const iv = (lo: number | bigint, hi: number | bigint): Interval => ({ lo: BigInt(lo), hi: BigInt(hi) });
const floatInput = (shape = [1, 4], name = 'x'): ValueInfo => ({ name, elemType: 'float32', shape });

describe('scales', () => {
  test('magnitudeExponent is the smallest e with |v| < 2^e', () => {
    const cases: Array<[number, number]> = [
      [1, 1],
      [0.5, 0],
      [0.99, 0],
      [0.25, -1],
      [0.3, -1],
      [1.5, 1],
      [2, 2],
      [3.99, 2],
      [4, 3],
      [1000, 10],
      [1024, 11],
    ];
    for (const [v, e] of cases) {
      assert.equal(magnitudeExponent(v), e, `magnitudeExponent(${v})`);
      assert.ok(v < 2 ** e && v >= 2 ** (e - 1), `${v} in [2^${e - 1}, 2^${e})`);
    }
  });

  test('weightScale fills weightBits signed bits with the largest |weight|', () => {
    const s = settings({ weightBits: 12 });
    assert.equal(weightScale(Float64Array.from([0.99, -0.5]), s), 11); // 0.99 * 2^11 = 2027 < 2^11
    assert.equal(weightScale(Float64Array.from([0.3, -1.5]), s), 10); // 1.5 * 2^10 = 1536 < 2^11
    assert.equal(weightScale(Float64Array.from([-3.2]), s), 9);
    assert.equal(weightScale(Float64Array.from([0.1, 0.2]), settings({ weightBits: 8 })), 9); // 0.2 * 2^9 = 102 < 2^7
    // Every scaled weight fits weightBits signed bits.
    for (const [w, bits] of [
      [[0.99, -0.01], 12],
      [[7.9], 6],
      [[-0.0312], 10],
    ] as Array<[number[], number]>) {
      const sc = weightScale(Float64Array.from(w), settings({ weightBits: bits }));
      for (const v of w) assert.ok(Math.abs(Math.round(v * 2 ** sc)) <= 2 ** (bits - 1), `${v} at 2^${sc} fits ${bits} bits`);
    }
  });

  test('weightScale: zeros and small integer constants are exact at scale 0; the scale is clamped to [0, 40]', () => {
    assert.equal(weightScale(Float64Array.from([0, 0]), DEFAULTS), 0);
    assert.equal(weightScale(Float64Array.from([1, 0, -1, 3]), DEFAULTS), 0);
    assert.equal(weightScale(Float64Array.from([5000]), DEFAULTS), 0); // integer but too wide: 11 - 13 < 0, clamped
    assert.equal(weightScale(Float64Array.from([1e-20]), DEFAULTS), 40);
  });

  test('activationScale: calibrated max |value| fills activationBits; default without calibration', () => {
    assert.equal(activationScale(undefined, DEFAULTS), DEFAULTS.defaultScaleBits);
    assert.equal(activationScale(0, DEFAULTS), DEFAULTS.defaultScaleBits);
    assert.equal(activationScale(4, settings({ activationBits: 12 })), 8); // 11 - 3
    assert.equal(activationScale(0.9, settings({ activationBits: 12 })), 11);
    assert.equal(activationScale(3, settings({ activationBits: 10 })), 7);
    assert.equal(activationScale(1e9, DEFAULTS), 0);
  });
});

describe('input ranges', () => {
  test('non-negative calibration → [0, 2^b − 1] with b magnitude bits', () => {
    const s = inputSpec(floatInput(), settings({ inputBits: 8 }), { maxAbs: 1, min: 0 });
    assert.deepEqual([s.lo, s.hi, s.scaleBits], [0n, 255n, 7]);
    assert.ok(1 * 2 ** s.scaleBits <= 255, 'the calibrated max is representable');
  });

  test('signed calibration → [−2^(b−1), 2^(b−1) − 1] with b − 1 magnitude bits', () => {
    const s = inputSpec(floatInput(), settings({ inputBits: 8 }), { maxAbs: 0.99, min: -0.5 });
    assert.deepEqual([s.lo, s.hi, s.scaleBits], [-128n, 127n, 7]);
    const s6 = inputSpec(floatInput(), settings({ inputBits: 6 }), { maxAbs: 3, min: -3 });
    assert.deepEqual([s6.lo, s6.hi, s6.scaleBits], [-32n, 31n, 3]);
    assert.ok(3 * 2 ** s6.scaleBits <= 31);
  });

  test('without calibration: signed range at the default scale, one integer bit more so that ±1.0 fit; visibility follows the settings', () => {
    const s = inputSpec(floatInput(), settings({ inputVisibility: 'public' }), undefined);
    // 2^-7 as before (the same accuracy), 9 bits: [-2, 1.992] holds a white pixel (1.0) and -1.0.
    assert.deepEqual([s.lo, s.hi, s.scaleBits, s.visibility], [-256n, 255n, DEFAULTS.defaultScaleBits, 'public']);
    // Wide enough input bits are kept as they are.
    const wide = inputSpec(floatInput(), settings({ inputBits: 10 }), undefined);
    assert.deepEqual([wide.lo, wide.hi, wide.scaleBits], [-512n, 511n, DEFAULTS.defaultScaleBits]);
  });

  test('without calibration an input of exactly 1.0 and -1.0 quantizes; the compile warns with the assumed range', () => {
    const { graph, calibration } = loadShipped('tiny');
    const model = quantizeGraph(graph, DEFAULTS);
    const q = quantizeSample(model, new Map([['x', Float64Array.from([1, -1, 0.5, 1])]]));
    assert.deepEqual(q.get(model.inputs[0].tensor), [128n, -128n, 64n, 128n]);
    const [warning, ...rest] = assumedRangeWarnings(model, DEFAULTS, false);
    assert.equal(rest.length, 0);
    assert.match(warning, /no calibration: input 'x' is assumed to lie in \[-2, 1\.9921875\] \(scale 2\^-7\)/);
    assert.deepEqual(assumedRangeWarnings(quantizeGraph(graph, DEFAULTS, calibration), DEFAULTS, true), []);
    assert.deepEqual(assumedRangeWarnings(quantizeGraph(graph, settings({ inputRange: [-1, 1] })), settings({ inputRange: [-1, 1] }), false), []);
  });

  test('one sample input serves as calibration', () => {
    const { graph } = loadShipped('tiny');
    const sample = readSamples({ input_data: [[1, -0.5, 0.25, 0.75]] }, graph.inputs, 'CALIBRATION_INVALID');
    assert.equal(sample.length, 1);
    const model = quantizeGraph(graph, DEFAULTS, sample);
    const x = model.inputs[0];
    assert.ok(Number(x.hi) / 2 ** x.scaleBits >= 1, "the sample's 1.0 is in range");
    assert.deepEqual(quantizeSample(model, sample[0]).get(x.tensor)?.[0], BigInt(Math.round(2 ** x.scaleBits)));
  });

  test('bool inputs are [0, 1] at scale 0; integer inputs are at scale 0', () => {
    const b = inputSpec({ name: 'm', elemType: 'bool', shape: [3] }, DEFAULTS, { maxAbs: 1, min: 0 });
    assert.deepEqual([b.lo, b.hi, b.scaleBits], [0n, 1n, 0]);
    const i = inputSpec({ name: 'k', elemType: 'int32', shape: [3] }, settings({ inputBits: 4 }), { maxAbs: 5, min: -5 });
    assert.deepEqual([i.lo, i.hi, i.scaleBits], [-8n, 7n, 0]);
  });

  test('the inputRange setting overrides calibration', () => {
    const s = inputSpec(floatInput(), settings({ inputRange: [0, 4] }), { maxAbs: 100, min: -100 });
    assert.deepEqual([s.lo, s.hi, s.scaleBits], [0n, 255n, 5]); // 8 - magnitudeExponent(4) = 8 - 3
    const t = inputSpec(floatInput(), settings({ inputRange: [-2, 1] }), { maxAbs: 0.1, min: 0 });
    assert.deepEqual([t.lo, t.hi, t.scaleBits], [-128n, 127n, 5]); // 7 - magnitudeExponent(2)
  });

  test('a range that does not fit the input bits is SETTINGS_INVALID', () => {
    expectCode(() => inputSpec(floatInput(), settings({ inputBits: 4 }), { maxAbs: 1000, min: -1 }), 'SETTINGS_INVALID');
  });
});

describe('bound analysis', () => {
  test('accumulatorInterval handles negative coefficients, negative bias and sign-changing products', () => {
    const bounds = [[iv(-4, 10), iv(-1, 6)], [iv(-3, 2)]];
    const row: Row = {
      bias: 5n,
      terms: [
        [0, 0, 3n],
        [0, 1, -2n],
      ],
      products: [[0, 0, 1, 0]],
    };
    // 3·[-4,10] = [-12,30]; −2·[-1,6] = [-12,2]; [-4,10]·[-3,2] = [-30,20]; + 5
    assert.deepEqual(accumulatorInterval(row, bounds), iv(-49, 57));
    const neg: Row = { bias: -7n, terms: [[0, 1, -5n]], products: [[0, 1, 0, 1]] };
    // −5·[-1,6] = [-30,5]; [-1,6]·[-1,6] as independent factors = [-6,36]
    assert.deepEqual(accumulatorInterval(neg, bounds), iv(-43, 34));
  });

  test('accumulatorInterval is sound: random points of the box stay inside', () => {
    const rng = seededRng(5);
    for (let trial = 0; trial < 200; trial++) {
      const r = (a: number) => BigInt(Math.floor(rng.uniform(-a, a)));
      const bounds = [
        Array.from({ length: 4 }, () => {
          const a = r(1000);
          const b = r(1000);
          return a <= b ? { lo: a, hi: b } : { lo: b, hi: a };
        }),
      ];
      const row: Row = {
        bias: r(50),
        terms: [
          [0, 0, r(20)],
          [0, 1, r(20)],
          [0, 2, r(20)],
        ],
        products: [
          [0, 0, 0, 3],
          [0, 2, 0, 1],
        ],
      };
      const acc = accumulatorInterval(row, bounds);
      for (let k = 0; k < 20; k++) {
        const x = bounds[0].map((b) => b.lo + BigInt(Math.floor(rng.next() * (Number(b.hi - b.lo) + 1))));
        let v = row.bias;
        for (const [, i, c] of row.terms) v += c * x[i];
        for (const [, ia, , ib] of row.products) v += x[ia] * x[ib];
        assert.ok(v >= acc.lo && v <= acc.hi, `${v} in [${acc.lo}, ${acc.hi}]`);
      }
    }
  });

  test('chooseGadget: hand-computed cases', () => {
    // No rescale, no relu: a linear combination, bounds unchanged.
    assert.deepEqual(chooseGadget(iv(-100, 100), 0, false, 't'), { gadget: { kind: 'linear' }, out: iv(-100, 100) });
    // Relu of a value that cannot be positive after rounding: the constant zero.
    // roundShift(-1, 2) = floor(1/4) = 0, so q ∈ [-25, 0].
    assert.deepEqual(chooseGadget(iv(-100, -1), 2, true, 't'), { gadget: { kind: 'zero' }, out: iv(0, 0) });
    // Rescale + relu across zero: q ∈ [floor(-96/8), floor(104/8)] = [-12, 13] → m = 4 (−16 ≤ −12, 13 < 16).
    assert.deepEqual(chooseGadget(iv(-100, 100), 3, true, 't'), { gadget: { kind: 'requantizeRelu', k: 3, m: 4 }, out: iv(0, 13) });
    // Plain rescale: span 25 → n = 5 bits, offset −12.
    assert.deepEqual(chooseGadget(iv(-100, 100), 3, false, 't'), { gadget: { kind: 'requantize', k: 3, n: 5, lo: -12n }, out: iv(-12, 13) });
    // A relu whose input is never negative needs no sign: a plain rescale of span 250 → 8 bits.
    assert.deepEqual(chooseGadget(iv(0, 1000), 2, true, 't'), { gadget: { kind: 'requantize', k: 2, n: 8, lo: 0n }, out: iv(0, 250) });
    // Relu without rescale: a sign decomposition; [-4, 3] needs m = 2, [-5, 4] needs m = 3.
    assert.deepEqual(chooseGadget(iv(-4, 3), 0, true, 't'), { gadget: { kind: 'requantizeRelu', k: 0, m: 2 }, out: iv(0, 3) });
    assert.deepEqual(chooseGadget(iv(-5, 4), 0, true, 't'), { gadget: { kind: 'requantizeRelu', k: 0, m: 3 }, out: iv(0, 4) });
    // Relu of a never-negative value without rescale: linear.
    assert.deepEqual(chooseGadget(iv(0, 7), 0, true, 't'), { gadget: { kind: 'linear' }, out: iv(0, 7) });
    // A single-valued interval still gets a valid (1-bit) range check.
    assert.deepEqual(chooseGadget(iv(64, 64), 4, false, 't'), { gadget: { kind: 'requantize', k: 4, n: 1, lo: 4n }, out: iv(4, 4) });
  });

  test('chooseGadget picks minimal widths and sound output bounds on random intervals', () => {
    const rng = seededRng(9);
    for (let trial = 0; trial < 2000; trial++) {
      const a = BigInt(Math.floor(rng.uniform(-1e6, 1e6)));
      const b = BigInt(Math.floor(rng.uniform(-1e6, 1e6)));
      const acc = a <= b ? iv(a, b) : iv(b, a);
      const shift = Math.floor(rng.next() * 12);
      const relu = rng.next() < 0.5;
      const { gadget: g, out } = chooseGadget(acc, shift, relu, 't');
      const q = iv(roundShift(acc.lo, shift), roundShift(acc.hi, shift));
      const y = relu ? iv(q.lo > 0n ? q.lo : 0n, q.hi > 0n ? q.hi : 0n) : q;
      assert.deepEqual(out, y, 'output bounds are exactly the image of the accumulator bounds');
      if (g.kind === 'requantize') {
        assert.equal(g.k, shift);
        assert.equal(g.lo, q.lo);
        assert.ok(q.hi - q.lo < 1n << BigInt(g.n), 'n holds the span');
        assert.ok(g.n === 1 || q.hi - q.lo >= 1n << BigInt(g.n - 1), 'n is minimal');
      } else if (g.kind === 'requantizeRelu') {
        assert.ok(relu && q.lo < 0n && q.hi > 0n);
        assert.ok(-(1n << BigInt(g.m)) <= q.lo && q.hi < 1n << BigInt(g.m), 'm holds q');
        assert.ok(g.m === 0 || -(1n << BigInt(g.m - 1)) > q.lo || q.hi >= 1n << BigInt(g.m - 1), 'm is minimal');
      } else if (g.kind === 'zero') {
        assert.ok(relu && q.hi <= 0n);
      } else {
        assert.ok(shift === 0 && (!relu || q.lo >= 0n));
      }
    }
  });

  test('bitsForSpan and signedMagnitudeBits are minimal', () => {
    assert.deepEqual([0n, 1n, 2n, 3n, 4n, 255n, 256n].map(bitsForSpan), [1, 1, 2, 2, 3, 8, 9]);
    assert.equal(signedMagnitudeBits(-1n, 0n), 0);
    assert.equal(signedMagnitudeBits(-1n, 1n), 1);
    assert.equal(signedMagnitudeBits(-2n, 1n), 1);
    assert.equal(signedMagnitudeBits(-3n, 1n), 2);
    assert.equal(signedMagnitudeBits(-2n, 2n), 2);
  });

  test('MODEL_TOO_LARGE when an accumulator reaches 2^250', () => {
    const limit = 1n << BigInt(MAX_MAGNITUDE_BITS);
    assert.doesNotThrow(() => chooseGadget(iv(-(limit - 1n), limit - 1n), 4, true, 't'));
    expectCode(() => chooseGadget(iv(0n, limit), 0, false, 't'), 'MODEL_TOO_LARGE');
    expectCode(() => chooseGadget(iv(-limit, 0n), 3, true, 't'), 'MODEL_TOO_LARGE');
    // Through analyzeLayer: a product of two 2^126 values overflows, and the error names the node.
    const big = [[iv(-(1n << 126n), 1n << 126n)]];
    const layer: Layer = { node: 'mul_huge', opType: 'MatMul', out: 1, rows: [{ bias: 0n, terms: [], products: [[0, 0, 0, 0]] }], shift: 0, relu: false };
    const err = expectCode(() => analyzeLayer(layer, big), 'MODEL_TOO_LARGE');
    assert.match(err.message, /mul_huge/);
    // One bit less fits.
    const ok = [[iv(-(1n << 124n), 1n << 124n)]];
    assert.doesNotThrow(() => analyzeLayer({ ...layer, rows: [...layer.rows] }, ok));
  });
});

/** A hand-built model: x (3 values, scale 2^-2) → A (shift 2, relu, products) → B (shift 1). */
function handModel(): QuantizedModel {
  return {
    settings: DEFAULTS,
    tensors: [
      { id: 0, name: 'x', size: 3, scaleBits: 2 },
      { id: 1, name: 'a', size: 4, scaleBits: 2 },
      { id: 2, name: 'b', size: 3, scaleBits: 1 },
    ],
    inputs: [{ name: 'x', tensor: 0, shape: [3], elemType: 'float32', scaleBits: 2, lo: -8n, hi: 7n, visibility: 'private' }],
    layers: [
      {
        node: 'A',
        opType: 'MatMul+Relu',
        out: 1,
        shift: 2,
        relu: true,
        rows: [
          {
            bias: 1n,
            terms: [
              [0, 0, 2n],
              [0, 1, 1n],
            ],
            products: [],
          },
          { bias: 0n, terms: [[0, 1, 3n]], products: [[0, 0, 0, 2]] },
          { bias: -3n, terms: [], products: [[0, 1, 0, 1]] },
          { bias: -6n, terms: [], products: [] },
        ],
      },
      {
        node: 'B',
        opType: 'Gemm',
        out: 2,
        shift: 1,
        relu: false,
        rows: [
          {
            bias: -1n,
            terms: [
              [1, 0, 1n],
              [1, 2, -1n],
            ],
            products: [],
          },
          { bias: 5n, terms: [[1, 2, 1n]], products: [] },
          { bias: -5n, terms: [], products: [] },
        ],
      },
    ],
    outputs: [{ name: 'b', tensor: 2, shape: [3], elemType: 'float32', scaleBits: 1, errorBound: 0 }],
  };
}

describe('integer reference', () => {
  test('runReference on a hand-built model: floor rounding half up, relu after rescale, products', () => {
    const values = runReference(handModel(), new Map([[0, [3n, -5n, 2n]]]));
    // A: row0 1+6−5 = 2 → ⌊4/4⌋ = 1; row1 −15+6 = −9 → ⌊−7/4⌋ = −2 → relu 0;
    //    row2 −3+25 = 22 → ⌊24/4⌋ = 6; row3 −6 → ⌊−4/4⌋ = −1 → relu 0.
    assert.deepEqual(values[1], [1n, 0n, 6n, 0n]);
    // B: row0 −1+1−6 = −6 → ⌊−5/2⌋ = −3; row1 5+6 = 11 → ⌊12/2⌋ = 6; row2 −5 → ⌊−4/2⌋ = −2 (−2.5 rounds up).
    assert.deepEqual(values[2], [-3n, 6n, -2n]);
    assert.deepEqual(values[0], [3n, -5n, 2n]);
  });

  test('roundShift rounds half up, for negative values too', () => {
    assert.deepEqual(
      [-6n, -5n, -3n, -2n, -1n, 0n, 1n, 2n, 3n, 5n, 6n].map((v) => roundShift(v, 1)),
      [-3n, -2n, -1n, -1n, 0n, 0n, 1n, 1n, 2n, 3n, 3n],
    );
    assert.deepEqual(
      [-10n, -9n, -7n, -6n, 6n, 7n, 9n, 10n].map((v) => roundShift(v, 2)),
      [-2n, -2n, -2n, -1n, 2n, 2n, 2n, 3n],
    );
  });
});

/** Static bounds of every tensor, recomputed from the model exactly as quantizeGraph computed them. */
function tensorBounds(model: QuantizedModel): Interval[][] {
  const bounds: Interval[][] = model.tensors.map(() => []);
  for (const input of model.inputs) bounds[input.tensor] = Array.from({ length: model.tensors[input.tensor].size }, () => ({ lo: input.lo, hi: input.hi }));
  for (const layer of model.layers) {
    const before = JSON.stringify(layer.gadgets, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    bounds[layer.out] = analyzeLayer(layer, bounds);
    assert.equal(
      JSON.stringify(layer.gadgets, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
      before,
      `layer ${layer.node}: the same gadgets`,
    );
  }
  return bounds;
}

interface Variant {
  label: string;
  settings: Partial<CompileSettings>;
  calibrate: boolean;
}

const VARIANTS: Variant[] = [
  { label: 'defaults, calibrated', settings: {}, calibrate: true },
  { label: 'defaults, uncalibrated', settings: {}, calibrate: false },
  { label: '6-bit everything, calibrated', settings: { inputBits: 6, weightBits: 6, activationBits: 6 }, calibrate: true },
  { label: 'inputRange [-1, 1], 10-bit inputs', settings: { inputRange: [-1, 1], inputBits: 10 }, calibrate: true },
];

describe('static error bound holds (property test)', () => {
  for (const name of ['tiny', 'tiny-matmul'] as ShippedModel[]) {
    for (const v of VARIANTS) {
      test(`${name}, ${v.label}: 200 random in-range inputs are within errorBound of float64 and of onnxruntime`, async () => {
        const { bytes, graph, calibration } = loadShipped(name);
        const model = quantizeGraph(graph, settings(v.settings), v.calibrate ? calibration : []);
        const bounds = tensorBounds(model);
        const rng = seededRng(name.length * 1000 + VARIANTS.indexOf(v));
        const samples: InputSample[] = Array.from({ length: 200 }, () => randomInRange(model, rng));
        const ortOut = await runOrtFloat(bytes, graph.inputs, samples);
        let worst = 0;
        samples.forEach((sample, s) => {
          const ints = runReference(model, quantizeSample(model, sample));
          ints.forEach((vals, t) => vals.forEach((x, i) => assert.ok(x >= bounds[t][i].lo && x <= bounds[t][i].hi, `tensor ${t}[${i}] = ${x} within its static bounds`)));
          const floats = runFloat(graph, sample);
          for (const o of model.outputs) {
            const f = floats.get(o.name)!.data;
            const r = ortOut[s].get(o.name)!;
            ints[o.tensor].forEach((q, i) => {
              const y = Number(q) / 2 ** o.scaleBits;
              const e = Math.abs(y - f[i]);
              worst = Math.max(worst, e / o.errorBound);
              assert.ok(e <= o.errorBound, `sample ${s} ${o.name}[${i}]: |${y} − ${f[i]}| = ${e} > bound ${o.errorBound}`);
              // onnxruntime computes in float32: allow its own rounding (~1e-7 relative), nothing more.
              const eo = Math.abs(y - r[i]);
              assert.ok(eo <= o.errorBound + 1e-6 * Math.max(1, Math.abs(r[i])), `sample ${s} ${o.name}[${i}] vs onnxruntime: ${eo} > bound ${o.errorBound}`);
            });
          }
        });
        assert.ok(worst > 0, 'quantization error is not identically zero (the test exercises something)');
      });
    }
  }

  test('mnist-mlp: every reference value of every layer over 50 test digits lies in the bound-analysis intervals', () => {
    const { graph, calibration } = loadShipped('mnist-mlp');
    const model = quantizeGraph(graph, DEFAULTS, calibration);
    const bounds = tensorBounds(model);
    const digits = loadMnistSplit().test.slice(0, 50);
    const layerOf = new Map(model.layers.map((l) => [l.out, l]));
    let checked = 0;
    let rescaled = 0;
    for (const d of digits) {
      const sample: InputSample = new Map([['input', Float64Array.from(d.pixels)]]);
      const ints = runReference(model, quantizeSample(model, sample));
      ints.forEach((vals, t) => {
        const layer = layerOf.get(t);
        vals.forEach((x, i) => {
          const b = bounds[t][i];
          assert.ok(x >= b.lo && x <= b.hi, `tensor ${t}[${i}] = ${x} outside [${b.lo}, ${b.hi}]`);
          checked++;
          if (!layer) return;
          // The gadget's own precondition on the rescaled accumulator holds too.
          const row = layer.rows[i];
          let acc = row.bias;
          for (const [tt, ii, c] of row.terms) acc += c * ints[tt][ii];
          for (const [ta, ia, tb, ib] of row.products) acc += ints[ta][ia] * ints[tb][ib];
          const q = roundShift(acc, layer.shift);
          const g = layer.gadgets![i];
          if (g.kind === 'requantize') assert.ok(q >= g.lo && q - g.lo < 1n << BigInt(g.n), `${layer.node}[${i}]: q=${q} in Requantize range`);
          if (g.kind === 'requantizeRelu') assert.ok(q >= -(1n << BigInt(g.m)) && q < 1n << BigInt(g.m), `${layer.node}[${i}]: q=${q} in RequantizeRelu range`);
          if (g.kind === 'zero') assert.ok(q <= 0n);
          if (gadgetBits(g) > 0) rescaled++;
        });
      });
    }
    assert.ok(checked > 50 * 800, `${checked} values checked`);
    assert.ok(rescaled >= 50 * 42, `${rescaled} rescale gadgets exercised`);
  });
});

describe('input files', () => {
  const A: ValueInfo = { name: 'a', elemType: 'float32', shape: [1, 2] };
  const B: ValueInfo = { name: 'b', elemType: 'float32', shape: [3] };
  const arr = (s: InputSample, n: string) => Array.from(s.get(n)!);

  test('EZKL form: one flattened array per input', () => {
    const s = readInput({ input_data: [[1.5, -2]] }, [A]);
    assert.deepEqual(arr(s, 'a'), [1.5, -2]);
    const nested = readInput({ input_data: [[[1.5], [-2]]] }, [A]);
    assert.deepEqual(arr(nested, 'a'), [1.5, -2]);
  });

  test('named form with nested arrays; booleans read as 0/1', () => {
    const s = readInput({ inputs: { b: [true, false, 3], a: [[1, 2]] } }, [A, B]);
    assert.deepEqual(arr(s, 'a'), [1, 2]);
    assert.deepEqual(arr(s, 'b'), [1, 0, 3]);
  });

  test('multi-input EZKL grouping: consecutive arrays form samples, in input order', () => {
    const samples = readSamples(
      {
        input_data: [
          [1, 2],
          [3, 4, 5],
          [6, 7],
          [8, 9, 10],
        ],
      },
      [A, B],
    );
    assert.equal(samples.length, 2);
    assert.deepEqual(
      [arr(samples[0], 'a'), arr(samples[0], 'b')],
      [
        [1, 2],
        [3, 4, 5],
      ],
    );
    assert.deepEqual(
      [arr(samples[1], 'a'), arr(samples[1], 'b')],
      [
        [6, 7],
        [8, 9, 10],
      ],
    );
    const named = readSamples(
      {
        samples: [
          { a: [1, 2], b: [3, 4, 5] },
          { a: [0, 0], b: [1, 1, 1] },
        ],
      },
      [A, B],
    );
    assert.equal(named.length, 2);
    assert.deepEqual(arr(named[1], 'b'), [1, 1, 1]);
  });

  test('wrong element count is SHAPE_MISMATCH', () => {
    expectCode(() => readInput({ input_data: [[1, 2, 3]] }, [A]), 'SHAPE_MISMATCH');
    expectCode(() => readInput({ input_data: [[1]] }, [A]), 'SHAPE_MISMATCH');
    expectCode(() => readInput({ inputs: { a: [1, 2], b: [1, 2] } }, [A, B]), 'SHAPE_MISMATCH');
  });

  test('a missing input is INPUT_MISSING', () => {
    const err = expectCode(() => readInput({ inputs: { a: [1, 2] } }, [A, B]), 'INPUT_MISSING');
    assert.match(err.message, /'b'/);
    expectCode(() => readInput({ input_data: [[1, 2]] }, [A, B]), 'INPUT_MISSING');
  });

  test('null, "NaN", "Infinity", "-Infinity" and overflowing numbers are INPUT_NOT_FINITE', () => {
    for (const bad of [null, 'NaN', 'Infinity', '-Infinity']) {
      expectCode(() => readInput({ input_data: [[1, bad]] }, [A]), 'INPUT_NOT_FINITE', JSON.stringify(bad));
      expectCode(() => readInput({ inputs: { a: [[bad, 1]] } }, [A]), 'INPUT_NOT_FINITE', JSON.stringify(bad));
    }
    expectCode(() => readInput(JSON.parse('{"input_data": [[1e400, 0]]}'), [A]), 'INPUT_NOT_FINITE');
  });

  test('documents of the wrong shape are INPUT_INVALID', () => {
    const bad: unknown[] = [
      null,
      42,
      'x',
      [],
      [[1, 2]],
      {},
      { input_data: 'x' },
      { inputs: [] },
      { inputs: 5 },
      { input_data: [['1', 2]] },
      { input_data: [[{}, 2]] },
      { input_data: [{ a: 1 }] },
      { inputs: { a: [1, 2], c: [1] } },
      {
        input_data: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      }, // 3 arrays for 2 inputs
      { input_data: [] },
    ];
    for (const doc of bad) {
      const inputs = (doc as { input_data?: unknown[] })?.input_data?.length === 3 ? [A, B] : [A];
      const code = (doc as { input_data?: unknown[] })?.input_data?.length === 0 ? 'INPUT_MISSING' : 'INPUT_INVALID';
      expectCode(() => readInput(doc, inputs), code, JSON.stringify(doc));
    }
    // Prove takes exactly one sample.
    expectCode(
      () =>
        readInput(
          {
            input_data: [
              [1, 2],
              [3, 4],
            ],
          },
          [A],
        ),
      'INPUT_INVALID',
    );
    // Calibration reading uses its own code for the same faults.
    expectCode(() => readSamples({ input_data: [['x', 1]] }, [A], 'CALIBRATION_INVALID'), 'CALIBRATION_INVALID');
  });

  test('quantizeSample: in-range values round to the grid, out-of-range values are INPUT_OUT_OF_RANGE', () => {
    const { graph, calibration } = loadShipped('tiny');
    const model = quantizeGraph(graph, DEFAULTS, calibration);
    const x = model.inputs[0];
    const scale = 2 ** x.scaleBits;
    const edge = new Map([['x', Float64Array.from([Number(x.lo) / scale, Number(x.hi) / scale, 0, 0.3])]]);
    assert.deepEqual(quantizeSample(model, edge).get(x.tensor), [x.lo, x.hi, 0n, BigInt(Math.round(0.3 * scale))]);
    for (const v of [1000, -1000, (Number(x.hi) + 1) / scale, (Number(x.lo) - 1) / scale]) {
      const err = expectCode(() => quantizeSample(model, new Map([['x', Float64Array.from([0, 0, v, 0])]])), 'INPUT_OUT_OF_RANGE', `${v}`);
      assert.equal(err.details?.index, 2);
      // The core names the setting as the API takes it; the CLI says its flag instead.
      assert.match(err.message, /wider inputRange or with calibration/);
      assert.doesNotMatch(err.message, /--/);
      assert.match(cliWording(err.message), /wider --input-range or with calibration/);
    }
  });
});

describe('field codec', () => {
  const p = BN254_R;

  test('toField / fromField round trip, negatives included', () => {
    const half = (p - 1n) / 2n;
    for (const v of [0n, 1n, -1n, 5n, -5n, 1n << 200n, -(1n << 200n), half, -half]) {
      const f = toField(v);
      assert.ok(BigInt(f) >= 0n && BigInt(f) < p, `${v} → canonical`);
      assert.equal(fromField(f), v, `${v} round trips`);
    }
    assert.equal(toField(-1n), (p - 1n).toString());
    assert.equal(toField(p + 3n), '3');
  });

  test('decodePublicSignals: outputs first, then public inputs; wrong count is SIGNAL_COUNT_MISMATCH', () => {
    const { graph, calibration } = loadShipped('tiny');
    const model = quantizeGraph(graph, settings({ inputVisibility: 'public' }), calibration);
    const layout = publicLayout(model);
    assert.deepEqual(
      layout.map((e) => [e.kind, e.name, e.size]),
      [
        ['output', 'y', 2],
        ['input', 'x', 4],
      ],
    );
    const out = model.outputs[0];
    const signals = [-3n, 700n, -128n, 127n, 0n, 5n].map(toField);
    const decoded = decodePublicSignals(model, signals);
    assert.deepEqual(decoded[0].integers, [-3n, 700n]);
    assert.deepEqual(decoded[0].values, [-3 / 2 ** out.scaleBits, 700 / 2 ** out.scaleBits]);
    assert.deepEqual(decoded[1].integers, [-128n, 127n, 0n, 5n]);
    expectCode(() => decodePublicSignals(model, signals.slice(1)), 'SIGNAL_COUNT_MISMATCH');
    expectCode(() => decodePublicSignals(model, [...signals, '0']), 'SIGNAL_COUNT_MISMATCH');
    const priv = quantizeGraph(graph, DEFAULTS, calibration);
    expectCode(() => decodePublicSignals(priv, signals), 'SIGNAL_COUNT_MISMATCH');
    assert.equal(decodePublicSignals(priv, signals.slice(0, 2))[0].integers.length, 2);
  });
});
