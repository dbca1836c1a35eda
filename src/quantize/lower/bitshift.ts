/**
 * BitShift by constant amounts (docs/logic.md). x holds integers at scale s (scale 0 for a uint
 * input). LEFT: x·2^y, a free linear layer at scale s, refused when its bounds reach 2^width (the
 * uint type would wrap; the circuit proves the unwrapped value). RIGHT: ⌊x / 2^y⌋ at scale 0, one
 * exact rescale by the largest amount K: ⌊x·2^(K−y) / 2^(s+K)⌋, written for the half-up rescale as
 * x·2^(K−y) − 2^(s+K−1); s + K + n bits for n output bits, free when s + K = 0.
 *
 * Error: exact when x carries none; else e·2^y (LEFT), e / 2^y + 1 (RIGHT: a floor may step).
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { checkShifts, shiftDirection, uintWidth } from '../../onnx/ops/bitshift';
import { broadcastIndexMap, broadcastShapes } from '../../onnx/tensor';
import type { LowerContext, RowDraft } from '../context';
import { emptyRow } from './terms';

export function lowerBitShift(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const y = ctx.constant(node.inputs[1])!;
  const width = uintWidth(ctx.graph, node.inputs[0]);
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
    const v = ctx.addLayer(node, out, shape, rows, s, 0, false);
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
