/**
 * Linear op families (issue 3): Conv, AveragePool, GlobalAveragePool, BatchNormalization (folded
 * or affine), Sub, Sum, Neg, Mul, Div, ReduceSum, ReduceMean. For each: float semantics equal
 * onnxruntime's; the quantized integer model stays within its static error bound of onnxruntime
 * on random in-range inputs; a few compile to circuits whose witnesses equal the integer
 * reference, with the constraint count pinned. Bad attributes and computed weights are refused.
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
import { InitializerSpec, NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { BN254_R } from '../../src/formats/field';
import { runFloat } from '../../src/quantize/float-executor';
import type { InputSample } from '../../src/formats/input-document';
import type { QuantizedModel } from '../../src/formats/quantized-model';
import { quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { parseSettings } from '../../src/formats/settings';
import { expectCode, makeTempDir, randomInRange, Rng, runOrtFloat, seededRng } from '../helpers/onnx-builders';

type Shape = number[];

interface Case {
  inputs: Record<string, Shape>;
  outputs: Record<string, Shape>;
  nodes: NodeSpec[];
  inits?: Record<string, { dims: number[]; data?: number[] }>;
  opset?: number;
  /** Float range of calibration inputs (default [-1, 1]). */
  range?: [number, number];
}

/** A seed from the case itself, so every test is reproducible on its own (--test-name-pattern too). */
function seedOf(c: Case, salt: number): number {
  let h = 2166136261 ^ salt;
  for (const ch of JSON.stringify(c)) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

function randomData(rng: Rng, n: number, lo = -1, hi = 1): number[] {
  return Array.from({ length: n }, () => Math.fround(rng.uniform(lo, hi)));
}

function build(c: Case): Uint8Array {
  const rng = seededRng(seedOf(c, 0));
  const initializers: InitializerSpec[] = Object.entries(c.inits ?? {}).map(([name, t]) => ({
    name,
    dims: t.dims,
    data: Float32Array.from(t.data ?? randomData(rng, sizeOf(t.dims))),
  }));
  return writeOnnx({
    name: 'ops-linear',
    opset: c.opset,
    inputs: Object.entries(c.inputs).map(([name, shape]) => ({ name, elemType: 'float32', shape })),
    outputs: Object.entries(c.outputs).map(([name, shape]) => ({ name, elemType: 'float32', shape })),
    initializers,
    nodes: c.nodes,
  });
}

function samplesFor(graph: Graph, rng: Rng, n: number, [lo, hi]: [number, number] = [-1, 1]): InputSample[] {
  return Array.from({ length: n }, () => new Map(graph.inputs.map((i) => [i.name, Float64Array.from(randomData(rng, sizeOf(i.shape), lo, hi))])));
}

/** (a) runFloat (our float semantics) equals onnxruntime to 1e-5 (relative above 1). */
async function checkFloat(bytes: Uint8Array, graph: Graph, rng: Rng): Promise<void> {
  const samples = samplesFor(graph, rng, 5, [-2, 2]);
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

/** (b) The integer reference, dequantized, is within the static error bound of onnxruntime. */
async function checkQuantized(bytes: Uint8Array, graph: Graph, c: Case, rng: Rng): Promise<QuantizedModel> {
  const model = quantizeGraph(graph, parseSettings({}), samplesFor(graph, rng, 20, c.range));
  const samples = Array.from({ length: 50 }, () => randomInRange(model, rng));
  const ort = await runOrtFloat(bytes, graph.inputs, samples);
  samples.forEach((sample, s) => {
    const ints = runReference(model, quantizeSample(model, sample));
    for (const out of model.outputs) {
      const want = ort[s].get(out.name)!;
      ints[out.tensor].forEach((v, i) => {
        const got = Number(v) / 2 ** out.scaleBits;
        // errorBound is against the exact float model; onnxruntime adds float32 rounding.
        const slack = 1e-5 * Math.max(1, Math.abs(want[i]));
        assert.ok(Math.abs(got - want[i]) <= out.errorBound + slack, `${out.name}[${i}]: circuit ${got}, onnxruntime ${want[i]}, bound ${out.errorBound}`);
      });
    }
  });
  return model;
}

async function checkCase(c: Case): Promise<{ graph: Graph; model: QuantizedModel }> {
  const rng = seededRng(seedOf(c, 1));
  const bytes = build(c);
  const graph = loadOnnx(bytes);
  await checkFloat(bytes, graph, rng);
  const model = await checkQuantized(bytes, graph, c, rng);
  return { graph, model };
}

/** A test body that checks one Case. */
const check = (c: Case) => async (): Promise<void> => {
  await checkCase(c);
};
const node = (opType: string, inputs: string[], attributes: NodeSpec['attributes'] = {}, outputs = ['y']): NodeSpec => ({ opType, name: `${opType.toLowerCase()}0`, inputs, outputs, attributes });
const constInts = (name: string, values: number[]): NodeSpec => ({ opType: 'Constant', name: `c_${name}`, inputs: [], outputs: [name], attributes: { value_ints: values } });
const opTypes = (model: QuantizedModel) => model.layers.map((l) => l.opType);

describe('Conv', () => {
  const conv = (x: Shape, w: Shape, y: Shape, attributes: NodeSpec['attributes'], bias = true): Case => ({
    inputs: { x },
    outputs: { y },
    nodes: [node('Conv', bias ? ['x', 'W', 'B'] : ['x', 'W'], attributes)],
    inits: { W: { dims: w }, ...(bias ? { B: { dims: [w[0]] } } : {}) },
  });

  test('2-D with pads and strides', check(conv([1, 2, 5, 5], [3, 2, 3, 3], [1, 3, 3, 3], { pads: [1, 1, 1, 1], strides: [2, 2] })));
  test('2-D with dilations, asymmetric pads, no bias', check(conv([1, 2, 7, 6], [2, 2, 3, 2], [1, 2, 4, 5], { dilations: [2, 2], pads: [1, 0, 0, 1] }, false)));
  test('grouped (group = 2)', check(conv([1, 4, 5, 5], [4, 2, 3, 3], [1, 4, 3, 3], { group: 2 })));
  test('depthwise with auto_pad SAME_UPPER and stride 2', check(conv([1, 3, 6, 6], [3, 1, 3, 3], [1, 3, 3, 3], { group: 3, auto_pad: 'SAME_UPPER', strides: [2, 2] })));
  test('auto_pad SAME_LOWER with an even kernel', check(conv([1, 1, 5, 5], [2, 1, 2, 2], [1, 2, 5, 5], { auto_pad: 'SAME_LOWER' })));
  test('auto_pad VALID', check(conv([1, 2, 5, 5], [2, 2, 3, 3], [1, 2, 3, 3], { auto_pad: 'VALID', kernel_shape: [3, 3] })));
  test('1-D with pads and stride', check(conv([1, 2, 10], [3, 2, 3], [1, 3, 5], { pads: [2, 1], strides: [2] })));
  test('3-D', check(conv([1, 1, 4, 3, 3], [2, 1, 2, 2, 2], [1, 2, 3, 2, 2], {})));

  test('a following Relu is fused into the rescale', async () => {
    const c = conv([1, 1, 6, 6], [2, 1, 3, 3], [1, 2, 4, 4], {});
    c.nodes = [node('Conv', ['x', 'W', 'B'], {}, ['h']), node('Relu', ['h'])];
    const { model } = await checkCase(c);
    assert.deepEqual(opTypes(model), ['Conv+Relu']);
  });

  test('weights that are multiples of 1/8 get 3 fraction bits, not weightBits', async () => {
    const c = conv([1, 1, 4, 4], [1, 1, 2, 2], [1, 1, 3, 3], {}, false);
    c.inits = { W: { dims: [1, 1, 2, 2], data: [0.125, -0.5, 0.75, 1] } };
    const { model } = await checkCase(c);
    assert.deepEqual(
      model.layers[0].rows[0].terms.map((t) => t[2]),
      [1n, -4n, 6n, 8n],
    );
  });

  test('computed weights are refused naming the node', () => {
    const bytes = writeOnnx({
      name: 'w-input',
      inputs: [
        { name: 'x', elemType: 'float32', shape: [1, 1, 4, 4] },
        { name: 'w', elemType: 'float32', shape: [1, 1, 2, 2] },
      ],
      outputs: [{ name: 'y', elemType: 'float32', shape: [1, 1, 3, 3] }],
      nodes: [{ opType: 'Conv', name: 'myconv', inputs: ['x', 'w'], outputs: ['y'] }],
    });
    const err = expectCode(() => loadOnnx(bytes), 'ONNX_UNSUPPORTED_OP', 'conv by input');
    assert.match(err.message, /myconv/);
    assert.match(err.message, /W must be constant/);
  });

  test('an unknown auto_pad or attribute is ONNX_UNSUPPORTED_ATTRIBUTE naming it', () => {
    for (const [attributes, name] of [
      [{ auto_pad: 'SAME' }, 'auto_pad'],
      [{ foo: 1 }, 'foo'],
      [{ kernel_shape: [2, 2] }, 'kernel_shape'],
    ] as const) {
      const bytes = build(conv([1, 1, 4, 4], [1, 1, 3, 3], [1, 1, 2, 2], attributes as NodeSpec['attributes']));
      const err = expectCode(() => loadOnnx(bytes), 'ONNX_UNSUPPORTED_ATTRIBUTE', name);
      assert.equal(err.details?.attribute, name);
      assert.equal(err.details?.node, 'conv0');
    }
  });
});

describe('AveragePool and GlobalAveragePool', () => {
  const pool = (x: Shape, y: Shape, attributes: NodeSpec['attributes'], opType = 'AveragePool'): Case => ({ inputs: { x }, outputs: { y }, nodes: [node(opType, ['x'], attributes)] });

  test('2x2 stride 2: an exact average, kept at 2 more fraction bits without a rescale (zero constraints)', async () => {
    const { model } = await checkCase(pool([1, 2, 4, 6], [1, 2, 2, 3], { kernel_shape: [2, 2], strides: [2, 2] }));
    assert.equal(model.layers[0].shift, 0);
    assert.equal(model.tensors[model.layers[0].out].scaleBits, model.inputs[0].scaleBits + 2);
    assert.ok(model.layers[0].gadgets!.every((g) => g.kind === 'linear'));
  });
  test('3x3 with pads, count_include_pad = 0 (divisors 4, 6, 9)', check(pool([1, 1, 5, 5], [1, 1, 5, 5], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })));
  test('3x3 with pads, count_include_pad = 1', check(pool([1, 2, 5, 4], [1, 2, 3, 2], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2], count_include_pad: 1 })));
  test('auto_pad SAME_UPPER', check(pool([1, 1, 5, 5], [1, 1, 3, 3], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_UPPER' })));
  test('1-D', check(pool([1, 2, 9], [1, 2, 4], { kernel_shape: [3], strides: [2] })));
  test('dilations (opset 19) with pads, both count_include_pad values', async () => {
    for (const count_include_pad of [0, 1]) {
      await checkCase({ ...pool([1, 1, 6, 6], [1, 1, 3, 6], { kernel_shape: [2, 3], dilations: [2, 1], strides: [2, 1], pads: [1, 1, 0, 1], count_include_pad }), opset: 19 });
    }
  });
  test('ceil_mode = 1 where no partial window exists equals floor mode', check(pool([1, 1, 6, 6], [1, 1, 3, 3], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 })));
  test('GlobalAveragePool over 4x4 (exact) and 3x3 (rescaled)', async () => {
    const exact = await checkCase(pool([1, 3, 4, 4], [1, 3, 1, 1], {}, 'GlobalAveragePool'));
    assert.equal(exact.model.layers[0].shift, 0);
    const rounded = await checkCase(pool([1, 2, 3, 3], [1, 2, 1, 1], {}, 'GlobalAveragePool'));
    assert.ok(rounded.model.layers[0].shift > 0);
  });

  test('ceil_mode = 1 with a partial window is refused naming the attribute', () => {
    const err = expectCode(() => loadOnnx(build(pool([1, 1, 5, 5], [1, 1, 3, 3], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }))), 'ONNX_UNSUPPORTED_ATTRIBUTE');
    assert.equal(err.details?.attribute, 'ceil_mode');
  });
});

