/**
 * Shape and data-movement op families (issue 3): Concat, Split, Slice, Pad, Transpose, Squeeze,
 * Unsqueeze, Expand, Tile, Gather, Where, Shape, Cast, ConstantOfShape, Range, Equal, Not.
 * For each: our float semantics equal onnxruntime's exactly (they only move float32 values); the
 * quantized integer model stays within its static error bound of onnxruntime and costs no
 * constraint beyond the input range checks; one circuit (Transpose+Slice+Concat+Pad) is compiled
 * and its witness equals the integer reference. Constant shape subgraphs fold at ingest; dynamic
 * parameters and unsupported modes are refused with typed errors naming the node.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { onnx } from 'onnx-proto';
import { artifactPath } from '../../src/formats/artifacts';
import { compileModel } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import { buildReport } from '../../src/compiler/report';
import { verifyWitness, computeWitness, loadR1cs } from '../../src/compiler/r1cs-check';
import type { Graph } from '../../src/formats/graph';
import { sizeOf } from '../../src/formats/graph';
import { loadOnnx } from '../../src/onnx/load';
import { createOrtSession, runOrt } from '../../src/onnx/runtime';
import { InitializerSpec, NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { BN254_R } from '../../src/formats/field';
import { runFloat } from '../../src/quantize/float-executor';
import type { InputSample } from '../../src/formats/input-document';
import type { QuantizedModel } from '../../src/formats/quantized-model';
import { quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { parseSettings } from '../../src/formats/settings';
import { expectCode, makeTempDir, randomInRange, Rng, seededRng } from '../helpers/onnx-builders';
import { node, ints, BIG, SHAPE_CIRCUIT } from '../helpers/linear-circuits';

type Shape = number[];

interface Case {
  opset?: number;
  inputs: Record<string, Shape>;
  /** Float range of each input's calibration data (default [-1, 1]). */
  ranges?: Record<string, [number, number]>;
  outputs: Record<string, Shape>;
  nodes: NodeSpec[];
  inits?: Record<string, { dims: number[]; data: number[] }>;
  /** Edits the encoded model (attributes and types our writer does not emit). */
  edit?: (model: onnx.ModelProto) => void;
  /** Other ops in the case cost constraints: skip the "shape ops are free" check. */
  costly?: boolean;
}

let seed = 300;

function build(c: Case): Uint8Array {
  const initializers: InitializerSpec[] = Object.entries(c.inits ?? {}).map(([name, t]) => ({ name, dims: t.dims, data: Float32Array.from(t.data) }));
  const bytes = writeOnnx({
    name: 'ops-shape',
    opset: c.opset,
    inputs: Object.entries(c.inputs).map(([name, shape]) => ({ name, elemType: 'float32', shape })),
    outputs: Object.entries(c.outputs).map(([name, shape]) => ({ name, elemType: 'float32', shape })),
    initializers,
    nodes: c.nodes,
  });
  if (!c.edit) return bytes;
  const model = onnx.ModelProto.decode(bytes);
  c.edit(model);
  return onnx.ModelProto.encode(model).finish();
}

function sample(graph: Graph, rng: Rng, ranges: Case['ranges'] = {}): InputSample {
  return new Map(
    graph.inputs.map((i) => {
      const [lo, hi] = ranges[i.name] ?? [-1, 1];
      return [i.name, Float64Array.from({ length: sizeOf(i.shape) }, () => Math.fround(rng.uniform(lo, hi)))];
    }),
  );
}

/** Range-check constraints of the inputs: all a model of shape ops may cost. */
function inputChecks(model: QuantizedModel): number {
  return model.inputs.reduce((a, i) => a + sizeOf(i.shape) * ((i.hi - i.lo + 1n).toString(2).length - 1), 0);
}

/**
 * (a) runFloat equals onnxruntime exactly, shapes included; (b) the dequantized integer reference is
 * within the static error bound of onnxruntime; (c) the layers cost no constraint.
 */
