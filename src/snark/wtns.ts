/**
 * The witness values of a .wtns file (snarkjs's format, as circom_runtime's calculateWTNSBin writes
 * it): section 1 holds n8, the prime and the count; section 2 the values, n8 bytes LE each.
 */
import { ErrorCode, ZkmlError } from '../errors';
import { BN254_R } from '../formats/field';
import { readBigLE } from './bin-file';

/** The values section of a BN254 witness, as its own buffer (nWitness × 32 bytes, standard form). */
export function readWtnsValues(bytes: Uint8Array, code: ErrorCode = 'WITNESS_FAILED'): { nWitness: number; values: Uint8Array } {
  const fail = (why: string): never => {
    throw new ZkmlError(code, `wtns: ${why}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || String.fromCharCode(...bytes.subarray(0, 4)) !== 'wtns') fail('not a .wtns file');
  const sections = new Map<number, Uint8Array>();
  let pos = 12;
  for (let i = 0; i < view.getUint32(8, true); i++) {
    if (pos + 12 > bytes.byteLength) fail('file is truncated');
    const type = view.getUint32(pos, true);
    const size = Number(view.getBigUint64(pos + 4, true));
    if (pos + 12 + size > bytes.byteLength) fail('file is truncated');
    sections.set(type, bytes.subarray(pos + 12, pos + 12 + size));
    pos += 12 + size;
  }
  const header = sections.get(1) ?? fail('no header section');
  const hv = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (header.byteLength !== 40 || hv.getUint32(0, true) !== 32 || readBigLE(header, 4, 32) !== BN254_R) fail('not a BN254 witness');
  const nWitness = hv.getUint32(36, true);
  const values = sections.get(2) ?? fail('no values section');
  if (values.byteLength !== nWitness * 32) fail(`${values.byteLength} bytes of values for ${nWitness} values`);
  return { nWitness, values: values.slice() };
}
