/**
 * Pre-quantized ONNX (QDQ, QLinearConv, QLinearMatMul, MatMulInteger, ConvInteger): the integer
 * reference (which the circuit equals, checked below on compiled circuits) against onnxruntime's
 * integer output over many random inputs. Integer-input models must match exactly; float inputs
 * quantized in the model are rounded once more by our fixed-point input encoding, so they are held
 * to one unit in the last place and their exact-match rate is reported.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { artifactPath } from '../../src/formats/artifacts';
import { buildReport } from '../../src/compiler/report';
import { compileModel } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import { verifyWitness, computeWitness, loadR1cs } from '../../src/compiler/r1cs-check';
import type { Graph } from '../../src/formats/graph';
import { sizeOf } from '../../src/formats/graph';
import { loadOnnx } from '../../src/onnx/load';
import { roundHalfEven } from '../../src/onnx/ops/quantized';
import { createOrtSession, runOrt } from '../../src/onnx/runtime';
import { GraphSpec, InitializerSpec, ValueSpec, writeOnnx } from '../../src/onnx/writer';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { BN254_R } from '../../src/formats/field';
import { runFloat } from '../../src/quantize/float-executor';
import type { InputSample } from '../../src/formats/input-document';
import { fixedMultiplier, tiePossible } from '../../src/quantize/lower/requantize';
import type { QuantizedModel } from '../../src/formats/quantized-model';
import { quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { CompileSettings, parseSettings } from '../../src/formats/settings';
import { expectCode, makeTempDir, Rng, seededRng } from '../helpers/onnx-builders';

const i8 = (name: string, dims: number[], data: number[]): InitializerSpec => ({ name, dims, data, elemType: 'int8' });
const u8 = (name: string, dims: number[], data: number[]): InitializerSpec => ({ name, dims, data, elemType: 'uint8' });
const f = (name: string, dims: number[], data: number[]): InitializerSpec => ({ name, dims, data: Float32Array.from(data) });
const i32 = (name: string, dims: number[], data: number[]): InitializerSpec => ({ name, dims, data, elemType: 'int32' });
const v = (name: string, elemType: ValueSpec['elemType'], shape: number[]): ValueSpec => ({ name, elemType, shape });

function ints(rng: Rng, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => lo + Math.floor(rng.next() * (hi - lo + 1)));
}

/** The random weights of a model, seeded. */
const W_RNG = seededRng(7);