describe('BatchNormalization', () => {
  const bnInits = (c: number) => ({
    scale: { dims: [c] },
    bias: { dims: [c] },
    mean: { dims: [c] },
    var: { dims: [c], data: Array.from({ length: c }, (_, i) => 0.5 + i * 0.3) },
  });
  const bn = (x: string, y = 'y') => node('BatchNormalization', [x, 'scale', 'bias', 'mean', 'var'], { epsilon: 1e-3 }, [y]);

  test('alone: a per-channel affine map', async () => {
    const { graph, model } = await checkCase({ inputs: { x: [1, 3, 2, 2] }, outputs: { y: [1, 3, 2, 2] }, nodes: [bn('x')], inits: bnInits(3) });
    assert.deepEqual(
      graph.nodes.map((n) => n.opType),
      ['BatchNormalization'],
    );
    assert.deepEqual(opTypes(model), ['BatchNormalization']);
  });

  test('Conv → BatchNorm → Relu folds into one Conv+Relu layer', async () => {
    const { graph, model } = await checkCase({
      inputs: { x: [1, 2, 5, 5] },
      outputs: { y: [1, 3, 3, 3] },
      nodes: [node('Conv', ['x', 'W', 'B'], {}, ['c']), bn('c', 'n'), node('Relu', ['n'])],
      inits: { W: { dims: [3, 2, 3, 3] }, B: { dims: [3] }, ...bnInits(3) },
    });
    assert.deepEqual(
      graph.nodes.map((n) => n.opType),
      ['Conv', 'Relu'],
    );
    assert.deepEqual(opTypes(model), ['Conv+Relu']);
  });

  test('Conv without bias → BatchNorm folds', async () => {
    const { graph } = await checkCase({
      inputs: { x: [1, 1, 4, 4] },
      outputs: { y: [1, 2, 2, 2] },
      nodes: [node('Conv', ['x', 'W'], {}, ['c']), bn('c')],
      inits: { W: { dims: [2, 1, 3, 3] }, ...bnInits(2) },
    });
    assert.deepEqual(
      graph.nodes.map((n) => n.opType),
      ['Conv'],
    );
  });

  test('Gemm (transB, beta, row bias) → BatchNorm and MatMul → BatchNorm fold into a Gemm', async () => {
    const gemm = await checkCase({
      inputs: { x: [2, 4] },
      outputs: { y: [2, 3] },
      nodes: [node('Gemm', ['x', 'W', 'C'], { transB: 1, beta: 0.5, alpha: 2 }, ['g']), bn('g')],
      inits: { W: { dims: [3, 4] }, C: { dims: [2, 3] }, ...bnInits(3) },
    });
    assert.deepEqual(
      gemm.graph.nodes.map((n) => n.opType),
      ['Gemm'],
    );
    const matmul = await checkCase({
      inputs: { x: [1, 4] },
      outputs: { y: [1, 3] },
      nodes: [node('MatMul', ['x', 'W'], {}, ['g']), bn('g')],
      inits: { W: { dims: [4, 3] }, ...bnInits(3) },
    });
    assert.deepEqual(
      matmul.graph.nodes.map((n) => n.opType),
      ['Gemm'],
    );
  });

  test('not folded when the Conv output is read elsewhere', async () => {
    const { graph } = await checkCase({
      inputs: { x: [1, 1, 4, 4] },
      outputs: { y: [1, 2, 2, 2], c: [1, 2, 2, 2] },
      nodes: [node('Conv', ['x', 'W'], {}, ['c']), bn('c')],
      inits: { W: { dims: [2, 1, 3, 3] }, ...bnInits(2) },
    });
    assert.deepEqual(
      graph.nodes.map((n) => n.opType),
      ['Conv', 'BatchNormalization'],
    );
  });

  test('training_mode = 1 is refused naming the attribute', () => {
    const bytes = build({
      inputs: { x: [1, 2, 2, 2] },
      outputs: { y: [1, 2, 2, 2] },
      nodes: [node('BatchNormalization', ['x', 'scale', 'bias', 'mean', 'var'], { training_mode: 1 })],
      inits: bnInits(2),
      opset: 15,
    });
    const err = expectCode(() => loadOnnx(bytes), 'ONNX_UNSUPPORTED_ATTRIBUTE');
    assert.equal(err.details?.attribute, 'training_mode');
  });
});

