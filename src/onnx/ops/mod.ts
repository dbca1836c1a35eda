/**
 * Mod with numpy broadcasting: fmod 1 is C's fmod (the result has the dividend's sign, |r| < |b|),
 * fmod 0 the integer modulus (the divisor's sign, as Python's %). Both exact on the quantized values
 * (src/quantize/lower/mod.ts); a zero divisor has no proof.
 */
import { ZkmlError } from '../../errors';
import { sizeOf } from '../../formats/graph';
import type { IrNode } from '../../formats/graph';
import { broadcastIndexMap } from '../tensor';
import { broadcastAll } from './elementwise';
import { intAttr, OpFamily, requireInputs } from './op-family';
import { allowAttributes } from './windows';

/** The fmod attribute, 0 or 1. */
export function fmodAttr(node: IrNode): boolean {
  const f = intAttr(node, 'fmod', 0);
  if (f !== 0 && f !== 1) throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}' (Mod): fmod=${f} must be 0 or 1`, { node: node.name, opType: 'Mod', attribute: 'fmod' });
  return f === 1;
}

/** C fmod (sign of a) or the floor modulus (sign of b); NaN for b = 0 (onnxruntime's float result). */
export function modulo(a: number, b: number, fmod: boolean): number {
  if (fmod) return a % b;
  const r = a - Math.floor(a / b) * b;
  return r;
}

export const modFamily: OpFamily = {
  ops: ['Mod'],
  inferShapes(node, shapes) {
    allowAttributes(node, ['fmod']);
    fmodAttr(node);
    requireInputs(node, shapes, 2);
    return [broadcastAll(shapes, node.name)];
  },
  evalFloat(node, [a, b]) {
    const fmod = fmodAttr(node);
    const shape = broadcastAll([a.shape, b.shape], node.name);
    const ma = broadcastIndexMap(a.shape, shape);
    const mb = broadcastIndexMap(b.shape, shape);
    return [{ shape, data: Float64Array.from({ length: sizeOf(shape) }, (_, i) => modulo(a.data[ma[i]], b.data[mb[i]], fmod)) }];
  },
};
