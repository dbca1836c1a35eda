/**
 * Spatial and indexing families (issue 14, item 6; docs/spatial.md): ConvTranspose, Resize/Upsample,
 * TopK, CumSum, DepthToSpace, SpaceToDepth, Trilu, NonZero of a constant. For each attribute
 * variant: our float semantics equal onnxruntime's (shapes included), and the integer model stays
 * within its static error bound of onnxruntime; the data-moving ones cost no constraint. One circuit
 * with all the families is compiled: its witness equals the integer reference, its constraint count
 * is pinned and predicted, and every tampered output is refused. What cannot be compiled is refused
 * with a typed error naming the node.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { CompileResult, compileModel } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import { buildReport } from '../../src/compiler/report';
import type { Graph } from '../../src/formats/graph';
import { sizeOf } from '../../src/formats/graph';
import { loadOnnx } from '../../src/onnx/load';
import { createOrtSession, runOrt } from '../../src/onnx/runtime';
import { InitializerSpec, NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { quantizeSample } from '../../src/quantize/codec';
import { runFloat } from '../../src/quantize/float-executor';
import type { InputSample } from '../../src/formats/input-document';
import type { QuantizedModel } from '../../src/formats/quantized-model';
import { quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { parseSettings } from '../../src/formats/settings';
import { topKStages } from '../../src/quantize/lower/topk';
import { auditBuild } from '../../src/audit/audit';
import { expectCode, makeTempDir, randomInRange, Rng, seededRng } from '../helpers/onnx-builders';
import { node, weights, i64, floats, SPATIAL_CIRCUIT } from '../helpers/linear-circuits';
import { checkWitnesses } from '../helpers/compiled-circuit-check';

interface Case {
  opset?: number;
  inputs: Record<string, number[]>;
  /** Output names and ranks (the shapes are inferred; onnxruntime's must equal ours). */
  outputs: Record<string, number>;
  nodes: NodeSpec[];
  inits?: Record<string, { dims: number[]; data: number[]; elemType?: 'int64' }>;
  /** The op costs constraints (a rescale, comparisons): skip the "free" check. */
  costly?: boolean;
  /** Inputs on a grid of 1/16 (exactly represented, ties frequent): the integer model must then equal onnxruntime. */
  grid?: boolean;
}

let seed = 1400;

function build(c: Case): Uint8Array {
  const initializers: InitializerSpec[] = Object.entries(c.inits ?? {}).map(([name, t]) => ({ name, dims: t.dims, data: t.elemType ? t.data : Float32Array.from(t.data), elemType: t.elemType }));
  return writeOnnx({
    name: 'ops-spatial',
    opset: c.opset,
    inputs: Object.entries(c.inputs).map(([name, shape]) => ({ name, elemType: 'float32', shape })),
    outputs: Object.entries(c.outputs).map(([name, rank]) => ({ name, elemType: 'float32', shape: Array.from({ length: rank }, (_, i) => `${name}_d${i}`) })),
    initializers,
    nodes: c.nodes,
  });
}

function sample(graph: Graph, rng: Rng, grid: boolean): InputSample {
  const value = () => (grid ? (Math.floor(rng.next() * 17) - 8) / 16 : Math.fround(rng.uniform(-1, 1)));
  return new Map(graph.inputs.map((i) => [i.name, Float64Array.from({ length: sizeOf(i.shape) }, value)]));
}