async function checkCase(c: Case): Promise<{ graph: Graph; model: QuantizedModel }> {
  const rng = seededRng(seed++);
  const bytes = build(c);
  const graph = loadOnnx(bytes);
  const session = await createOrtSession(bytes);
  try {
    for (let s = 0; s < 4; s++) {
      const x = sample(graph, rng, c.ranges);
      const ort = await runOrt(session, graph.inputs, x);
      const ours = runFloat(graph, x);
      for (const o of ort) {
        const got = ours.get(o.name)!;
        assert.deepEqual(got.shape, o.shape, `${o.name}: shape`);
        assert.deepEqual(Array.from(got.data), o.values, `${o.name}: float values differ from onnxruntime`);
      }
    }
    const model = quantizeGraph(
      graph,
      parseSettings({}),
      Array.from({ length: 8 }, () => sample(graph, rng, c.ranges)),
    );
    for (let s = 0; s < 20; s++) {
      const x = randomInRange(model, rng, 0.2);
      const ort = await runOrt(session, graph.inputs, x);
      const ints = runReference(model, quantizeSample(model, x));
      for (const out of model.outputs) {
        const want = ort.find((o) => o.name === out.name)!.values;
        ints[out.tensor].forEach((v, i) => {
          const got = Number(v) / 2 ** out.scaleBits;
          assert.ok(Math.abs(got - want[i]) <= out.errorBound, `${out.name}[${i}]: integer model ${got}, onnxruntime ${want[i]}, bound ${out.errorBound}`);
        });
      }
    }
    if (!c.costly) {
      // Besides the range checks, only the public output elements circom keeps (constants, repeated elements).
      const shapeLayers = buildReport(model).layers.filter((l) => !l.opType.startsWith('RangeCheck') && l.layer !== 'public outputs');
      assert.ok(
        shapeLayers.every((l) => l.constraints === 0),
        'shape ops must cost no constraint',
      );
    }
    return { graph, model };
  } finally {
    await session.release();
  }
}

const int = (name: string, value: number): NodeSpec => ({ opType: 'Constant', name: `c_${name}`, inputs: [], outputs: [name], attributes: { value_int: value } });
const flt = (name: string, value: number): NodeSpec => ({ opType: 'Constant', name: `c_${name}`, inputs: [], outputs: [name], attributes: { value_float: { type: 'float', value } } });
const layerOps = (model: QuantizedModel) => model.layers.map((l) => l.opType);

/** Sets a graph input's element type (our writer only declares float32). */
function setInputType(model: onnx.ModelProto, name: string, elemType: number): void {
  const v = model.graph!.input!.find((i) => i.name === name)!;
  v.type!.tensorType!.elemType = elemType;
}

/** Adds a TENSOR attribute to a node. */
function tensorAttribute(model: onnx.ModelProto, nodeName: string, attr: string, dataType: number, dims: number[], values: number[]): void {
  const n = model.graph!.node!.find((x) => x.name === nodeName)!;
  const t = onnx.TensorProto.create({ dims, dataType, ...(dataType === onnx.TensorProto.DataType.FLOAT ? { floatData: values } : { int64Data: values }) });
  n.attribute!.push(onnx.AttributeProto.create({ name: attr, type: onnx.AttributeProto.AttributeType.TENSOR, t }));
}

/** Whether an element's value is fixed by the circuit alone (bias-only rows, through copies). */
function isConstantElement(model: QuantizedModel, tensor: number, index: number): boolean {
  const layer = model.layers.find((l) => l.out === tensor);
  if (!layer) return false; // an input
  const row = layer.rows[index];
  return row.products.length === 0 && row.terms.every(([t, i]) => isConstantElement(model, t, i));
}

