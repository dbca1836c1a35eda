/**
 * BitShift by constant amounts (docs/logic.md). x holds integers at scale s (scale 0 for a uint
 * input). LEFT: x·2^y, a free linear layer at scale s, refused when its bounds reach 2^width (the
 * uint type would wrap; the circuit proves the unwrapped value). RIGHT: ⌊x / 2^y⌋ at scale 0, one
 * exact rescale by the largest amount K: ⌊x·2^(K−y) / 2^(s+K)⌋, written for the half-up rescale as
 * x·2^(K−y) − 2^(s+K−1); s + K + n bits for n output bits, free when s + K = 0.
 *
 * A run-time amount y (integer-valued, scale 0) is range-checked into [0, width) by ./indexing's
 * restricted Segment (no witness outside; ONNX leaves it undefined), and K = its largest possible
 * value; its indicator bits b_k = [y = k] give P = Σ b_k·2^k (LEFT) or Σ b_k·2^(K−k) (RIGHT), a free
 * linear layer, and the shift is one product x·P (RIGHT: then the same exact rescale by s + K).
 *
 * Error: exact when x and y carry none; else e·2^y (LEFT), e / 2^y + 1 (RIGHT: a floor may step).
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { checkShifts, shiftDirection, uintWidth } from '../../onnx/ops/bitshift';
import { broadcastIndexMap, broadcastShapes } from '../../onnx/tensor';
import type { LowerContext, RowDraft, VarTensor } from '../context';
import { indexTensor, indicatorBits, normalizedIndex, possible } from './indexing';
import { addProduct, emptyRow } from './terms';

/** A LEFT shift must stay inside the uint type: the circuit proves the unwrapped value. */
function checkNoWrap(ctx: LowerContext, node: IrNode, v: VarTensor, width: number, s: number): void {
  const limit = 1n << BigInt(width + s);
  if (ctx.bounds[v.id].some((b) => b.hi >= limit || b.lo < 0n)) {
    throw new ZkmlError(
      'ONNX_UNSUPPORTED_OP',
      `node '${node.name}' (BitShift): a LEFT shift may leave the ${width}-bit type (the bounds of the result reach 2^${width}), where onnxruntime wraps around`,
      {
        node: node.name,
        opType: 'BitShift',
      },
    );
  }
}

/** BitShift by an amount computed at run time: x·P for P = 2^y (LEFT) or 2^(K−y) (RIGHT, then ⌊· / 2^(s+K)⌋). */
function lowerRuntimeShift(node: IrNode, ctx: LowerContext, width: number): void {
  const y = normalizedIndex(ctx, node, indexTensor(ctx, node, 1, 'shift amounts'), width, false);
  const K = Number(ctx.bounds[y.id].reduce((m, b) => (b.hi > m ? b.hi : m), 0n));
  const left = shiftDirection(node) === 'LEFT';
  const bits = indicatorBits(ctx, node, y, K + 1, 'amount_bits');
  const x = ctx.variable(node.inputs[0]);
  if (!x) return shiftConstant(node, ctx, ctx.constant(node.inputs[0])!, y, bits, K, width);
  const ySize = ctx.tensors[y.id].size;
  // P at scale K for RIGHT (its value 2^−y), at 0 for LEFT (2^y).
  const powerRows = Array.from({ length: ySize }, (_, e) => {
    const row = emptyRow();
    for (let k = 0; k <= K; k++) if (possible(ctx, bits, e * (K + 1) + k)) row.terms.push([bits.id, e * (K + 1) + k, 1n << BigInt(left ? k : K - k)]);
    row.error = ctx.error(y, e) > 0 ? (left ? 2 ** K : 1) : 0; // its value may be another power: at most the spread
    return row;
  });
  const power = ctx.addLayer(node, `${node.outputs[0]}/power`, y.shape, powerRows, left ? 0 : K, 0, false);
  const shape = broadcastShapes(x.shape, y.shape, node.name);
  const mapX = broadcastIndexMap(x.shape, shape);
  const mapY = broadcastIndexMap(y.shape, shape);
  const s = x.scaleBits;
  const shift = left ? 0 : s + K;
  const rows = Array.from({ length: sizeOf(shape) }, (_, i) => {
    const row = emptyRow();
    addProduct(ctx, row, x, mapX[i], power, mapY[i]);
    if (shift > 0) row.bias = -(1n << BigInt(shift - 1)); // the half-up rescale made a floor
    const exact = ctx.error(x, mapX[i]) === 0 && ctx.error(power, mapY[i]) === 0;
    if (exact) row.error = 0;
    else if (!left) row.error += 1;
    return row;
  });
  const v = ctx.addLayer(node, node.outputs[0], shape, rows, s + (left ? 0 : K), shift, false);
  if (left) checkNoWrap(ctx, node, v, width, s);
}