describe('Sub, Sum, Neg, Mul, Div', () => {
  const two = { x: [1, 3, 4], z: [1, 1, 4] };
  test('Sub: variable − constant, constant − variable, variable − variable (broadcast)', async () => {
    await checkCase({ inputs: { x: [2, 3] }, outputs: { y: [2, 3] }, nodes: [node('Sub', ['x', 'c'])], inits: { c: { dims: [3] } } });
    await checkCase({ inputs: { x: [2, 3] }, outputs: { y: [2, 3] }, nodes: [node('Sub', ['c', 'x'])], inits: { c: { dims: [2, 1] } } });
    const { model } = await checkCase({ inputs: two, outputs: { y: [1, 3, 4] }, nodes: [node('Sub', ['x', 'z'])], range: [-1, 1] });
    assert.equal(model.layers[0].shift, 0);
  });
  test('Neg', check({ inputs: { x: [2, 3] }, outputs: { y: [2, 3] }, nodes: [node('Neg', ['x'])] }));
  test('Sum of three (two variables, one constant)', check({ inputs: two, outputs: { y: [1, 3, 4] }, nodes: [node('Sum', ['x', 'z', 'c'])], inits: { c: { dims: [3, 1] } } }));
  test('Mul by a constant tensor (rescaled)', check({ inputs: { x: [2, 3] }, outputs: { y: [2, 3] }, nodes: [node('Mul', ['c', 'x'])], inits: { c: { dims: [3] } } }));
  test('Mul by 0.5 is exact and free', async () => {
    const { model } = await checkCase({ inputs: { x: [2, 3] }, outputs: { y: [2, 3] }, nodes: [node('Mul', ['x', 'c'])], inits: { c: { dims: [], data: [0.5] } } });
    assert.equal(model.layers[0].shift, 0);
    assert.deepEqual(model.layers[0].rows[0].terms[0][2], 1n);
  });
  test('Mul of two variables with broadcasting: one product each', async () => {
    const { model } = await checkCase({ inputs: two, outputs: { y: [1, 3, 4] }, nodes: [node('Mul', ['x', 'z'])] });
    assert.ok(model.layers[0].rows.every((r) => r.products.length === 1));
  });
  test('Mul of a tensor by itself (square)', check({ inputs: { x: [1, 5] }, outputs: { y: [1, 5] }, nodes: [node('Mul', ['x', 'x'])] }));
  test('Div by a constant', check({ inputs: { x: [2, 3] }, outputs: { y: [2, 3] }, nodes: [node('Div', ['x', 'c'])], inits: { c: { dims: [3], data: [3, -0.7, 12] } } }));

  test('Div by a computed value whose range contains 0 gets the exact quotient layer (ops-quotient.test.ts covers it)', () => {
    const bytes = build({ inputs: two, outputs: { y: [1, 3, 4] }, nodes: [node('Div', ['x', 'z'])] });
    const model = quantizeGraph(loadOnnx(bytes), parseSettings({}));
    assert.ok(model.layers.some((l) => l.divide && l.node === 'div0'));
  });
});

