/**
 * Pre-quantized ops → accumulate layers. An int8/uint8 tensor of the graph is an integer tensor at
 * scale 0 holding q itself (zero point included), so the circuit's integers are onnxruntime's.
 *   DequantizeLinear: (q − zp)·s, exact: a float32 scale is dyadic, s·2^w an integer coefficient.
 *       No rescale, no constraint.
 *   QuantizeLinear, QLinearConv, QLinearMatMul: the exact integer accumulator, then requantization
 *       by a fixed-point multiplier with rounding half to even and saturation (requantize.ts).
 *   MatMulInteger, ConvInteger: the exact int32 accumulator (linear, free with constant weights).
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { affineParams, channelParam, integerContraction, LAYOUT, quantizeOutputType, quantRange, requantMultiplier, scalarParam } from '../../onnx/ops/quantized';
import type { LowerContext, RowDraft } from '../context';
import { weightScale } from '../scales';
import { toCoefficient } from './coefficient';
import { addConstant, addParamTerm, addProduct, addWeightedTerm, emptyRow, slot } from './terms';
import { lowerRequantize } from './requantize';

/** Largest fraction bits tried for an exact dequantization coefficient. */
const MAX_DEQUANT_SCALE = 64;

/** The fewest fraction bits w at which every s·2^w is an integer (float32 scales: always), else weightScale. */
function exactScale(values: Float64Array, ctx: LowerContext): number {
  for (let w = 0; w <= MAX_DEQUANT_SCALE; w++) {
    if (values.every((v) => Number.isSafeInteger(v * 2 ** w))) return w;
  }
  return weightScale(values, ctx.settings);
}

function lowerDequantize(node: IrNode, ctx: LowerContext): void {
  const q = ctx.variable(node.inputs[0])!;
  const p = affineParams(node, q.shape, ctx.constant(node.inputs[1])!, ctx.constant(node.inputs[2]));
  const accScale = q.scaleBits + exactScale(p.scale, ctx);
  const rows = Array.from({ length: sizeOf(q.shape) }, (_, i) => {
    const row = emptyRow();
    const k = p.index(i);
    addWeightedTerm(ctx, row, q, i, p.scale[k], accScale);
    addConstant(row, -p.zeroPoint[k] * p.scale[k], accScale);
    return row;
  });
  ctx.addLayer(node, node.outputs[0], q.shape, rows, accScale, 0, false);
}

function lowerQuantize(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const zp = ctx.constant(node.inputs[2]);
  const p = affineParams(node, x.shape, ctx.constant(node.inputs[1])!, zp);
  const n = sizeOf(x.shape);
  const rows = Array.from({ length: n }, (_, i) => {
    const row = emptyRow();
    addWeightedTerm(ctx, row, x, i, 1, x.scaleBits);
    return row;
  });
  // onnxruntime divides by the float32 scale: the multiplier is exactly 1/s.
  const mu = Float64Array.from({ length: n }, (_, i) => 1 / Math.fround(p.scale[p.index(i)]));
  const zeroPoint = Float64Array.from({ length: n }, (_, i) => p.zeroPoint[p.index(i)]);
  // 1/s is exact only for a power-of-two s; else it is rounded to the target's multiplier bits.
  const muExact = mu.every((m) => Number.isInteger(Math.log2(m)));
  lowerRequantize(ctx, node, node.outputs[0], x.shape, { rows, accScale: x.scaleBits, mu, muExact, zeroPoint, ...quantRange(quantizeOutputType(node, zp), node) });
}