const MODELS: Record<string, { graph: GraphSpec; range?: [number, number]; settings?: Partial<CompileSettings> }> = {
  // int8 activations × constant int8 weights, per-column weight scales, requantized to int8.
  qlinear_matmul: {
    graph: {
      name: 'qlm',
      inputs: [v('a', 'int8', [1, 8])],
      outputs: [v('y', 'int8', [1, 4])],
      initializers: [
        f('as', [], [0.0371]),
        i8('az', [], [-3]),
        i8('B', [8, 4], ints(W_RNG, 32, -127, 127)),
        f('bs', [4], [0.0123, 0.0071, 0.021, 0.0042]),
        i8('bz', [4], [0, 0, 0, 0]),
        f('ys', [], [0.0517]),
        i8('yz', [], [5]),
      ],
      nodes: [{ opType: 'QLinearMatMul', name: 'qlm', inputs: ['a', 'as', 'az', 'B', 'bs', 'bz', 'ys', 'yz'], outputs: ['y'] }],
    },
  },
  // Both operands variable (a · aᵀ-like product of two inputs), uint8.
  qlinear_matmul_two_inputs: {
    graph: {
      name: 'qlm2',
      inputs: [v('a', 'uint8', [1, 2, 3]), v('b', 'uint8', [1, 3, 2])],
      outputs: [v('y', 'uint8', [1, 2, 2])],
      initializers: [f('as', [], [0.02]), u8('az', [], [128]), f('bs', [], [0.03]), u8('bz', [], [120]), f('ys', [], [0.05]), u8('yz', [], [100])],
      nodes: [{ opType: 'QLinearMatMul', name: 'qlm', inputs: ['a', 'as', 'az', 'b', 'bs', 'bz', 'ys', 'yz'], outputs: ['y'] }],
    },
  },
  // uint8 image, per-output-channel int8 weights, int32 bias, padding (padded with the zero point).
  // Weights are 7-bit, as onnxruntime's quantizer makes them for u8·s8 (reduce_range): on x86 without
  // VNNI its kernel adds pairs of u8·s8 products in saturating int16, which wider weights overflow,
  // and then it departs from the ONNX spec (which the circuit proves).
  qlinear_conv: {
    graph: {
      name: 'qconv',
      inputs: [v('x', 'uint8', [1, 2, 5, 5])],
      outputs: [v('y', 'uint8', [1, 3, 5, 5])],
      initializers: [
        f('xs', [], [0.0196]),
        u8('xz', [], [128]),
        i8('W', [3, 2, 3, 3], ints(W_RNG, 54, -63, 63)),
        f('ws', [3], [0.0052, 0.0031, 0.0113]),
        i8('wz', [3], [0, 0, 0]),
        f('ys', [], [0.0625]),
        u8('yz', [], [131]),
        i32('B', [3], [-1200, 350, 4000]),
      ],
      nodes: [{ opType: 'QLinearConv', name: 'qc', inputs: ['x', 'xs', 'xz', 'W', 'ws', 'wz', 'ys', 'yz', 'B'], outputs: ['y'], attributes: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } }],
    },
  },
  // int32 accumulators: MatMulInteger with an omitted a_zero_point ('' keeps b_zero_point in place).
  matmul_integer: {
    graph: {
      name: 'mmi',
      inputs: [v('a', 'uint8', [1, 6])],
      outputs: [v('y', 'int32', [1, 3])],
      initializers: [u8('B', [6, 3], ints(W_RNG, 18, 0, 255)), u8('bz', [], [77])],
      nodes: [{ opType: 'MatMulInteger', name: 'mmi', inputs: ['a', 'B', '', 'bz'], outputs: ['y'] }],
    },
  },
  conv_integer: {
    graph: {
      name: 'ci',
      inputs: [v('x', 'uint8', [1, 1, 4, 4])],
      outputs: [v('y', 'int32', [1, 2, 3, 3])],
      initializers: [u8('W', [2, 1, 2, 2], ints(W_RNG, 8, 0, 255)), u8('xz', [], [10]), u8('wz', [], [128])],
      nodes: [{ opType: 'ConvInteger', name: 'ci', inputs: ['x', 'W', 'xz', 'wz'], outputs: ['y'] }],
    },
  },
  // QDQ format as onnxruntime's quantize_static writes it: DQ(int8 x), DQ(int8 weights, per channel),
  // DQ(int32 bias at x_scale·w_scale), float Conv, Q.
  qdq_conv: {
    graph: {
      name: 'qdqconv',
      inputs: [v('x', 'int8', [1, 2, 4, 4])],
      outputs: [v('y', 'int8', [1, 3, 4, 4])],
      initializers: [
        f('xs', [], [0.0213]),
        i8('xz', [], [-4]),
        i8('Wq', [3, 2, 3, 3], ints(W_RNG, 54, -63, 63)),
        f('ws', [3], [0.0052, 0.0031, 0.0113]),
        i8('wz', [3], [0, 0, 0]),
        i32('Bq', [3], [-900, 350, 1200]),
        f('bs', [3], [0.0213 * 0.0052, 0.0213 * 0.0031, 0.0213 * 0.0113]),
        i32('bz', [3], [0, 0, 0]),
        f('ys', [], [0.0437]),
        i8('yz', [], [3]),
      ],
      nodes: [
        { opType: 'DequantizeLinear', name: 'dqx', inputs: ['x', 'xs', 'xz'], outputs: ['xd'] },
        { opType: 'DequantizeLinear', name: 'dqw', inputs: ['Wq', 'ws', 'wz'], outputs: ['W'], attributes: { axis: 0 } },
        { opType: 'DequantizeLinear', name: 'dqb', inputs: ['Bq', 'bs', 'bz'], outputs: ['B'], attributes: { axis: 0 } },
        { opType: 'Conv', name: 'conv', inputs: ['xd', 'W', 'B'], outputs: ['c'], attributes: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
        { opType: 'QuantizeLinear', name: 'qy', inputs: ['c', 'ys', 'yz'], outputs: ['y'] },
      ],
    },
  },
  // Every int8 value once: DQ → Sigmoid / Tanh → Q, the tract test cases' pattern, exhaustively.
  qdq_sigmoid: {
    graph: {
      name: 'qsig',
      inputs: [v('x', 'int8', [1, 256])],
      outputs: [v('y', 'int8', [1, 256]), v('z', 'int8', [1, 256])],
      initializers: [f('xs', [], [0.03125]), i8('xz', [], [0]), f('ys', [], [0.0078125]), i8('yz', [], [0])],
      nodes: [
        { opType: 'DequantizeLinear', name: 'dq', inputs: ['x', 'xs', 'xz'], outputs: ['xd'] },
        { opType: 'Sigmoid', name: 'sig', inputs: ['xd'], outputs: ['s'] },
        { opType: 'QuantizeLinear', name: 'qs', inputs: ['s', 'ys', 'yz'], outputs: ['y'] },
        { opType: 'Tanh', name: 'tanh', inputs: ['xd'], outputs: ['t'] },
        { opType: 'QuantizeLinear', name: 'qt', inputs: ['t', 'ys', 'yz'], outputs: ['z'] },
      ],
    },
  },
  // QDQ around ops, float in and out: per-axis QuantizeLinear (non-dyadic scales), DQ, Relu, Q, DQ.
  qdq_per_axis: {
    graph: {
      name: 'qdq',
      inputs: [v('x', 'float32', [1, 3, 4])],
      outputs: [v('y', 'int8', [1, 3, 4])],
      initializers: [f('s1', [3], [0.013, 0.07, 0.0391]), u8('z1', [3], [120, 3, 200]), f('s2', [], [0.0517]), i8('z2', [], [-7])],
      nodes: [
        { opType: 'QuantizeLinear', name: 'q1', inputs: ['x', 's1', 'z1'], outputs: ['xq'], attributes: { axis: 1 } },
        { opType: 'DequantizeLinear', name: 'dq1', inputs: ['xq', 's1', 'z1'], outputs: ['xd'], attributes: { axis: 1 } },
        { opType: 'Relu', name: 'relu', inputs: ['xd'], outputs: ['r'] },
        { opType: 'QuantizeLinear', name: 'q2', inputs: ['r', 's2', 'z2'], outputs: ['y'] },
      ],
    },
    range: [-2, 2],
    settings: { inputBits: 16 },
  },
};

