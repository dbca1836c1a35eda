/**
 * Pre-quantized ONNX: QuantizeLinear, DequantizeLinear (QDQ graphs, per-tensor and per-axis),
 * QLinearConv, QLinearMatMul, MatMulInteger and ConvInteger. Affine quantization: a real value r is
 * held as q with r = (q − zero_point) · scale, q an int8 or uint8 (int32 for the *Integer ops).
 *
 * evalFloat follows the ONNX spec as onnxruntime computes it: divisions and products of scales in
 * float32, rounding half to even, saturation to the zero point's type.
 */
import { ZkmlError } from '../../errors';
import type { ElemType, FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { strides } from '../tensor';
import { matmulContraction } from './contraction';
import { convPlan } from './conv';
import { intAttr, OpFamily, present, requireInputs, unsupportedAttr } from './op-family';

/** Round half to even (ONNX QuantizeLinear, onnxruntime's nearbyint). */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** The integer range of a quantized element type. */
export function quantRange(type: ElemType, node: IrNode): { qmin: number; qmax: number } {
  switch (type) {
    case 'int8':
      return { qmin: -128, qmax: 127 };
    case 'uint8':
      return { qmin: 0, qmax: 255 };
    case 'int32':
      return { qmin: -(2 ** 31), qmax: 2 ** 31 - 1 };
    default:
      throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}' (${node.opType}): quantized type ${type} is not supported (int8 and uint8 are)`, { node: node.name, opType: node.opType });
  }
}

/** The output type of QuantizeLinear: its zero point's type (uint8 when absent), or output_dtype. */
export function quantizeOutputType(node: IrNode, zp: FloatTensor | undefined): ElemType {
  const dtype = intAttr(node, 'output_dtype', 0);
  if (dtype !== 0 && dtype !== 2 && dtype !== 3) throw unsupportedAttr(node, 'output_dtype', dtype);
  if (dtype === 2) return 'uint8';
  if (dtype === 3) return 'int8';
  return zp?.elemType ?? 'uint8';
}

/** Scale and zero point per element of a tensor of `shape`: per tensor, or per slice along `axis`. */
export interface AffineParams {
  scale: Float64Array;
  zeroPoint: Float64Array;
  /** Element → parameter index. */
  index: (flat: number) => number;
}

export function affineParams(node: IrNode, shape: number[], scale: FloatTensor, zp: FloatTensor | undefined, axisAttr = 'axis'): AffineParams {
  const n = scale.data.length;
  const where = `node '${node.name}' (${node.opType})`;
  if (zp && zp.data.length !== n) throw new ZkmlError('SHAPE_MISMATCH', `${where}: zero point has ${zp.data.length} values, scale has ${n}`);
  if (intAttr(node, 'block_size', 0) !== 0) throw unsupportedAttr(node, 'block_size', node.attributes.block_size);
  for (const s of scale.data) {
    if (!(s > 0) || !Number.isFinite(s)) throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `${where}: scale ${s} must be positive and finite`, { node: node.name });
  }
  const zeroPoint = zp ? zp.data : new Float64Array(n);
  if (scale.shape.length === 0 || (n === 1 && scale.shape.length <= 1)) return { scale: scale.data, zeroPoint, index: () => 0 };
  if (scale.shape.length !== 1) throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `${where}: blocked scale of shape [${scale.shape}] is not supported`, { node: node.name });
  const rank = shape.length;
  let axis = intAttr(node, axisAttr, 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank || shape[axis] !== n) {
    throw new ZkmlError('SHAPE_MISMATCH', `${where}: ${n} scales do not match axis ${intAttr(node, axisAttr, 1)} of shape [${shape}]`);
  }
  const st = strides(shape)[axis];
  return { scale: scale.data, zeroPoint, index: (flat) => Math.floor(flat / st) % n };
}

const f32 = Math.fround;

function quantize(x: FloatTensor, p: AffineParams, range: { qmin: number; qmax: number }, type: ElemType): FloatTensor {
  const data = Float64Array.from(x.data, (v, i) => {
    const k = p.index(i);
    const q = roundHalfEven(f32(f32(v) / f32(p.scale[k]))) + p.zeroPoint[k];
    return Math.min(range.qmax, Math.max(range.qmin, q));
  });
  return { shape: x.shape, data, elemType: type };
}

