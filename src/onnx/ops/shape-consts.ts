/**
 * Ops that build the constant side of shape subgraphs: Shape, ConstantOfShape, Range, Cast, and the
 * Equal/Not that masks are made of. With static shapes these fold away at ingest. On a tensor
 * computed at run time, only Cast to a float type survives (as an alias); the others are refused.
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { broadcastBinary, broadcastShapes } from '../tensor';
import { checkAttributes, checkFoldSize, intParam, requireCount } from './index-map';
import { intAttr, OpFamily, unsupportedAttr } from './op-family';

type Consts = Array<FloatTensor | undefined>;

function shapeRange(node: IrNode, rank: number): [number, number] {
  checkAttributes(node, ['start', 'end']);
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  return [clamp(intAttr(node, 'start', 0)), clamp(intAttr(node, 'end', rank))];
}

/**
 * Shape: the input's static shape as an int64 vector (start/end from opset 15). It reads only the
 * input's shape, so ingest folds it even when the input is computed at run time.
 */
export const shapeFamily: OpFamily = {
  ops: ['Shape'],
  inferShapes(node, shapes) {
    requireCount(node, shapes.length, 1);
    const [s, e] = shapeRange(node, shapes[0].length);
    return [[Math.max(0, e - s)]];
  },
  evalFloat(node, [x]) {
    const [s, e] = shapeRange(node, x.shape.length);
    const data = Float64Array.from(x.shape.slice(s, Math.max(s, e)));
    return [{ shape: [data.length], data }];
  },
};

/** Ops whose output depends on their input's shape only: ingest folds them on any input. */
export const SHAPE_ONLY_OPS: ReadonlySet<string> = new Set(['Shape']);