describe('Concat and Split', () => {
  test('Concat of two inputs at different scales and a constant, negative axis: aligned by powers of two, constant as bias', async () => {
    const { model } = await checkCase({
      inputs: { a: [1, 2, 3], b: [1, 1, 3] },
      ranges: { a: [-1, 1], b: [-6, 6] },
      outputs: { y: [1, 5, 3] },
      nodes: [node('Concat', ['a', 'C', 'b'], { axis: -2 })],
      inits: { C: { dims: [1, 2, 3], data: [0.5, -0.25, 1.75, 0, 2, -3] } },
    });
    const [a, b] = model.inputs;
    assert.notEqual(a.scaleBits, b.scaleBits, 'the case needs two scales');
    const layer = model.layers[0];
    assert.equal(layer.shift, 0);
    // b's elements are scaled up to a's scale by an exact power of two.
    const coefB = layer.rows[12].terms[0][2];
    assert.equal(coefB, 1n << BigInt(a.scaleBits - b.scaleBits));
    assert.equal(layer.rows[6].terms.length, 0, 'constant elements are biases');
  });

  test('Concat on the leading axis of 1-D inputs', async () => {
    await checkCase({ inputs: { a: [3], b: [2] }, outputs: { y: [5] }, nodes: [node('Concat', ['b', 'a'], { axis: 0 })] });
  });

  test('Split with a split input (opset 13): three outputs', async () => {
    await checkCase({
      inputs: { x: [1, 6, 2] },
      outputs: { p: [1, 1, 2], q: [1, 2, 2], r: [1, 3, 2] },
      nodes: [ints('s', [1, 2, 3]), node('Split', ['x', 's'], { axis: 1 }, ['p', 'q', 'r'])],
    });
  });

  test('Split with a split attribute (opset 11) and equal parts', async () => {
    await checkCase({
      opset: 11,
      inputs: { x: [2, 6] },
      outputs: { p: [2, 2], q: [2, 4], u: [1, 6], v: [1, 6] },
      nodes: [node('Split', ['x'], { axis: -1, split: [2, 4] }, ['p', 'q'], 'split_a'), node('Split', ['x'], {}, ['u', 'v'], 'split_b')],
    });
  });

  test('Split with num_outputs (opset 18): uneven, the last part smaller', async () => {
    await checkCase({
      opset: 18,
      inputs: { x: [1, 7] },
      outputs: { p: [1, 3], q: [1, 3], r: [1, 1] },
      nodes: [node('Split', ['x'], { axis: 1, num_outputs: 3 }, ['p', 'q', 'r'])],
    });
  });
});

describe('Slice', () => {
  test('constant inputs (opset 13): negative starts/ends, clamped ends, negative and >1 steps, permuted axes', async () => {
    await checkCase({
      inputs: { x: [2, 5, 6] },
      outputs: { y: [1, 5, 3] },
      nodes: [ints('st', [-1, 1, -5]), ints('en', [-6, BIG, 1]), ints('ax', [1, 2, 0]), ints('sp', [-1, 2, 1]), node('Slice', ['x', 'st', 'en', 'ax', 'sp'])],
    });
  });

  test('without axes and steps; a slice that is the whole tensor is an alias', async () => {
    const { model } = await checkCase({
      inputs: { x: [3, 4] },
      outputs: { y: [2, 3], z: [3, 4] },
      nodes: [ints('st', [1, 0]), ints('en', [3, -1]), ints('all', [0, 0]), ints('end', [BIG, BIG]), node('Slice', ['x', 'st', 'en']), node('Slice', ['x', 'all', 'end'], {}, ['z'], 'slice_all')],
    });
    assert.deepEqual(layerOps(model), ['Slice']);
  });

  test("omitted axes with steps given (Slice(x, st, en, '', sp)): the steps stay steps", async () => {
    await checkCase({
      inputs: { x: [3, 4] },
      outputs: { y: [2, 2] },
      nodes: [ints('st', [0, 0]), ints('en', [BIG, BIG]), ints('sp', [2, 2]), node('Slice', ['x', 'st', 'en', '', 'sp'])],
    });
  });

  test('attributes (opset 9)', async () => {
    await checkCase({
      opset: 9,
      inputs: { x: [2, 3, 4] },
      outputs: { y: [1, 3, 3] },
      nodes: [node('Slice', ['x'], { starts: [0, 1], ends: [1, 1000], axes: [0, 2] })],
    });
  });

  test('a backwards step from past the end, with an end before the start', async () => {
    await checkCase({
      inputs: { x: [1, 6] },
      outputs: { y: [1, 2], e: [1, 0] },
      nodes: [
        ints('st', [BIG]),
        ints('en', [-BIG]),
        ints('ax', [1]),
        ints('sp', [-4]),
        node('Slice', ['x', 'st', 'en', 'ax', 'sp']),
        ints('st2', [4]),
        ints('en2', [2]),
        node('Slice', ['x', 'st2', 'en2', 'ax'], {}, ['e'], 'slice_empty'),
      ],
    });
  });
});