function dequantize(x: FloatTensor, p: AffineParams): FloatTensor {
  return { shape: x.shape, data: Float64Array.from(x.data, (v, i) => f32((v - p.zeroPoint[p.index(i)]) * f32(p.scale[p.index(i)]))) };
}

/** A per-tensor or per-output-channel parameter of a QLinear/Integer op (1-D of length `channels`). */
export function channelParam(node: IrNode, t: FloatTensor | undefined, channels: number, what: string): Float64Array {
  if (!t) return new Float64Array(channels);
  if (t.data.length === 1) return new Float64Array(channels).fill(t.data[0]);
  if (t.shape.length === 1 && t.data.length === channels) return t.data;
  throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}' (${node.opType}): ${what} of shape [${t.shape}] is not supported (a scalar or ${channels} per output channel)`, {
    node: node.name,
  });
}

/** A parameter that must be one scalar (input scales and zero points). */
export function scalarParam(node: IrNode, t: FloatTensor | undefined, what: string, fallback = 0): number {
  if (!t) return fallback;
  if (t.data.length !== 1) throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}' (${node.opType}): a per-element ${what} of shape [${t.shape}] is not supported`, { node: node.name });
  return t.data[0];
}

/** The integer accumulation of a QLinear/Integer op, per output: terms into x and w, and the channel. */
export interface IntegerContraction {
  outShape: number[];
  pairs: Array<{ a: Int32Array; b: Int32Array }>;
  channelOf: (o: number) => number;
  channels: number;
}

export function integerContraction(node: IrNode, aShape: number[], bShape: number[]): IntegerContraction {
  if (node.opType === 'QLinearConv' || node.opType === 'ConvInteger') {
    const plan = convPlan({ ...node, opType: 'Conv' }, aShape, bShape);
    return { outShape: plan.contraction.outShape, pairs: plan.contraction.pairs, channels: plan.channels, channelOf: (o) => Math.floor(o / plan.plane) % plan.channels };
  }
  const c = matmulContraction(aShape, bShape, node.name);
  const cols = bShape.length === 1 ? 1 : bShape[bShape.length - 1];
  return { outShape: c.outShape, pairs: c.pairs, channels: cols, channelOf: (o) => o % cols };
}

/** Input positions of (a, aZeroPoint, b, bZeroPoint) and of the QLinear scales, by op. */
export const LAYOUT: Record<string, { a: number; az?: number; as?: number; b: number; bz?: number; bs?: number; ys?: number; yz?: number; bias?: number }> = {
  QLinearConv: { a: 0, as: 1, az: 2, b: 3, bs: 4, bz: 5, ys: 6, yz: 7, bias: 8 },
  QLinearMatMul: { a: 0, as: 1, az: 2, b: 3, bs: 4, bz: 5, ys: 6, yz: 7 },
  MatMulInteger: { a: 0, b: 1, az: 2, bz: 3 },
  ConvInteger: { a: 0, b: 1, az: 2, bz: 3 },
};

/** The float32 requantization multiplier onnxruntime uses: float(a_scale · b_scale) / y_scale. */
export function requantMultiplier(aScale: number, bScale: number, yScale: number): number {
  return f32(f32(f32(aScale) * f32(bScale)) / f32(yScale));
}