/** QLinearConv, QLinearMatMul, MatMulInteger, ConvInteger. */
function lowerIntegerOp(node: IrNode, ctx: LowerContext): void {
  const L = LAYOUT[node.opType];
  const at = (i: number | undefined) => (i === undefined ? undefined : node.inputs[i]);
  const constAt = (i: number | undefined) => {
    const name = at(i);
    return name ? ctx.constant(name) : undefined;
  };
  const shapeOf = (name: string) => ctx.variable(name)?.shape ?? ctx.constant(name)!.shape;
  const aName = node.inputs[L.a];
  const bName = node.inputs[L.b];
  const ic = integerContraction(node, shapeOf(aName), shapeOf(bName));
  const az = scalarParam(node, constAt(L.az), 'input zero point');
  const bz = channelParam(node, constAt(L.bz), ic.channels, 'weight zero point');
  const bias = L.bias !== undefined && at(L.bias) ? channelParam(node, constAt(L.bias), ic.channels, 'bias') : new Float64Array(ic.channels);
  const a = ctx.variable(aName);
  const b = ctx.variable(bName);
  const aConst = ctx.constant(aName);
  const bConst = ctx.constant(bName);
  for (const v of [a, b]) {
    if (v && v.scaleBits !== 0)
      throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}): its integer operand has fraction bits; feed it a quantized tensor`, { node: node.name });
  }

  // With private weights, the constant operand (as w − zero point) and the bias are weight signals;
  // the zero-point corrections are linear in them. Zero points and scales stay public.
  const constOperand = aConst ?? bConst;
  const wp = constOperand && ctx.paramTensor(node, 'weights', constOperand.data.length);
  const bp = L.bias !== undefined && at(L.bias) ? ctx.paramTensor(node, 'bias', ic.channels) : undefined;
  const correct = (row: RowDraft, index: number, value: number, zero: number): void => {
    if (zero === 0) return;
    if (wp) addParamTerm(row, wp.set(index, toCoefficient(value, 0)), toCoefficient(-zero, 0));
    else row.bias -= toCoefficient(zero * value, 0);
  };

  // acc = bias + Σ (a − az)(b − bz), exact at scale 0.
  const rows: RowDraft[] = ic.pairs.map((pair, o) => {
    const ch = ic.channelOf(o);
    const row = emptyRow();
    if (bp) addParamTerm(row, bp.set(ch, toCoefficient(bias[ch], 0)), 1n);
    else row.bias = toCoefficient(bias[ch], 0);
    for (let r = 0; r < pair.a.length; r++) {
      const ia = pair.a[r];
      const ib = pair.b[r];
      if (a && b) {
        // (a − az)(b − bz) = a·b − bz·a − az·b + az·bz
        addProduct(ctx, row, a, ia, b, ib);
        if (bz[ch] !== 0) addWeightedTerm(ctx, row, a, ia, -bz[ch], 0);
        if (az !== 0) addWeightedTerm(ctx, row, b, ib, -az, 0);
        row.bias += toCoefficient(az * bz[ch], 0);
      } else if (a) {
        addWeightedTerm(ctx, row, a, ia, bConst!.data[ib] - bz[ch], 0, slot(wp, ib));
        correct(row, ib, bConst!.data[ib] - bz[ch], az);
      } else {
        addWeightedTerm(ctx, row, b!, ib, aConst!.data[ia] - az, 0, slot(wp, ia));
        correct(row, ia, aConst!.data[ia] - az, bz[ch]);
      }
    }
    return row;
  });

  if (L.ys === undefined) {
    ctx.addLayer(node, node.outputs[0], ic.outShape, rows, 0, 0, false);
    return;
  }
  const as = scalarParam(node, constAt(L.as), 'input scale');
  const bs = channelParam(node, constAt(L.bs), ic.channels, 'weight scale');
  const ys = scalarParam(node, constAt(L.ys), 'output scale');
  const yzT = constAt(L.yz);
  const yz = scalarParam(node, yzT, 'output zero point');
  const mu = rows.map((_, o) => requantMultiplier(as, bs[ic.channelOf(o)], ys));
  lowerRequantize(ctx, node, node.outputs[0], ic.outShape, {
    rows,
    accScale: 0,
    mu,
    // onnxruntime requantizes by exactly this float32 value.
    muExact: true,
    zeroPoint: rows.map(() => yz),
    ...quantRange(yzT?.elemType ?? 'uint8', node),
  });
}

export const QUANTIZED_LOWERINGS: Record<string, (node: IrNode, ctx: LowerContext) => void> = {
  QuantizeLinear: lowerQuantize,
  DequantizeLinear: lowerDequantize,
  QLinearConv: lowerIntegerOp,
  QLinearMatMul: lowerIntegerOp,
  MatMulInteger: lowerIntegerOp,
  ConvInteger: lowerIntegerOp,
};