describe('Pad', () => {
  test('constant mode with pads and constant_value inputs (opset 13), negative pads crop', async () => {
    await checkCase({
      inputs: { x: [1, 2, 3] },
      outputs: { y: [1, 5, 3] },
      nodes: [ints('pads', [0, 1, -1, 0, 2, 1]), node('Pad', ['x', 'pads', 'v'])],
      inits: { v: { dims: [], data: [0.75] } },
    });
  });

  test('constant mode with attributes (opset 10), value 0.5', async () => {
    await checkCase({
      opset: 10,
      inputs: { x: [1, 3, 2, 2] },
      outputs: { y: [1, 3, 4, 4] },
      nodes: [node('Pad', ['x'], { mode: 'constant', pads: [0, 0, 1, 1, 0, 0, 1, 1], value: { type: 'float', value: 0.5 } })],
    });
  });

  for (const mode of ['reflect', 'edge']) {
    test(`${mode} mode`, async () => {
      await checkCase({
        inputs: { x: [1, 3, 4] },
        outputs: { y: [1, 6, 8] },
        nodes: [ints('pads', [0, 2, 1, 0, 1, 3]), node('Pad', ['x', 'pads'], { mode })],
      });
    });
  }

  test('wrap mode and the axes input (opset 19)', async () => {
    await checkCase({
      opset: 19,
      inputs: { x: [1, 3, 4] },
      outputs: { y: [1, 3, 9] },
      nodes: [ints('pads', [2, 3]), ints('axes', [-1]), flt('v', 0), node('Pad', ['x', 'pads', 'v', 'axes'], { mode: 'wrap' })],
    });
  });
});

describe('Transpose, Squeeze, Unsqueeze, Expand, Tile', () => {
  test('Transpose with perm and with the default (reversed) perm', async () => {
    await checkCase({
      inputs: { x: [1, 2, 3, 4] },
      outputs: { y: [1, 4, 2, 3], z: [4, 3, 2, 1] },
      nodes: [node('Transpose', ['x'], { perm: [0, 3, 1, 2] }), node('Transpose', ['x'], {}, ['z'], 'transpose_default')],
    });
  });

  test('Squeeze and Unsqueeze with axes inputs (opset 13) are aliases: no layer', async () => {
    const { model } = await checkCase({
      inputs: { x: [1, 3, 1, 2] },
      outputs: { y: [1, 1, 3, 2, 1] },
      nodes: [ints('sq', [2]), ints('usq', [0, -1]), node('Squeeze', ['x', 'sq'], {}, ['s']), node('Unsqueeze', ['s', 'usq'])],
    });
    assert.deepEqual(model.layers, []);
  });

  test('Squeeze and Unsqueeze with axes attributes (opset 11), Squeeze without axes', async () => {
    const { model } = await checkCase({
      opset: 11,
      inputs: { x: [1, 3, 1, 2] },
      outputs: { y: [3, 2, 1], z: [3, 2] },
      nodes: [node('Squeeze', ['x'], { axes: [0, -2] }, ['s']), node('Unsqueeze', ['s'], { axes: [2] }), node('Squeeze', ['x'], {}, ['z'], 'squeeze_all')],
    });
    assert.deepEqual(model.layers, []);
  });

  test('Expand broadcasts against a constant shape', async () => {
    await checkCase({
      inputs: { x: [3, 1] },
      outputs: { y: [2, 3, 4] },
      nodes: [ints('shape', [2, 1, 4]), node('Expand', ['x', 'shape'])],
    });
  });

  test('Tile with constant repeats', async () => {
    await checkCase({
      inputs: { x: [1, 2, 3] },
      outputs: { y: [2, 2, 6] },
      nodes: [ints('rep', [2, 1, 2]), node('Tile', ['x', 'rep'])],
    });
  });
});