function constantOfShapeTarget(node: IrNode, shapes: number[][], consts: Consts): { shape: number[]; value: number } {
  checkAttributes(node, ['value']);
  requireCount(node, shapes.length, 1);
  const shape = intParam(node, consts, 1, 0, undefined, 'shape')!;
  if (shape.some((d) => d < 0)) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (ConstantOfShape): negative dimension in [${shape}]`, { node: node.name });
  const v = node.attributes.value;
  let value = 0;
  if (v !== undefined) {
    if (typeof v !== 'object' || Array.isArray(v) || v.data.length !== 1) throw unsupportedAttr(node, 'value', v);
    value = v.data[0];
  }
  checkFoldSize(node, shape);
  return { shape, value };
}

/** ConstantOfShape: a tensor of a constant shape filled with `value` (default 0). */
export const constantOfShapeFamily: OpFamily = {
  ops: ['ConstantOfShape'],
  inferShapes: (node, shapes, consts) => [constantOfShapeTarget(node, shapes, consts).shape],
  evalFloat(node, inputs) {
    const { shape, value } = constantOfShapeTarget(
      node,
      inputs.map((t) => t.shape),
      inputs,
    );
    return [{ shape, data: new Float64Array(sizeOf(shape)).fill(value) }];
  },
};

function rangeValues(node: IrNode, shapes: number[][], consts: Consts): { n: number; values?: Float64Array } {
  checkAttributes(node, []);
  requireCount(node, shapes.length, 3);
  const scalar = (i: number, what: string): number => {
    const c = consts[i];
    if (!c) throw new ZkmlError('ONNX_DYNAMIC_SHAPE', `node '${node.name}' (Range): ${what} is computed at run time; it must be a constant`, { node: node.name });
    if (c.data.length !== 1) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Range): ${what} must be a scalar`, { node: node.name });
    return c.data[0];
  };
  const start = scalar(0, 'start');
  const limit = scalar(1, 'limit');
  const delta = scalar(2, 'delta');
  if (delta === 0 || !Number.isFinite(start + limit + delta)) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (Range): start ${start}, limit ${limit}, delta ${delta}`, { node: node.name });
  // Integer ranges are exact; float ones are float32, accumulated as onnxruntime does (value += delta).
  const integer = [start, limit, delta].every(Number.isInteger);
  const n = Math.max(0, Math.ceil((integer ? limit - start : Math.fround(limit - start)) / delta));
  checkFoldSize(node, [n]);
  const values = new Float64Array(n);
  let v = start;
  for (let i = 0; i < n; i++) {
    values[i] = integer ? start + i * delta : v;
    v = Math.fround(v + delta);
  }
  return { n, values };
}

/** Range: start, start + delta, ... below limit; constants only (its length is a shape). */
export const rangeFamily: OpFamily = {
  ops: ['Range'],
  inferShapes: (node, shapes, consts) => [[rangeValues(node, shapes, consts).n]],
  evalFloat(node, inputs) {
    const { n, values } = rangeValues(
      node,
      inputs.map((t) => t.shape),
      inputs,
    );
    return [{ shape: [n], data: values! }];
  },
};

/** ONNX TensorProto data types Cast can produce, with how a value is converted. */
export const CAST_TARGETS: Record<number, { name: string; float: boolean; convert: (v: number) => number }> = {
  1: { name: 'float32', float: true, convert: Math.fround },
  11: { name: 'float64', float: true, convert: (v) => v },
  10: { name: 'float16', float: true, convert: (v) => roundToFloat(v, 10, -14, 65504) },
  16: { name: 'bfloat16', float: true, convert: (v) => roundToFloat(Math.fround(v), 7, -126, 3.3895313892515355e38) },
  2: { name: 'uint8', float: false, convert: (v) => wrapInt(v, 8, false) },
  3: { name: 'int8', float: false, convert: (v) => wrapInt(v, 8, true) },
  4: { name: 'uint16', float: false, convert: (v) => wrapInt(v, 16, false) },
  5: { name: 'int16', float: false, convert: (v) => wrapInt(v, 16, true) },
  6: { name: 'int32', float: false, convert: (v) => wrapInt(v, 32, true) },
  12: { name: 'uint32', float: false, convert: (v) => wrapInt(v, 32, false) },
  7: { name: 'int64', float: false, convert: (v) => Math.trunc(v) + 0 },
  13: { name: 'uint64', float: false, convert: (v) => Math.trunc(v) + 0 },
  9: { name: 'bool', float: false, convert: (v) => (v !== 0 ? 1 : 0) },
};

/** Truncates toward zero (an integer has no -0), then wraps into a `bits`-wide integer (what a C cast between integer types does). */
function wrapInt(v: number, bits: number, signed: boolean): number {
  const t = Math.trunc(v);
  if (!Number.isFinite(t)) return 0;
  const m = 2 ** bits;
  const u = ((t % m) + m) % m;
  return signed && u >= m / 2 ? u - m : u;
}

/** Rounds to a binary float with `mantBits` fraction bits (round half to even), subnormals below 2^minExp. */
function roundToFloat(v: number, mantBits: number, minExp: number, max: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const a = Math.abs(v);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  const q = 2 ** (Math.max(e, minExp) - mantBits);
  const m = a / q;
  let r = Math.floor(m);
  const frac = m - r;
  if (frac > 0.5 || (frac === 0.5 && r % 2 === 1)) r++;
  const out = r * q;
  // Beyond the largest finite value by half an ulp or more: infinity.
  return Math.sign(v) * (out > max ? Infinity : out);
}

function castTarget(node: IrNode): (typeof CAST_TARGETS)[number] {
  checkAttributes(node, ['to', 'saturate']);
  const to = node.attributes.to;
  const target = typeof to === 'number' ? CAST_TARGETS[to] : undefined;
  if (!target) throw unsupportedAttr(node, 'to', to);
  return target;
}

/**
 * Cast: on constants, any numeric conversion. On a tensor computed at run time a cast to
 * float32/float64 is accepted (a no-op on the values the circuit carries), and one to an integer type
 * when the tensor holds integers (../integer-valued.ts refuses the others); one to float16/bfloat16
 * rounds, which the circuit does not model: refused.
 */
export const castFamily: OpFamily = {
  ops: ['Cast'],
  inferShapes(node, shapes, consts) {
    requireCount(node, shapes.length, 1);
    const target = castTarget(node);
    // A run-time cast to an integer type is checked at the end of ingest (../integer-valued.ts): it is
    // exact only on a tensor known to hold integers.
    if (!consts[0] && target.float && target.name !== 'float32' && target.name !== 'float64') {
      throw new ZkmlError(
        'ONNX_UNSUPPORTED_ATTRIBUTE',
        `node '${node.name}' (Cast): a cast to ${target.name} of a tensor computed at run time rounds its values to fewer mantissa bits, which the circuit does not model; only casts to float32/float64 or, of integer-valued tensors, to integer types are supported there`,
        { node: node.name, opType: 'Cast', attribute: 'to' },
      );
    }
    return [shapes[0]];
  },
  evalFloat(node, [x]) {
    const target = castTarget(node);
    return [{ shape: x.shape, data: x.data.map(target.convert) }];
  },
};

/** Equal: elementwise a == b (1 or 0) with broadcasting; folded on constants only. */
export const equalFamily: OpFamily = {
  ops: ['Equal'],
  inferShapes(node, shapes) {
    checkAttributes(node, []);
    requireCount(node, shapes.length, 2);
    return [broadcastShapes(shapes[0], shapes[1], node.name)];
  },
  evalFloat(node, [a, b]) {
    return [broadcastBinary(a, b, node.name, (x, y) => (x === y ? 1 : 0))];
  },
};

/** Not: logical negation of a bool tensor; folded on constants only. */
export const notFamily: OpFamily = {
  ops: ['Not'],
  inferShapes(node, shapes) {
    checkAttributes(node, []);
    requireCount(node, shapes.length, 1);
    return [shapes[0]];
  },
  evalFloat: (_node, [x]) => [{ shape: x.shape, data: x.data.map((v) => (v !== 0 ? 0 : 1)) }],
};