describe('ReduceSum and ReduceMean', () => {
  test('ReduceSum, axes as a constant input (opset 13), keepdims = 0: no rescale', async () => {
    const { model } = await checkCase({ inputs: { x: [2, 3, 4] }, outputs: { y: [2, 4] }, nodes: [constInts('axes', [1]), node('ReduceSum', ['x', 'axes'], { keepdims: 0 })] });
    assert.equal(model.layers[0].shift, 0);
  });
  test('ReduceSum over every axis when axes are absent', check({ inputs: { x: [2, 3] }, outputs: { y: [1, 1] }, nodes: [node('ReduceSum', ['x'])] }));
  test('ReduceSum with noop_with_empty_axes = 1 is the identity', check({ inputs: { x: [2, 3] }, outputs: { y: [2, 3] }, nodes: [node('ReduceSum', ['x'], { noop_with_empty_axes: 1 })] }));
  test('ReduceMean, axes attribute (opset 13), negative axes', check({ inputs: { x: [1, 3, 2, 3] }, outputs: { y: [1, 3, 1, 1] }, nodes: [node('ReduceMean', ['x'], { axes: [-1, -2] })] }));
  test(
    'ReduceMean, axes as a constant input (opset 18), keepdims = 0',
    check({ opset: 18, inputs: { x: [2, 4, 2] }, outputs: { y: [4] }, nodes: [constInts('axes', [0, 2]), node('ReduceMean', ['x', 'axes'], { keepdims: 0 })] }),
  );
});