async function checkCase(c: Case): Promise<{ graph: Graph; model: QuantizedModel }> {
  const rng = seededRng(seed++);
  const bytes = build(c);
  const graph = loadOnnx(bytes);
  const session = await createOrtSession(bytes);
  try {
    for (let s = 0; s < 4; s++) {
      const x = sample(graph, rng, c.grid ?? false);
      const ort = await runOrt(session, graph.inputs, x);
      const ours = runFloat(graph, x);
      for (const o of ort) {
        const got = ours.get(o.name)!;
        assert.deepEqual(got.shape, o.shape, `${o.name}: shape`);
        got.data.forEach((v, i) => assert.ok(Math.abs(v - o.values[i]) <= 1e-5 * (1 + Math.abs(o.values[i])), `${o.name}[${i}]: ours ${v}, onnxruntime ${o.values[i]}`));
      }
    }
    const model = quantizeGraph(
      graph,
      parseSettings({}),
      Array.from({ length: 8 }, () => sample(graph, rng, false)),
    );
    for (let s = 0; s < 20; s++) {
      const x = c.grid ? sample(graph, rng, true) : randomInRange(model, rng, 0.2);
      const ort = await runOrt(session, graph.inputs, x);
      const ints = runReference(model, quantizeSample(model, x));
      for (const out of model.outputs) {
        const want = ort.find((o) => o.name === out.name)!.values;
        ints[out.tensor].forEach((v, i) => {
          const got = Number(v) / 2 ** out.scaleBits;
          if (c.grid) assert.equal(got, want[i], `${out.name}[${i}]: integer model ${got}, onnxruntime ${want[i]} on an exact input`);
          else assert.ok(Math.abs(got - want[i]) <= out.errorBound, `${out.name}[${i}]: integer model ${got}, onnxruntime ${want[i]}, bound ${out.errorBound}`);
        });
      }
    }
    if (!c.costly) {
      // Only the input range checks, and the public output elements circom keeps: constants (Trilu's zeros,
      // an empty exclusive sum) and elements linear in other outputs (an upsampled input read twice).
      const opLayers = buildReport(model).layers.filter((l) => !l.opType.startsWith('RangeCheck') && l.layer !== 'public outputs');
      assert.deepEqual(
        opLayers.filter((l) => l.constraints > 0).map((l) => l.opType),
        [],
        'the op must cost no constraint',
      );
    }
    return { graph, model };
  } finally {
    await session.release();
  }
}

const toFloat = (input: string, output: string): NodeSpec => ({ opType: 'Cast', name: `cast_${output}`, inputs: [input], outputs: [output], attributes: { to: 1 } });

describe('ConvTranspose', () => {
  const cases: Array<[string, Record<string, number[]>, number[], NodeSpec['attributes'], boolean?]> = [
    ['2-D, strides 2, pads, output_padding, bias (ezkl 1l_conv_transpose)', { x: [1, 3, 4, 4] }, [3, 2, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] }, true],
    ['1-D, group 2 (tract deconv_group)', { x: [1, 2, 5] }, [2, 2, 3], { group: 2 }],
    ['1-D, dilations 2, asymmetric pads', { x: [1, 2, 6] }, [2, 1, 3], { dilations: [2], pads: [1, 2] }],
    ['auto_pad SAME_UPPER, odd total padding', { x: [1, 1, 4, 3] }, [1, 2, 3, 3], { strides: [2, 2], auto_pad: 'SAME_UPPER' }],
    ['auto_pad SAME_LOWER, odd total padding', { x: [1, 1, 4, 3] }, [1, 2, 3, 3], { strides: [2, 2], auto_pad: 'SAME_LOWER' }],
    ['output_shape', { x: [1, 1, 3, 3] }, [1, 2, 3, 3], { strides: [3, 2], output_shape: [10, 8] }],
    ['auto_pad VALID, 3-D', { x: [1, 1, 2, 2, 2] }, [1, 1, 2, 2, 2], { strides: [2, 1, 2], auto_pad: 'VALID' }],
  ];
  for (const [what, inputs, wDims, attributes, bias] of cases) {
    test(what, async () => {
      const m = wDims[1] * ((attributes!.group as number) ?? 1);
      await checkCase({
        inputs,
        outputs: { y: inputs.x.length },
        nodes: [node('ConvTranspose', bias ? ['x', 'W', 'B'] : ['x', 'W'], attributes)],
        inits: { W: weights(wDims), ...(bias ? { B: weights([m]) } : {}) },
        costly: true,
      });
    });
  }

  test('a following BatchNormalization is folded into the weights and bias (one group)', async () => {
    const { graph } = await checkCase({
      inputs: { x: [1, 2, 3, 3] },
      outputs: { y: 4 },
      nodes: [node('ConvTranspose', ['x', 'W'], { strides: [2, 2] }, ['t']), node('BatchNormalization', ['t', 'G', 'Bb', 'Mu', 'V'], { epsilon: { type: 'float', value: 1e-3 } }, ['y'], 'bn')],
      inits: { W: weights([2, 3, 2, 2]), G: floats([1.5, -0.5, 2]), Bb: floats([0.1, 0, -0.2]), Mu: floats([0.05, -0.1, 0]), V: floats([0.5, 1, 2]) },
      costly: true,
    });
    assert.deepEqual(
      graph.nodes.map((n) => n.opType),
      ['ConvTranspose'],
    );
  });

  test('weights computed at run time are refused, naming the node', () => {
    const bytes = build({ inputs: { x: [1, 1, 3], w: [1, 1, 2] }, outputs: { y: 3 }, nodes: [node('ConvTranspose', ['x', 'w'])] });
    const err = expectCode(() => loadOnnx(bytes), 'ONNX_UNSUPPORTED_OP');
    assert.match(err.message, /convtranspose0.*W must be constant/);
  });
});