/** A constant x by a run-time amount: Σ_k b_k·(x·2^k or ⌊x / 2^k⌋), a selection from constants (free). */
function shiftConstant(node: IrNode, ctx: LowerContext, x: FloatTensor, y: VarTensor, bits: VarTensor, K: number, width: number): void {
  const left = shiftDirection(node) === 'LEFT';
  const shape = broadcastShapes(x.shape, y.shape, node.name);
  const mapX = broadcastIndexMap(x.shape, shape);
  const mapY = broadcastIndexMap(y.shape, shape);
  const rows = Array.from({ length: sizeOf(shape) }, (_, i) => {
    const row = emptyRow();
    const c = BigInt(x.data[mapX[i]]); // a uint constant: an integer (ingest read its type)
    for (let k = 0; k <= K; k++) {
      const b = mapY[i] * (K + 1) + k;
      const value = left ? c << BigInt(k) : c >> BigInt(k);
      if (possible(ctx, bits, b) && value !== 0n) row.terms.push([bits.id, b, value]);
    }
    row.error = ctx.error(y, mapY[i]) > 0 ? Number(left ? c << BigInt(K) : c) : 0;
    return row;
  });
  const v = ctx.addLayer(node, node.outputs[0], shape, rows, 0, 0, false);
  if (left) checkNoWrap(ctx, node, v, width, 0);
}

export function lowerBitShift(node: IrNode, ctx: LowerContext): void {
  const width = uintWidth(ctx.graph, node.inputs[0]);
  const y = ctx.constant(node.inputs[1]);
  if (!y) return lowerRuntimeShift(node, ctx, width);
  const x = ctx.variable(node.inputs[0])!;
  checkShifts(node, y.data, width);
  const shape = broadcastShapes(x.shape, y.shape, node.name);
  const mapX = broadcastIndexMap(x.shape, shape);
  const mapY = broadcastIndexMap(y.shape, shape);
  const s = x.scaleBits;
  const out = node.outputs[0];
  const amount = (i: number) => y.data[mapY[i]];
  if (shiftDirection(node) === 'LEFT') {
    const rows = Array.from({ length: sizeOf(shape) }, (_, i) => {
      const row = emptyRow();
      row.terms.push([x.id, mapX[i], 1n << BigInt(amount(i))]);
      row.error = ctx.error(x, mapX[i]) * 2 ** amount(i);
      return row;
    });
    checkNoWrap(ctx, node, ctx.addLayer(node, out, shape, rows, s, 0, false), width, s);
    return;
  }
  const K = Math.max(0, ...Array.from(y.data));
  const shift = s + K;
  if (shift === 0) {
    // Every amount is 0: the identity (a free layer, which also broadcasts).
    const same = Array.from({ length: sizeOf(shape) }, (_, i) => ({ ...emptyRow(), terms: [[x.id, mapX[i], 1n]] as RowDraft['terms'], error: ctx.error(x, mapX[i]) }));
    ctx.addLayer(node, out, shape, same, 0, 0, false);
    return;
  }
  const rows = Array.from({ length: sizeOf(shape) }, (_, i) => {
    const row = emptyRow();
    row.bias = -(1n << BigInt(shift - 1));
    row.terms.push([x.id, mapX[i], 1n << BigInt(K - amount(i))]);
    const e = ctx.error(x, mapX[i]);
    row.error = e === 0 ? 0 : e / 2 ** amount(i) + 1;
    return row;
  });
  ctx.addLayer(node, out, shape, rows, shift, shift, false);
}