function build(name: string): Uint8Array {
  return writeOnnx({ opset: 13, ...MODELS[name].graph });
}

function randomSample(model: QuantizedModel, graph: Graph, rng: Rng, range: [number, number]): InputSample {
  return new Map(
    graph.inputs.map((info) => {
      const spec = model.inputs.find((i) => i.name === info.name)!;
      const n = sizeOf(info.shape);
      if (info.elemType === 'float32') return [info.name, Float64Array.from({ length: n }, () => Math.fround(range[0] + rng.next() * (range[1] - range[0])))];
      return [info.name, Float64Array.from(ints(rng, n, Number(spec.lo), Number(spec.hi)))];
    }),
  );
}

interface Rate {
  maxDiff: number;
  exact: number;
  withinOne: number;
  total: number;
}

/** Integer reference vs onnxruntime over `n` random inputs. */
async function measure(name: string, n: number, override: Partial<CompileSettings> = {}, fixed?: (i: number) => number): Promise<{ rate: Rate; model: QuantizedModel; graph: Graph }> {
  const spec = MODELS[name];
  const bytes = build(name);
  const graph = loadOnnx(bytes);
  const rng = seededRng(11);
  const range = spec.range ?? [-1, 1];
  const settings = parseSettings({ ...spec.settings, ...override });
  const calib = quantizeGraph(graph, settings, []);
  const calibration = Array.from({ length: 16 }, () => randomSample(calib, graph, rng, range));
  const model = quantizeGraph(graph, settings, calibration);
  const session = await createOrtSession(bytes);
  const rate: Rate = { maxDiff: 0, exact: 0, withinOne: 0, total: 0 };
  try {
    for (let s = 0; s < n; s++) {
      const sample = fixed ? new Map([[graph.inputs[0].name, Float64Array.from({ length: sizeOf(graph.inputs[0].shape) }, (_, i) => fixed(i))]]) : randomSample(model, graph, rng, range);
      const ortOut = await runOrt(session, graph.inputs, sample);
      const floats = runFloat(graph, sample);
      const ints = runReference(model, quantizeSample(model, sample));
      for (const [j, out] of model.outputs.entries()) {
        const want = ortOut[j].values;
        const ours = floats.get(out.name)!.data;
        const got = ints[out.tensor];
        want.forEach((w, i) => {
          assert.equal(ours[i], w, `${name}: our float semantics of output ${i} = onnxruntime`);
          const d = Math.abs(Number(got[i]) - w);
          rate.total++;
          rate.maxDiff = Math.max(rate.maxDiff, d);
          if (d === 0) rate.exact++;
          if (d <= 1) rate.withinOne++;
        });
      }
    }
  } finally {
    await session.release();
  }
  return { rate, model, graph };
}

const pct = (r: Rate, k: 'exact' | 'withinOne') => `${((100 * r[k]) / r.total).toFixed(2)}%`;