describe('Gather, Where, Cast', () => {
  test('Gather with constant 2-D indices (negative ones too) on axis 2, and with a scalar index', async () => {
    await checkCase({
      inputs: { x: [1, 3, 4] },
      outputs: { y: [1, 3, 2, 2], z: [1, 4] },
      nodes: [
        ints('flat', [2, -1, 0, 0]),
        ints('shape', [2, 2]),
        node('Reshape', ['flat', 'shape'], {}, ['idx'], 'reshape_idx'),
        node('Gather', ['x', 'idx'], { axis: 2 }),
        int('one', 1),
        node('Gather', ['x', 'one'], { axis: 1 }, ['z'], 'gather_scalar'),
      ],
    });
  });

  test('Where with a constant condition from Range/Equal/Not: a fixed selection of x and a constant', async () => {
    const { graph } = await checkCase({
      inputs: { x: [2, 4] },
      outputs: { y: [2, 4] },
      nodes: [
        int('r0', 0),
        int('r4', 4),
        int('r1', 1),
        int('two', 2),
        node('Range', ['r0', 'r4', 'r1'], {}, ['r']),
        node('Equal', ['r', 'two'], {}, ['eq']),
        node('Not', ['eq'], {}, ['mask']),
        node('Where', ['mask', 'x', 'C']),
      ],
      inits: { C: { dims: [2, 1], data: [-0.5, 3] } },
    });
    assert.deepEqual(
      graph.nodes.map((n) => n.opType),
      ['Where'],
    );
  });

  test('Cast to float32 (and through float64) of a variable tensor is an alias', async () => {
    const { model } = await checkCase({
      inputs: { x: [2, 3] },
      outputs: { y: [2, 3] },
      nodes: [node('Cast', ['x'], { to: 11 }, ['d'], 'cast_double'), node('Cast', ['d'], { to: 1 })],
    });
    assert.deepEqual(model.layers, []);
  });

  test('Casts of constants fold exactly as onnxruntime computes them (int64, int8, uint8, bool, float16), Range in float32', async () => {
    const values = [2.7, -2.7, 0.5, -0.5, 3.9999, 100.2];
    const casts = [7, 3, 2, 9, 10];
    const nodes: NodeSpec[] = casts.flatMap((to) => [node('Cast', [to === 2 ? 'Cabs' : 'C'], { to }, [`c${to}`], `cast_${to}`), node('Cast', [`c${to}`], { to: 1 }, [`f${to}`], `back_${to}`)]);
    nodes.push(node('Cast', ['H'], { to: 10 }, ['h16'], 'cast_h16'), node('Cast', ['h16'], { to: 1 }, ['fh'], 'back_h16'));
    nodes.push(flt('rs', 0.25), flt('rl', 1.5), flt('rd', 0.3), node('Range', ['rs', 'rl', 'rd'], {}, ['rf']), node('Unsqueeze', ['rf', 'zero'], {}, ['rf2']), ints('zero', [0]));
    // Constant nodes must come before their users.
    const sorted = [...nodes.filter((n) => n.opType === 'Constant'), ...nodes.filter((n) => n.opType !== 'Constant')];
    sorted.push(
      node('Concat', ['x', ...casts.map((t) => `f${t}`)], { axis: 1 }, ['a']),
      node('Concat', ['fh', 'rf2'], { axis: 1 }, ['b'], 'concat_b'),
      node('Concat', ['a', 'b'], { axis: 1 }, ['y'], 'concat_y'),
    );
    const { graph } = await checkCase({
      inputs: { x: [1, 2] },
      outputs: { y: [1, 2 + 6 * 5 + 7 + 5] },
      nodes: sorted,
      inits: {
        C: { dims: [1, 6], data: values },
        Cabs: { dims: [1, 6], data: values.map(Math.abs) },
        H: { dims: [1, 7], data: [0.1, 1 / 3, 65519, 65505, 1e-6, -2.5e-8, 1000.3] },
      },
    });
    // The Concat of two constants folds too.
    assert.deepEqual(
      graph.nodes.map((n) => n.opType),
      ['Concat', 'Concat'],
    );
  });

  test('ConstantOfShape with a value tensor, from a folded Shape of a variable tensor', async () => {
    const { graph } = await checkCase({
      inputs: { x: [1, 3] },
      outputs: { y: [2, 3] },
      nodes: [node('Shape', ['x'], {}, ['s']), node('ConstantOfShape', ['s'], {}, ['k'], 'cos'), node('Concat', ['x', 'k'], { axis: 0 })],
      edit: (m) => tensorAttribute(m, 'cos', 'value', onnx.TensorProto.DataType.FLOAT, [1], [1.25]),
    });
    assert.deepEqual(
      graph.nodes.map((n) => n.opType),
      ['Concat'],
    );
  });
});

