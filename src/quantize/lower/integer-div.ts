/**
 * Integer Div (ONNX Div on integer tensors: truncation toward zero) from two audited layers:
 *     r = fmod(a, b)                   the remainder layer (./mod.ts, circuits/modulo.circom), which
 *                                      proves b ≠ 0 and range-checks its quotient and remainder
 *     out = (a − r) / b                the quotient layer (./quotient.ts, circuits/divide.circom) at
 *                                      scale 0: a − r is a multiple of b, so round((a − r)/b) is exact
 * C's fmod has a's sign and |r| < |b|, so (a − r)/b = trunc(a / b). A zero divisor has no witness in
 * either layer (no proof); a constant zero divisor is refused at compile. Bit widths come from the
 * bound analysis of each layer.
 *
 * Error: exact when a and b carry none (integer inputs); else the quotient's bound plus one step.
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { broadcastAll } from '../../onnx/ops/elementwise';
import { broadcastIndexMap } from '../../onnx/tensor';
import type { LowerContext } from '../context';
import { setError } from './minmax';
import { lowerMod } from './mod';
import { lowerQuotient, smallestNonzero } from './quotient';
import { emptyRow } from './terms';

export function lowerIntegerDiv(node: IrNode, ctx: LowerContext): void {
  const a = ctx.variable(node.inputs[0]);
  if (!a) throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (Div): a constant integer dividend with a computed divisor is not supported`, { node: node.name, opType: 'Div' });
  const out = node.outputs[0];
  const remainder = `${out}#remainder`;
  lowerMod({ ...node, attributes: { fmod: 1 }, outputs: [remainder] }, ctx);
  const r = ctx.variable(remainder)!;
  const d = ctx.variable(node.inputs[1]) ?? ctx.variable(`${remainder}#divisor`)!; // the one Mod made
  const shape = r.shape;
  const mapA = broadcastIndexMap(a.shape, shape);
  const mapD = broadcastIndexMap(d.shape, shape);
  const s = r.scaleBits; // the finer of a's and b's scales
  const multiple = ctx.addLayer(
    node,
    `${out}#multiple`,
    shape,
    Array.from({ length: sizeOf(shape) }, (_, i) => ({
      ...emptyRow(),
      terms: [
        [a.id, mapA[i], 1n << BigInt(s - a.scaleBits)],
        [r.id, i, -1n],
      ],
    })),
    s,
    0,
    false,
  );
  const numerators = Array.from({ length: sizeOf(shape) }, (_, i) => ({ tensor: multiple, index: i }));
  const q = lowerQuotient(ctx, node, out, broadcastAll([a.shape, d.shape], node.name), numerators, d, mapD, 0);
  for (let i = 0; i < sizeOf(shape); i++) {
    const ea = ctx.error(a, mapA[i]);
    const ed = ctx.error(d, mapD[i]);
    const m = smallestNonzero(ctx, d, mapD[i]);
    const maxA = ctx.maxAbs(a, mapA[i]);
    setError(ctx, q, i, ea === 0 && ed === 0 ? 0 : ea / (m - ed) + (maxA * ed) / (m * (m - ed)) + 1);
  }
}
