/**
 * The two linear-only circuits of test/compiler/ops-shape.test.ts and ops-spatial.test.ts, shared
 * with the direct-vs-circom test: their public outputs copy private inputs (once, twice) or are
 * linear in them, the case where circom --O2 folds private inputs away (docs/compile.md).
 */
import { sizeOf } from '../../src/formats/graph';
import { NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { seededRng } from './onnx-builders';

/** A node named after its op by default, one output `y`: the builders the op tests share. */
export const node = (opType: string, inputs: string[], attributes: NodeSpec['attributes'] = {}, outputs = ['y'], name = `${opType.toLowerCase()}0`): NodeSpec => ({
  opType,
  name,
  inputs,
  outputs,
  attributes,
});
export const ints = (name: string, values: number[]): NodeSpec => ({ opType: 'Constant', name: `c_${name}`, inputs: [], outputs: [name], attributes: { value_ints: values } });
export const BIG = Number.MAX_SAFE_INTEGER;

/** Transpose → Slice → Concat (a second input, a constant) → Pad: outputs are input copies and constants. */
export const SHAPE_CIRCUIT = {
  inputs: { x: [1, 3, 4], z: [1, 1, 3] },
  ranges: { x: [-1, 1], z: [-4, 4] } as Record<string, [number, number]>,
  outputs: { y: [1, 5, 5] },
  nodes: [
    node('Transpose', ['x'], { perm: [0, 2, 1] }, ['t']),
    ints('st', [3, -1]),
    ints('en', [-BIG, -BIG]),
    ints('ax', [1, 2]),
    ints('sp', [-2, -1]),
    node('Slice', ['t', 'st', 'en', 'ax', 'sp'], {}, ['s']),
    node('Concat', ['s', 'z', 'C'], { axis: 1 }, ['c']),
    ints('pads', [0, 1, 1, 0, 0, 1]),
    node('Pad', ['c', 'pads', 'v']),
  ],
  inits: { C: { dims: [1, 1, 3], data: [0.5, -1.25, 2] }, v: { dims: [], data: [0.25] } },
};

export const weights = (dims: number[], rng = seededRng(dims.reduce((a, b) => a * 7 + b, 3))) => ({ dims, data: Array.from({ length: sizeOf(dims) }, () => Math.round(rng.uniform(-1, 1) * 64) / 64) });
export const i64 = (values: number[], dims = [values.length]) => ({ dims, data: values, elemType: 'int64' as const });
export const floats = (values: number[]) => ({ dims: [values.length], data: values });

/**
 * ConvTranspose, bilinear Resize, TopK, CumSum, DepthToSpace of one input: the Resize outputs are
 * linear in it, CumSum and DepthToSpace copy each element (DepthToSpace twice). Outputs by rank.
 */
export const SPATIAL_CIRCUIT = {
  opset: 13,
  inputs: { x: [1, 2, 2, 3] },
  outputs: { ct: 4, up: 4, v: 4, i: 4, cs: 4, ds: 4 },
  nodes: [
    node('ConvTranspose', ['x', 'W', 'B'], { strides: [2, 2] }, ['ct'], 'ct'),
    node('Resize', ['x', '', 'S'], { mode: 'linear' }, ['up'], 'up'),
    node('TopK', ['x', 'K'], {}, ['v', 'ix'], 'topk'),
    { opType: 'Cast', name: 'cast_i', inputs: ['ix'], outputs: ['i'], attributes: { to: 1 } },
    node('CumSum', ['x', 'A'], {}, ['cs'], 'cs'),
    node('Concat', ['x', 'x'], { axis: 1 }, ['xx'], 'xx'),
    node('DepthToSpace', ['xx'], { blocksize: 2 }, ['ds'], 'ds'),
  ],
  inits: { W: weights([2, 1, 2, 2]), B: floats([0.125]), S: floats([1, 1, 2, 2]), K: i64([2]), A: i64([3], []) } as Record<string, { dims: number[]; data: number[]; elemType?: 'int64' }>,
};

export function shapeCircuitOnnx(): Uint8Array {
  const c = SHAPE_CIRCUIT;
  return writeOnnx({
    name: 'ops-shape',
    inputs: Object.entries(c.inputs).map(([name, shape]) => ({ name, elemType: 'float32', shape })),
    outputs: Object.entries(c.outputs).map(([name, shape]) => ({ name, elemType: 'float32', shape })),
    initializers: Object.entries(c.inits).map(([name, t]) => ({ name, dims: t.dims, data: Float32Array.from(t.data) })),
    nodes: c.nodes,
  });
}

export function spatialCircuitOnnx(): Uint8Array {
  const c = SPATIAL_CIRCUIT;
  return writeOnnx({
    name: 'ops-spatial',
    opset: c.opset,
    inputs: Object.entries(c.inputs).map(([name, shape]) => ({ name, elemType: 'float32', shape })),
    outputs: Object.entries(c.outputs).map(([name, rank]) => ({ name, elemType: 'float32', shape: Array.from({ length: rank }, (_, i) => `${name}_d${i}`) })),
    initializers: Object.entries(c.inits).map(([name, t]) => ({ name, dims: t.dims, data: t.elemType ? t.data : Float32Array.from(t.data), elemType: t.elemType })),
    nodes: c.nodes,
  });
}