function evalInteger(node: IrNode, inputs: Array<FloatTensor | undefined>): FloatTensor {
  const L = LAYOUT[node.opType];
  const a = inputs[L.a]!;
  const b = inputs[L.b]!;
  const ic = integerContraction(node, a.shape, b.shape);
  const az = scalarParam(node, L.az !== undefined ? inputs[L.az] : undefined, 'input zero point');
  const bz = channelParam(node, L.bz !== undefined ? inputs[L.bz] : undefined, ic.channels, 'weight zero point');
  const bias = L.bias !== undefined && inputs[L.bias] ? channelParam(node, inputs[L.bias], ic.channels, 'bias') : new Float64Array(ic.channels);
  const acc = ic.pairs.map((p, o) => {
    const ch = ic.channelOf(o);
    let s = bias[ch];
    for (let r = 0; r < p.a.length; r++) s += (a.data[p.a[r]] - az) * (b.data[p.b[r]] - bz[ch]);
    return s;
  });
  if (L.ys === undefined) return { shape: ic.outShape, data: Float64Array.from(acc), elemType: 'int32' };
  const as = scalarParam(node, inputs[L.as!], 'input scale');
  const bs = channelParam(node, inputs[L.bs!], ic.channels, 'weight scale');
  const ys = scalarParam(node, inputs[L.ys!], 'output scale');
  const yzT = inputs[L.yz!];
  const yz = scalarParam(node, yzT, 'output zero point');
  const type = yzT?.elemType ?? 'uint8';
  const { qmin, qmax } = quantRange(type, node);
  const data = Float64Array.from(acc, (v, o) => {
    const m = requantMultiplier(as, bs[ic.channelOf(o)], ys);
    const q = roundHalfEven(f32(f32(v) * m)) + yz;
    return Math.min(qmax, Math.max(qmin, q));
  });
  return { shape: ic.outShape, data, elemType: type };
}

export const quantizedFamily: OpFamily = {
  ops: ['QuantizeLinear', 'DequantizeLinear', 'QLinearConv', 'QLinearMatMul', 'MatMulInteger', 'ConvInteger'],
  inferShapes(node, shapes, consts) {
    switch (node.opType) {
      case 'QuantizeLinear':
      case 'DequantizeLinear': {
        requireInputs(node, shapes, 2, 3);
        if (node.opType === 'QuantizeLinear' && intAttr(node, 'saturate', 1) !== 1) throw unsupportedAttr(node, 'saturate', node.attributes.saturate);
        const varying = [1, 2].filter((i) => shapes[i] && !consts[i]);
        if (varying.length > 0) {
          throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}): scale and zero point must be constants`, { node: node.name });
        }
        affineParams(node, shapes[0], consts[1]!, consts[2]);
        if (node.opType === 'QuantizeLinear') quantRange(quantizeOutputType(node, consts[2]), node);
        return [shapes[0]];
      }
      default: {
        const L = LAYOUT[node.opType];
        const max = node.opType === 'QLinearConv' ? 9 : node.opType.startsWith('QLinear') ? 8 : 4;
        requireInputs(node, shapes, node.opType.startsWith('QLinear') ? 8 : 2, max);
        const ic = integerContraction(node, shapes[L.a], shapes[L.b]);
        // Everything but the activation must be known at compile time (weights become coefficients).
        const params = [L.as, L.az, L.bs, L.bz, L.ys, L.yz, L.bias].filter((i): i is number => i !== undefined && i < shapes.length && present(node, i));
        const varying = params.filter((i) => !consts[i]);
        if (varying.length > 0) {
          throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}): scales, zero points and bias must be constants (inputs ${varying.join(', ')} are computed)`, {
            node: node.name,
          });
        }
        if (node.opType !== 'QLinearMatMul' && !consts[L.b]) {
          throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}): the weight must be constant`, { node: node.name });
        }
        scalarParam(node, consts[L.az!], 'input zero point');
        channelParam(node, consts[L.bz!], ic.channels, 'weight zero point');
        if (L.ys !== undefined) {
          scalarParam(node, consts[L.as!], 'input scale');
          channelParam(node, consts[L.bs!], ic.channels, 'weight scale');
          scalarParam(node, consts[L.ys], 'output scale');
          scalarParam(node, consts[L.yz!], 'output zero point');
          quantRange(consts[L.yz!]!.elemType ?? 'uint8', node);
        }
        if (L.bias !== undefined && consts[L.bias]) channelParam(node, consts[L.bias], ic.channels, 'bias');
        if (sizeOf(ic.outShape) === 0) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}': empty output`);
        return [ic.outShape];
      }
    }
  },
  evalFloat(node, inputs) {
    switch (node.opType) {
      case 'QuantizeLinear': {
        const type = quantizeOutputType(node, inputs[2]);
        return [quantize(inputs[0], affineParams(node, inputs[0].shape, inputs[1], inputs[2]), quantRange(type, node), type)];
      }
      case 'DequantizeLinear':
        return [dequantize(inputs[0], affineParams(node, inputs[0].shape, inputs[1], inputs[2]))];
      default:
        return [evalInteger(node, inputs)];
    }
  },
};