describe('pre-quantized ops: integer reference vs onnxruntime', () => {
  for (const name of ['qlinear_matmul', 'qlinear_matmul_two_inputs', 'qlinear_conv', 'matmul_integer', 'conv_integer']) {
    test(`${name}: integer inputs, every output equals onnxruntime's integer output`, async (t) => {
      const { rate } = await measure(name, 200);
      t.diagnostic(`${name}: ${rate.exact}/${rate.total} exact (${pct(rate, 'exact')})`);
      assert.equal(rate.exact, rate.total);
    });
  }

  test('QDQ format around a float Conv (DQ → Conv → Q): exact weights, one requantization, equals onnxruntime', async (t) => {
    const { rate, model } = await measure('qdq_conv', 100);
    t.diagnostic(`qdq_conv: ${rate.exact}/${rate.total} exact (${pct(rate, 'exact')}), ${buildReport(model).predictedConstraints} constraints`);
    assert.equal(rate.exact, rate.total);
    // The Conv's accumulator is not rescaled before the QuantizeLinear: one rounding only.
    const conv = model.layers.find((l) => l.node === 'conv')!;
    assert.equal(conv.shift, 0);
    assert.ok(conv.gadgets!.every((g) => g.kind === 'linear'));
    // --target resources: a 16-bit multiplier and one half-up rescale: about half the constraints, within one unit.
    const res = await measure('qdq_conv', 50, { target: 'resources' });
    t.diagnostic(`qdq_conv, target resources: ${res.rate.exact}/${res.rate.total} exact (${pct(res.rate, 'exact')}), ${buildReport(res.model).predictedConstraints} constraints`);
    assert.equal(res.rate.withinOne, res.rate.total);
    assert.ok(buildReport(res.model).predictedConstraints < buildReport(model).predictedConstraints);
  });

  test('QDQ around Sigmoid and Tanh, every int8 input: exact-match rate reported', async (t) => {
    const { rate, model } = await measure('qdq_sigmoid', 1, {}, (i) => i - 128);
    t.diagnostic(`qdq_sigmoid+tanh: ${rate.exact}/${rate.total} exact (${pct(rate, 'exact')}), ${pct(rate, 'withinOne')} within 1, ${buildReport(model).predictedConstraints} constraints`);
    assert.equal(rate.withinOne, rate.total);
    const acc = await measure('qdq_sigmoid', 1, { target: 'accuracy' }, (i) => i - 128);
    t.diagnostic(`qdq_sigmoid+tanh, target accuracy: ${acc.rate.exact}/${acc.rate.total} exact (${pct(acc.rate, 'exact')}), ${buildReport(acc.model).predictedConstraints} constraints`);
    assert.equal(acc.rate.withinOne, acc.rate.total);
    assert.ok(acc.rate.exact > rate.exact && acc.rate.exact / acc.rate.total >= 0.95);
  });

  test('QDQ with per-axis uint8 QuantizeLinear of a float input: within one unit, exact-match rate reported', async (t) => {
    const { rate } = await measure('qdq_per_axis', 400);
    t.diagnostic(`qdq_per_axis: ${rate.exact}/${rate.total} exact (${pct(rate, 'exact')}), ${pct(rate, 'withinOne')} within 1`);
    // The input's fixed-point encoding rounds once before the model's QuantizeLinear does: within a
    // hair of a tie the first q differs by one, and the next requantization (×s1/s2 up to 1.35) can
    // carry that to two units. Every requantization itself is exact given its input.
    assert.ok(rate.withinOne / rate.total >= 0.999, `within-one rate ${pct(rate, 'withinOne')}`);
    assert.ok(rate.exact / rate.total >= 0.99, `exact rate ${pct(rate, 'exact')}`);
    assert.ok(rate.maxDiff <= 2, `max difference ${rate.maxDiff}`);
  });
});

describe('ingest', () => {
  test('a symbolic leading dimension binds to leadingDim (a time axis a QLinearConv runs along)', () => {
    const bytes = writeOnnx({
      name: 'tdnn',
      opset: 11,
      inputs: [{ name: 'x', elemType: 'uint8', shape: ['T', 2] }],
      outputs: [v('y', 'uint8', [1, 1, 3])],
      initializers: [f('xs', [], [0.02]), u8('xz', [], [128]), i8('W', [1, 2, 3], [1, -2, 3, 4, -5, 6]), f('ws', [], [0.01]), i8('wz', [], [0]), f('ys', [], [0.03]), u8('yz', [], [128])],
      nodes: [
        { opType: 'Transpose', name: 't', inputs: ['x'], outputs: ['xt'], attributes: { perm: [1, 0] } },
        { opType: 'Unsqueeze', name: 'u', inputs: ['xt'], outputs: ['xu'], attributes: { axes: [0] } },
        { opType: 'QLinearConv', name: 'qc', inputs: ['xu', 'xs', 'xz', 'W', 'ws', 'wz', 'ys', 'yz'], outputs: ['y'] },
      ],
    });
    expectCode(() => loadOnnx(bytes), 'SHAPE_MISMATCH', 'T = 1 cannot hold a kernel of 3');
    assert.deepEqual(loadOnnx(bytes, undefined, 5).outputs[0].shape, [1, 1, 3]);
    assert.equal(parseSettings({ leadingDim: 5 }).leadingDim, 5);
  });
});