describe('constant shape subgraphs fold at ingest', () => {
  test('Shape → Gather → Unsqueeze → Concat → Reshape: only Reshape and the real ops are left', async () => {
    const { graph, model } = await checkCase({
      inputs: { x: [1, 2, 3] },
      outputs: { y: [1, 6] },
      nodes: [
        node('Shape', ['x'], {}, ['shape']),
        int('zero', 0),
        node('Gather', ['shape', 'zero'], { axis: 0 }, ['batch']),
        ints('axes', [0]),
        node('Unsqueeze', ['batch', 'axes'], {}, ['batch1']),
        ints('minus1', [-1]),
        node('Concat', ['batch1', 'minus1'], { axis: 0 }, ['target']),
        node('Reshape', ['x', 'target'], {}, ['flat']),
        node('Relu', ['flat']),
      ],
      costly: true,
    });
    assert.deepEqual(
      graph.nodes.map((n) => n.opType),
      ['Reshape', 'Relu'],
    );
    assert.deepEqual(Array.from(graph.constants.get('target')!.data), [1, -1]);
    assert.deepEqual(graph.shapes.get('flat'), [1, 6]);
    assert.deepEqual(layerOps(model), ['Relu']);
  });

  test('Shape with start/end (opset 15)', () => {
    const g = loadOnnx(
      build({
        opset: 15,
        inputs: { x: [1, 2, 3, 4] },
        outputs: { y: [24] },
        nodes: [node('Shape', ['x'], { start: 1, end: -1 }, ['s']), ints('m', [-1]), node('Concat', ['m'], { axis: 0 }, ['t']), node('Reshape', ['x', 't'])],
      }),
    );
    assert.deepEqual(Array.from(g.constants.get('s')!.data), [2, 3]);
    assert.deepEqual(
      g.nodes.map((n) => n.opType),
      ['Reshape'],
    );
  });
});

