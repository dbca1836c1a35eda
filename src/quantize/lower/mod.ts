/**
 * Mod → a remainder layer (Layer.modulo, circuits/modulo.circom): both operands aligned to the finer
 * scale s by exact powers of two, so the remainder of the integers is exactly the remainder of the
 * dequantized values (fmod 1: C's fmod, fmod 0: the floor modulus), at scale s; the circuit proves
 * the divisor nonzero and range-checks quotient and remainder. A constant divisor must be exact in
 * fixed point (at most 24 fraction bits).
 *
 * Error: the remainder is discontinuous where n / d crosses an integer, so against the float model
 * on unrounded operands the bound is min(2·max|d̂| + e_d, 2·max|n̂| + e_n) (|r| <= |d| and, fmod,
 * |r| <= |n|), and 0 when neither operand carries error.
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import type { Term } from '../../formats/quantized-model';
import { broadcastAll } from '../../onnx/ops/elementwise';
import { fmodAttr } from '../../onnx/ops/mod';
import { broadcastIndexMap } from '../../onnx/tensor';
import type { LowerContext, RowDraft, VarTensor } from '../context';
import { smallestNonzero } from './quotient';
import { emptyRow } from './terms';

const MAX_CONSTANT_SCALE = 24;

/** The divisor as a tensor: a constant one becomes a free layer of constant rows at its exact scale. */
export function divisorTensor(node: IrNode, ctx: LowerContext): VarTensor {
  const v = ctx.variable(node.inputs[1]);
  if (v) return v;
  const c = ctx.constant(node.inputs[1])!;
  let scale = 0;
  while (scale <= MAX_CONSTANT_SCALE && !Array.from(c.data).every((x) => Number.isInteger(x * 2 ** scale))) scale++;
  if (scale > MAX_CONSTANT_SCALE || Array.from(c.data).some((x) => x === 0)) {
    throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}): the constant divisor must be nonzero and exact with at most ${MAX_CONSTANT_SCALE} fraction bits`, {
      node: node.name,
      opType: node.opType,
    });
  }
  const rows = Array.from(c.data, (x) => ({ ...emptyRow(), bias: BigInt(x * 2 ** scale) }));
  return ctx.addLayer(node, `${node.outputs[0]}#divisor`, c.shape, rows, scale, 0, false);
}

export function lowerMod(node: IrNode, ctx: LowerContext): void {
  const fmod = fmodAttr(node);
  const a = ctx.variable(node.inputs[0]);
  if (!a) throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (Mod): a constant dividend with a computed divisor is not supported`, { node: node.name, opType: 'Mod' });
  const d = divisorTensor(node, ctx);
  const constantDivisor = ctx.variable(node.inputs[1]) === undefined;
  const shape = broadcastAll([a.shape, d.shape], node.name);
  const mapA = broadcastIndexMap(a.shape, shape);
  const mapD = broadcastIndexMap(d.shape, shape);
  const s = Math.max(a.scaleBits, d.scaleBits);
  const divisors: Term[] = [];
  const rows: RowDraft[] = Array.from({ length: sizeOf(shape) }, (_, i) => {
    const row = emptyRow();
    row.terms.push([a.id, mapA[i], 1n << BigInt(s - a.scaleBits)]);
    divisors.push([d.id, mapD[i], 1n << BigInt(s - d.scaleBits)]);
    const ea = ctx.error(a, mapA[i]);
    const ed = ctx.error(d, mapD[i]);
    const m = smallestNonzero(ctx, d, mapD[i]);
    if (ed >= m) {
      throw new ZkmlError(
        'FUNCTION_UNBOUNDED',
        `node '${node.name}' (Mod): the divisor's error bound ${ed.toPrecision(3)} reaches its smallest nonzero value ${m.toPrecision(3)}, so the true divisor may be 0`,
        {
          node: node.name,
          opType: 'Mod',
        },
      );
    }
    const maxD = ctx.maxAbs(d, mapD[i]) - ed;
    const maxA = ctx.maxAbs(a, mapA[i]) - ea;
    row.error = ea === 0 && ed === 0 ? 0 : Math.min(2 * maxD + ed, fmod ? 2 * maxA + ea : Infinity);
    return row;
  });
  ctx.addLayer(node, node.outputs[0], shape, rows, s, 0, false, undefined, undefined, undefined, undefined, { divisors, fmod, ...(constantDivisor ? { constantDivisor } : {}) });
}