describe('requantization arithmetic', () => {
  test('round half to even, and multipliers exact when dyadic', () => {
    assert.deepEqual(
      [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4999, 2.5001].map((x) => roundHalfEven(x) + 0),
      [-2, -2, 0, 0, 2, 2, 2, 3],
    );
    assert.deepEqual(fixedMultiplier(0.375, 24), { m: 3n, k: 3, exact: true });
    const m = fixedMultiplier(1 / 0.0517, 24, false);
    assert.equal(m.exact, false);
    assert.ok(Math.abs(Number(m.m) / 2 ** m.k - 1 / 0.0517) < 2 ** -19);
  });

  test('tie analysis: 2-adic valuations of the coefficients decide whether a tie can happen', () => {
    // B = 2x: even, never ≡ 2 mod 4 when the bias is 1; 2x + 2 can be.
    assert.equal(tiePossible({ bias: 1n, terms: [[0, 0, 2n]], products: [] }, 2), false);
    assert.equal(tiePossible({ bias: 2n, terms: [[0, 0, 4n]], products: [] }, 2), true);
    assert.equal(tiePossible({ bias: 0n, terms: [[0, 0, 3n]], products: [] }, 5), true);
    assert.equal(tiePossible({ bias: 0n, terms: [[0, 0, 8n]], products: [] }, 2), false);
  });
});

/** Compiles a model; witnesses equal the reference; a changed output or rounding signal breaks the R1CS. */
async function checkCircuit(name: string, expectConstraints?: number): Promise<void> {
  const dir = makeTempDir('quantized');
  try {
    const bytes = build(name);
    const graph = loadOnnx(bytes);
    const rng = seededRng(3);
    const onnxPath = path.join(dir, 'model.onnx');
    fs.writeFileSync(onnxPath, bytes);
    const settings = parseSettings(MODELS[name].settings ?? {});
    const calib = quantizeGraph(graph, settings, []);
    const range = MODELS[name].range ?? [-1, 1];
    const calibration = { samples: Array.from({ length: 8 }, () => Object.fromEntries([...randomSample(calib, graph, rng, range)].map(([k, x]) => [k, Array.from(x)]))) };
    const result = await compileModel(onnxPath, path.join(dir, 'build'), { calibration, settings: MODELS[name].settings });
    assert.equal(result.constraints, result.report.predictedConstraints, 'predicted constraints = r1cs');
    if (expectConstraints !== undefined) assert.equal(result.constraints, expectConstraints);
    const { model } = readCompiled(result.buildDir);
    const r1cs = loadR1cs(artifactPath(result.buildDir, 'r1cs'));
    const size = model.tensors[model.outputs[0].tensor].size;
    for (let t = 0; t < 3; t++) {
      const q = quantizeSample(model, randomSample(model, graph, rng, range));
      const want = runReference(model, q)[model.outputs[0].tensor];
      const witness = await computeWitness(circuitInput(model, q), artifactPath(result.buildDir, 'wasm'));
      assert.deepEqual(verifyWitness(r1cs, witness), { ok: true });
      const got = witness.slice(1, 1 + size).map((x) => (x > BN254_R / 2n ? x - BN254_R : x));
      assert.deepEqual(got, want);
      for (const wire of [1, size]) {
        for (const delta of [1n, BN254_R - 1n]) {
          const mutated = witness.slice();
          mutated[wire] = (mutated[wire] + delta) % BN254_R;
          assert.equal(verifyWitness(r1cs, mutated).ok, false, `output wire ${wire} ± 1 is rejected`);
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('pre-quantized circuits', () => {
  test('QLinearMatMul (round half to even + saturation) circuit', async () => {
    await checkCircuit('qlinear_matmul');
  });
  test('QDQ per-axis circuit', async () => {
    await checkCircuit('qdq_per_axis');
  });
  test('QLinearMatMul with two variable operands (products) circuit', async () => {
    await checkCircuit('qlinear_matmul_two_inputs');
  });
  test('QDQ Conv circuit', async () => {
    await checkCircuit('qdq_conv');
  });
});