describe('Resize and Upsample', () => {
  const resize = (attributes: NodeSpec['attributes'], scalesOrSizes: { scales?: number[]; sizes?: number[] }, x = [1, 2, 4, 5]): Case => ({
    opset: 13,
    inputs: { x },
    outputs: { y: x.length },
    nodes: [node('Resize', ['x', '', scalesOrSizes.scales ? 'S' : '', ...(scalesOrSizes.sizes ? ['Z'] : [])], attributes)],
    inits: { ...(scalesOrSizes.scales ? { S: floats(scalesOrSizes.scales) } : {}), ...(scalesOrSizes.sizes ? { Z: i64(scalesOrSizes.sizes) } : {}) },
  });
  const free: Array<[string, Case]> = [
    ['nearest, asymmetric, floor, scale 2 (ezkl 1l_upsample)', resize({ mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, { scales: [1, 1, 2, 2] })],
    ['nearest, half_pixel, round_prefer_floor (defaults), scale 1.5 and 0.6', resize({}, { scales: [1, 1, 1.5, 0.6] })],
    ['nearest, half_pixel, round_prefer_ceil, sizes', resize({ nearest_mode: 'round_prefer_ceil' }, { sizes: [1, 2, 7, 3] })],
    ['nearest, align_corners, ceil, sizes', resize({ coordinate_transformation_mode: 'align_corners', nearest_mode: 'ceil' }, { sizes: [1, 2, 7, 8] })],
    ['nearest, half_pixel, floor, scale 3 and 0.5', resize({ nearest_mode: 'floor' }, { scales: [1, 1, 3, 0.5] })],
    ['linear, half_pixel, scale 2: weights 1/4 and 3/4, exact', resize({ mode: 'linear' }, { scales: [1, 1, 2, 2] })],
    ['linear, asymmetric, scale 2 on one axis', resize({ mode: 'linear', coordinate_transformation_mode: 'asymmetric' }, { scales: [1, 1, 1, 2] })],
    [
      'Resize opset 10 (asymmetric, nearest floor)',
      { opset: 10, inputs: { x: [1, 1, 3, 4] }, outputs: { y: 4 }, nodes: [node('Resize', ['x', 'S'], { mode: 'nearest' })], inits: { S: floats([1, 1, 2, 1.5]) } },
    ],
    [
      'Upsample opset 7, scales attribute, nearest',
      { opset: 7, inputs: { x: [1, 1, 3, 4] }, outputs: { y: 4 }, nodes: [node('Upsample', ['x'], { mode: 'nearest', scales: { type: 'floats', value: [1, 1, 2, 3] } })] },
    ],
    ['Upsample opset 9, linear', { opset: 9, inputs: { x: [1, 1, 3, 4] }, outputs: { y: 4 }, nodes: [node('Upsample', ['x', 'S'], { mode: 'linear' })], inits: { S: floats([1, 1, 2, 2]) } }],
  ];
  for (const [what, c] of free) test(`${what}: no constraint`, async () => void (await checkCase(c)));

  for (const [what, c] of [
    ['linear, align_corners, sizes 4 → 7: weights in thirds, one rescale', resize({ mode: 'linear', coordinate_transformation_mode: 'align_corners' }, { sizes: [1, 2, 7, 5] })],
    ['linear, pytorch_half_pixel, scale 1.5', resize({ mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }, { scales: [1, 1, 1.5, 1.5] })],
  ] as Array<[string, Case]>) {
    test(what, async () => void (await checkCase({ ...c, costly: true })));
  }

  test('cubic mode and a run-time scale are refused, naming the node', () => {
    expectCode(() => loadOnnx(build(resize({ mode: 'cubic' }, { scales: [1, 1, 2, 2] }))), 'ONNX_UNSUPPORTED_ATTRIBUTE');
    const dynamic = build({ opset: 13, inputs: { x: [1, 1, 2, 2], s: [4] }, outputs: { y: 4 }, nodes: [node('Resize', ['x', '', 's'])] });
    const err = expectCode(() => loadOnnx(dynamic), 'ONNX_DYNAMIC_SHAPE');
    assert.match(err.message, /resize0.*scales/);
  });
});

describe('TopK', () => {
  const topk = (k: number, attributes: NodeSpec['attributes'], x = [2, 6]): Case => ({
    inputs: { x },
    outputs: { v: x.length, i: x.length },
    nodes: [node('TopK', ['x', 'K'], attributes, ['v', 'ix']), toFloat('ix', 'i')],
    inits: { K: i64([k]) },
    costly: true,
    grid: true,
  });
  test('largest, last axis, ties to the lower index: values and indices equal onnxruntime', async () => void (await checkCase(topk(4, {}))));
  test('smallest, axis 0', async () => void (await checkCase(topk(2, { axis: 0, largest: 0 }, [3, 4]))));
  test('opset 1: k as an attribute', async () => {
    await checkCase({ opset: 9, inputs: { x: [2, 5] }, outputs: { v: 2, i: 2 }, nodes: [node('TopK', ['x'], { k: 3 }, ['v', 'ix']), toFloat('ix', 'i')], costly: true, grid: true });
  });
  test('an axis of length 1: no comparator, the index a constant', async () => void (await checkCase(topk(1, { axis: 1 }, [3, 1]))));
  test('k = n: a full sort, middle axis', async () => void (await checkCase(topk(3, { axis: 1 }, [2, 3, 2]))));
  test('on inexact inputs the values stay within their bound', async () => void (await checkCase({ ...topk(3, {}), grid: false })));

  test('the network has k bubble passes, k·(2n − k − 1)/2 comparators, in stages of disjoint pairs', () => {
    for (const [n, k] of [
      [6, 4],
      [5, 5],
      [9, 1],
    ]) {
      const stages = topKStages(n, k);
      assert.equal(stages.flat().length, (k * (2 * n - k - 1)) / 2);
      for (const s of stages) assert.equal(new Set(s.flat()).size, 2 * s.length, 'a stage touches each position once');
    }
  });

  test('sorted = 0 and a run-time k are refused, naming the node', () => {
    const err = expectCode(() => loadOnnx(build({ ...topk(2, { sorted: 0 }) })), 'ONNX_UNSUPPORTED_ATTRIBUTE');
    assert.match(err.message, /topk0.*sorted/);
    const dynamic = build({ inputs: { x: [1, 4], k: [1] }, outputs: { v: 2, i: 2 }, nodes: [node('TopK', ['x', 'k'], {}, ['v', 'i'])] });
    expectCode(() => loadOnnx(dynamic), 'ONNX_DYNAMIC_SHAPE');
  });
});

describe('CumSum, DepthToSpace, SpaceToDepth, Trilu, NonZero', () => {
  const cumsum = (attributes: NodeSpec['attributes'], axis: number): Case => ({
    inputs: { x: [2, 3, 4] },
    outputs: { y: 3 },
    nodes: [node('CumSum', ['x', 'A'], attributes)],
    inits: { A: i64([axis], []) },
  });
  test('CumSum, axis 1', async () => void (await checkCase(cumsum({}, 1))));
  test('CumSum, exclusive, reverse, negative axis', async () => void (await checkCase(cumsum({ exclusive: 1, reverse: 1 }, -1))));
  test('CumSum, exclusive', async () => void (await checkCase(cumsum({ exclusive: 1 }, 0))));
  test('CumSum, reverse', async () => void (await checkCase(cumsum({ reverse: 1 }, 2))));
  for (const mode of ['DCR', 'CRD']) {
    test(`DepthToSpace ${mode}`, async () => void (await checkCase({ opset: 13, inputs: { x: [1, 8, 2, 3] }, outputs: { y: 4 }, nodes: [node('DepthToSpace', ['x'], { blocksize: 2, mode })] })));
  }
  test('SpaceToDepth', async () => void (await checkCase({ inputs: { x: [1, 2, 4, 6] }, outputs: { y: 4 }, nodes: [node('SpaceToDepth', ['x'], { blocksize: 2 })] })));
  test('Trilu upper (default), batched', async () => void (await checkCase({ opset: 14, inputs: { x: [2, 3, 4] }, outputs: { y: 3 }, nodes: [node('Trilu', ['x'])] })));
  test('Trilu lower with k = −1 and upper with k = 2', async () => {
    await checkCase({ opset: 14, inputs: { x: [4, 3] }, outputs: { y: 2 }, nodes: [node('Trilu', ['x', 'K'], { upper: 0 })], inits: { K: i64([-1], []) } });
    await checkCase({ opset: 14, inputs: { x: [3, 5] }, outputs: { y: 2 }, nodes: [node('Trilu', ['x', 'K'])], inits: { K: i64([2], []) } });
  });
  test('NonZero of a constant folds at ingest', async () => {
    const { graph } = await checkCase({
      inputs: { x: [2, 4] },
      outputs: { y: 2 },
      nodes: [node('NonZero', ['C'], {}, ['nz']), toFloat('nz', 'nzf'), node('Add', ['x', 'nzf'], {}, ['y'], 'add0')],
      inits: { C: { dims: [2, 4], data: [0, 1, 0, 2, 3, 0, 0, 4] } },
    });
    assert.ok(!graph.nodes.some((n) => n.opType === 'NonZero'), 'folded');
  });
  test('NonZero of a run-time tensor and a run-time CumSum axis or Trilu k are refused, naming the node', () => {
    const err = expectCode(() => loadOnnx(build({ inputs: { x: [2, 3] }, outputs: { y: 2 }, nodes: [node('NonZero', ['x'])] })), 'ONNX_DYNAMIC_SHAPE');
    assert.match(err.message, /nonzero0.*depends on the data/);
    expectCode(() => loadOnnx(build({ inputs: { x: [2, 3], a: [] }, outputs: { y: 2 }, nodes: [node('CumSum', ['x', 'a'])] })), 'ONNX_DYNAMIC_SHAPE');
    const e = expectCode(() => loadOnnx(build({ opset: 14, inputs: { x: [3, 3], k: [] }, outputs: { y: 2 }, nodes: [node('Trilu', ['x', 'k'])] })), 'ONNX_DYNAMIC_SHAPE');
    assert.match(e.message, /trilu0.*k \(input 1\)/);
  });
});

describe('circuit: ConvTranspose, bilinear Resize, TopK, CumSum, DepthToSpace', () => {
  const c: Case = SPATIAL_CIRCUIT;
  let dir: string;
  let result: CompileResult;
  let circom: CompileResult;
  before(async () => {
    dir = makeTempDir('spatial');
    fs.writeFileSync(`${dir}/model.onnx`, build(c));
    // Written directly (no fallback), and circom's build beside it: the outputs copy the private input
    // (CumSum, DepthToSpace twice) and are linear in it (Resize), which both fold the same way.
    result = await compileModel(`${dir}/model.onnx`, `${dir}/build`, { settings: { inputRange: [-1, 1] } });
    circom = await compileModel(`${dir}/model.onnx`, `${dir}/circom`, { backend: 'circom', settings: { inputRange: [-1, 1] } });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the soundness audit refuses every mutation: comparison bits, swap products, rescales, outputs', async () => {
    const x = Array.from({ length: 12 }, (_, i) => ((i * 5) % 7) / 8 - 0.375);
    x[4] = x[5]; // a tie inside a TopK line
    const report = await auditBuild(`${dir}/build`, { input_data: [x] }, { perClass: 400 });
    assert.equal(report.forgeries, 0, JSON.stringify(report.classes.filter((cl) => cl.accepted.length > 0)));
    const tried = (name: string) => report.classes.filter((cl) => cl.mutationClass === name).reduce((a, cl) => a + cl.tried, 0);
    // 'other': the gadgets' own surviving signals and the product wires (TopK's swaps among them).
    for (const cls of ['outputs', 'other', 'range-check bits', 'quotient bits', 'remainder bits', 'forged rescale']) assert.ok(tried(cls) > 0, `class '${cls}' was tried`);
  });

  test('the witness equals the integer reference; the count is pinned; every tampered output is refused', async () => {
    const buildDir = `${dir}/build`;
    const model = readCompiled(buildDir).model;
    const layers = buildReport(model).layers;
    const cost = (op: string) => layers.filter((l) => l.opType === op).reduce((a, l) => a + l.constraints, 0);
    // Pinned. Input: 12 × 8 bits (96). ConvTranspose: 24 rescales (330). TopK on 4 lines of 3, k = 2:
    // 3 comparators per line, 12 in all: 12 NonNegative(10) of the key n·Δv + Δi (132), 12 value
    // products, 8 index products (the first stage's indices are constants: linear). Resize (weights
    // 1/4, 3/4), CumSum, Concat, DepthToSpace: no gadget.
    assert.equal(cost('Resize') + cost('CumSum') + cost('DepthToSpace') + cost('Concat'), 0);
    assert.equal(cost('TopK'), 12 * 11 + 12 + 8);
    assert.equal(cost('ConvTranspose'), 330);
    // circom keeps 72 linear constraints more, and the report predicts them: the public Resize (48)
    // and DepthToSpace (24) elements are linear in the private input x, whose 12 elements the 12
    // CumSum outputs already absorb (src/compiler/kept-output-constraints.ts).
    assert.equal(cost('linear in other outputs'), 48 + 24);
    assert.equal(result.report.predictedConstraints, 96 + 330 + 152 + 72);
    assert.equal(result.constraints, result.report.predictedConstraints);
    assert.equal(result.report.backend, 'direct');
    assert.equal(result.report.backendFallback, undefined);
    // The same constraints and wires; under circom's elimination rule the same r1cs (direct-backend.test.ts).
    const counts = (r: typeof result) => [r.report.r1cs?.constraints, r.report.r1cs?.wires, r.report.r1cs?.nonZerosC, r.report.r1cs?.linearConstraints];
    assert.deepEqual(counts(result), counts(circom), "the direct r1cs has circom's constraints and wires");
    const rng = seededRng(77);
    await checkWitnesses(
      model,
      buildDir,
      Array.from({ length: 3 }, () => sample(loadOnnx(build(c)), rng, true)),
    );
  });
});