/** Compiles a Case and checks the circuit's outputs are the integer reference's, bit for bit. */
async function checkCircuit(c: Case, name: string): Promise<{ constraints: number; predicted: number; model: QuantizedModel }> {
  const bytes = build(c);
  const graph = loadOnnx(bytes);
  const rng = seededRng(seedOf(c, 2));
  const dir = makeTempDir(`ops-${name}`);
  try {
    const onnxPath = path.join(dir, 'model.onnx');
    fs.writeFileSync(onnxPath, bytes);
    const calibration = { samples: samplesFor(graph, rng, 10, c.range).map((s) => Object.fromEntries([...s].map(([k, v]) => [k, Array.from(v)]))) };
    const result = await compileModel(onnxPath, path.join(dir, 'build'), { calibration });
    const { model } = readCompiled(result.buildDir);
    const r1cs = loadR1cs(artifactPath(result.buildDir, 'r1cs'));
    const wasm = artifactPath(result.buildDir, 'wasm');
    const outputs = model.outputs.map((o) => o.tensor);
    for (let k = 0; k < 3; k++) {
      const quantized = quantizeSample(model, randomInRange(model, rng, 0.3));
      const values = runReference(model, quantized);
      const expected = outputs.flatMap((t) => values[t]).map((v) => ((v % BN254_R) + BN254_R) % BN254_R);
      const witness = await computeWitness(circuitInput(model, quantized), wasm);
      assert.deepEqual(witness.slice(1, 1 + expected.length), expected, `${name}: circuit outputs differ from the integer reference`);
      assert.deepEqual(verifyWitness(r1cs, witness), { ok: true });
      for (const wire of [1, expected.length]) {
        const forged = [...witness];
        forged[wire] += 1n;
        assert.equal(verifyWitness(r1cs, forged).ok, false, `${name}: output wire ${wire} + 1 is accepted`);
      }
    }
    return { constraints: result.constraints, predicted: result.report.predictedConstraints, model };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('circuits', () => {
  test('Conv 1→2 channels 3x3 on 6x6 + Relu: witness = reference; constraint count pinned', async () => {
    const r = await checkCircuit(
      {
        inputs: { x: [1, 1, 6, 6] },
        outputs: { y: [1, 2, 4, 4] },
        nodes: [node('Conv', ['x', 'W', 'B'], {}, ['c']), node('Relu', ['c'])],
        inits: { W: { dims: [2, 1, 3, 3] }, B: { dims: [2] } },
        range: [0, 1],
      },
      'conv-relu',
    );
    assert.equal(r.constraints, r.predicted);
    assert.equal(r.constraints, CONV_RELU_CONSTRAINTS);
  });

  test('BatchNorm → AveragePool → Mul (square) → ReduceMean → Sub: witness = reference', async () => {
    const r = await checkCircuit(
      {
        inputs: { x: [1, 2, 4, 4] },
        outputs: { y: [1, 2, 1, 1] },
        nodes: [
          node('BatchNormalization', ['x', 'scale', 'bias', 'mean', 'var'], {}, ['b']),
          node('AveragePool', ['b'], { kernel_shape: [2, 2], strides: [2, 2] }, ['p']),
          node('Mul', ['p', 'p'], {}, ['m']),
          node('ReduceMean', ['m'], { axes: [2, 3] }, ['r']),
          node('Sub', ['r', 'c']),
        ],
        inits: { scale: { dims: [2] }, bias: { dims: [2] }, mean: { dims: [2] }, var: { dims: [2], data: [0.5, 2] }, c: { dims: [2, 1, 1] } },
      },
      'mixed',
    );
    assert.equal(r.constraints, r.predicted);
    assert.deepEqual(opTypes(r.model), ['BatchNormalization', 'AveragePool', 'Mul', 'ReduceMean', 'Sub']);
  });
});

/** 36 inputs × 8 bits (288) + 32 outputs × RequantizeRelu(k, m) at k + m + 2 = 23 each (736). */
const CONV_RELU_CONSTRAINTS = 1024;