describe('a compiled circuit: Transpose → Slice → Concat (second input, constant) → Pad', () => {
  const c: Case = SHAPE_CIRCUIT;

  test('floats and integers as in every case above', async () => {
    await checkCase(c);
  });

  test('the shape layers cost no constraint; witness outputs = integer reference; every output is pinned', async () => {
    const rng = seededRng(77);
    const dir = makeTempDir('ops-shape');
    try {
      const onnxPath = path.join(dir, 'model.onnx');
      fs.writeFileSync(onnxPath, build(c));
      const graph = loadOnnx(fs.readFileSync(onnxPath));
      const calibration = { samples: Array.from({ length: 4 }, () => Object.fromEntries([...sample(graph, rng, c.ranges)].map(([k, v]) => [k, Array.from(v)]))) };
      const result = await compileModel(onnxPath, path.join(dir, 'build'), { calibration });
      // Written directly, no fallback: the direct r1cs folds the copied private inputs away as circom does.
      assert.equal(result.report.backend, 'direct');
      assert.equal(result.report.backendFallback, undefined);
      const circom = await compileModel(onnxPath, path.join(dir, 'circom'), { calibration, backend: 'circom' });
      // The same constraints and wires; under circom's elimination rule the same r1cs (direct-backend.test.ts).
      const counts = (r: typeof result) => [r.report.r1cs?.constraints, r.report.r1cs?.wires, r.report.r1cs?.nonZerosC, r.report.r1cs?.linearConstraints];
      assert.deepEqual(counts(result), counts(circom), "the direct r1cs has circom's constraints and wires");
      const { model } = readCompiled(result.buildDir);
      const checks = inputChecks(model);
      assert.equal(checks, 15 * 8);
      assert.deepEqual(layerOps(model), ['Transpose', 'Slice', 'Concat', 'Pad']);
      assert.deepEqual(
        result.report.layers.slice(2, 6).map((l) => l.constraints),
        [0, 0, 0, 0],
      );
      // circom --O2 removes every copy; what it keeps besides the range checks is one linear constraint
      // per constant element of the public output (13 pad values, 3 Concat constants): it pins them.
      const out0 = model.outputs[0];
      const constantOutputs = Array.from({ length: sizeOf(out0.shape) }, (_, i) => isConstantElement(model, out0.tensor, i)).filter(Boolean).length;
      assert.equal(constantOutputs, 16);
      assert.equal(result.constraints, checks + constantOutputs);
      assert.equal(result.report.predictedConstraints, result.constraints, 'the report predicts the pinned constant outputs too');

      const r1cs = loadR1cs(artifactPath(result.buildDir, 'r1cs'));
      const wasm = artifactPath(result.buildDir, 'wasm');
      const out = model.outputs[0];
      for (let k = 0; k < 3; k++) {
        const quantized = quantizeSample(model, randomInRange(model, rng, 0.3));
        const expected = runReference(model, quantized)[out.tensor].map((v) => ((v % BN254_R) + BN254_R) % BN254_R);
        const witness = await computeWitness(circuitInput(model, quantized), wasm);
        assert.deepEqual(witness.slice(1, 1 + expected.length), expected, 'circuit outputs differ from the integer reference');
        assert.deepEqual(verifyWitness(r1cs, witness), { ok: true });
        if (k === 0) {
          // Every output, copied or constant (pad value, Concat constant), is fixed by the inputs.
          for (let wire = 1; wire <= expected.length; wire++) {
            const forged = [...witness];
            forged[wire] = (forged[wire] + 1n) % BN254_R;
            assert.equal(verifyWitness(r1cs, forged).ok, false, `output wire ${wire} + 1 is accepted`);
          }
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('refusals', () => {
  test('an unsupported Pad mode is ONNX_UNSUPPORTED_ATTRIBUTE naming the node and the mode', () => {
    const bytes = build({ inputs: { x: [1, 4] }, outputs: { y: [1, 6] }, nodes: [ints('pads', [0, 1, 0, 1]), node('Pad', ['x', 'pads'], { mode: 'symmetric' }, ['y'], 'pad_bad')] });
    const err = expectCode(() => loadOnnx(bytes), 'ONNX_UNSUPPORTED_ATTRIBUTE');
    assert.match(err.message, /pad_bad/);
    assert.match(err.message, /mode="symmetric"/);
  });

  test('Slice with a start computed at run time is ONNX_DYNAMIC_SHAPE naming the node', () => {
    const bytes = build({
      inputs: { x: [1, 4], s: [1] },
      outputs: { y: [1, 2] },
      nodes: [ints('en', [3]), ints('ax', [1]), node('Slice', ['x', 's', 'en', 'ax'], {}, ['y'], 'slice_dyn')],
      edit: (m) => setInputType(m, 's', onnx.TensorProto.DataType.INT64),
    });
    const err = expectCode(() => loadOnnx(bytes), 'ONNX_DYNAMIC_SHAPE');
    assert.match(err.message, /slice_dyn/);
    assert.match(err.message, /starts/);
  });

  test('Expand, Tile, ConstantOfShape, Range with run-time shapes are ONNX_DYNAMIC_SHAPE', () => {
    const cases: Array<[string, NodeSpec[]]> = [
      ['Expand', [node('Expand', ['x', 's'])]],
      ['Tile', [node('Tile', ['x', 's'])]],
      ['ConstantOfShape', [node('ConstantOfShape', ['s'])]],
      ['Range', [int('a', 0), int('d', 1), node('Range', ['a', 's', 'd'])]],
    ];
    for (const [op, nodes] of cases) {
      const bytes = build({ inputs: { x: [1, 4], s: [2] }, outputs: { y: [1, 4] }, nodes, edit: (m) => setInputType(m, 's', onnx.TensorProto.DataType.INT64) });
      expectCode(() => loadOnnx(bytes), 'ONNX_DYNAMIC_SHAPE', op);
    }
  });

  test('Cast to an integer type of a run-time tensor is refused (it truncates); float16 too (it rounds)', () => {
    for (const [to, why] of [
      [7, /integer type.*fractions.*truncates/],
      [10, /float16.*rounds/],
    ] as const) {
      const bytes = build({ inputs: { x: [1, 4] }, outputs: { y: [1, 4] }, nodes: [node('Cast', ['x'], { to }, ['c'], 'cast_x'), node('Cast', ['c'], { to: 1 })] });
      const err = expectCode(() => loadOnnx(bytes), 'ONNX_UNSUPPORTED_ATTRIBUTE');
      assert.match(err.message, /cast_x/);
      assert.match(err.message, why);
    }
  });

  test('data-dependent lookups compile: Gather with run-time indices (test/compiler/ops-indexing.test.ts), Where with a run-time condition', () => {
    const settings = parseSettings({});
    const gather = loadOnnx(
      build({
        inputs: { x: [1, 4], i: [2] },
        outputs: { y: [2, 4] },
        nodes: [node('Gather', ['W', 'i'], { axis: 0 }, ['y'], 'lookup')],
        inits: { W: { dims: [3, 4], data: Array.from({ length: 12 }, (_, k) => k / 8) } },
        edit: (m) => setInputType(m, 'i', onnx.TensorProto.DataType.INT64),
      }),
    );
    // The int64 index's range [-128, 127] is wider than the axis: range-checked and wrapped by a restricted segment layer.
    const lookup = quantizeGraph(gather, settings);
    assert.ok(lookup.layers.some((l) => l.node === 'lookup' && l.segments?.restrict === true));

    // Equal, Not and Where on run-time tensors compile since the logic family (test/compiler/ops-logic.test.ts).
    const where = loadOnnx(
      build({
        inputs: { x: [1, 4] },
        outputs: { y: [1, 4] },
        nodes: [node('Equal', ['x', 'Z'], {}, ['m'], 'eq_x'), node('Where', ['m', 'x', 'Z'], {}, ['y'], 'where_x')],
        inits: { Z: { dims: [1], data: [0] } },
      }),
    );
    assert.equal(quantizeGraph(where, settings).layers.find((l) => l.node === 'eq_x')?.compare, 'zero');
  });

  test('shape errors name the node: Concat of mismatched shapes, Squeeze of a dimension that is not 1, Transpose with a bad perm', () => {
    const cases: Array<[NodeSpec, Shape]> = [
      [node('Concat', ['x', 'x2'], { axis: 0 }, ['y'], 'bad_concat'), [2, 4]],
      [node('Squeeze', ['x'], { axes: [1] }, ['y'], 'bad_squeeze'), [1]],
      [node('Transpose', ['x'], { perm: [0, 0] }, ['y'], 'bad_perm'), [4, 1]],
    ];
    for (const [n, yShape] of cases) {
      const bytes = build({ opset: 11, inputs: { x: [1, 4], x2: [1, 3] }, outputs: { y: yShape }, nodes: [n] });
      assert.match(expectCode(() => loadOnnx(bytes), 'SHAPE_MISMATCH', n.name).message, new RegExp(n.name));
    }
  });

  test('a constant Gather index out of range is SHAPE_MISMATCH at ingest; an infinite constant moved into the circuit is refused by name', () => {
    const gather = build({ inputs: { x: [1, 4] }, outputs: { y: [1] }, nodes: [int('i', 4), node('Gather', ['x', 'i'], { axis: 1 }, ['y'], 'gather_oob')] });
    assert.match(expectCode(() => loadOnnx(gather), 'SHAPE_MISMATCH').message, /gather_oob.*index 4/);
    const masked = loadOnnx(
      build({
        inputs: { x: [1, 2] },
        outputs: { y: [1, 2] },
        nodes: [node('Where', ['M', 'x', 'ninf'], {}, ['y'], 'mask_fill')],
        inits: { M: { dims: [2], data: [1, 0] }, ninf: { dims: [], data: [-Infinity] } },
      }),
    );
    assert.match(expectCode(() => quantizeGraph(masked, parseSettings({})), 'ONNX_UNSUPPORTED_OP').message, /mask_fill.*-Infinity/);
  });

  test('an omitted optional input followed by a given one (Slice x,starts,ends,"",steps) keeps its position, not misread', () => {
    const bytes = build({
      inputs: { x: [1, 6] },
      outputs: { y: [1, 3] },
      nodes: [ints('st', [0, 0]), ints('en', [1, 6]), ints('sp', [1, 2]), node('Slice', ['x', 'st', 'en', '', 'sp'], {}, ['y'], 'slice_gap')],
    });
    // Read as axes = steps ([1, 2] as axes) this would fail or slice the wrong way; kept in place it is every other column.
    assert.deepEqual(loadOnnx(bytes).shapes.get('y'), [1, 3]);
  });
});
