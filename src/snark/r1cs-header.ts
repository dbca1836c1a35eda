/**
 * The header of an r1cs file (iden3 r1csfile, section type 1), read without loading the
 * constraints, so it stays fast for circuits of millions of constraints.
 */
import * as fs from 'node:fs';
import { ErrorCode, ZkmlError } from '../errors';
import { readAt, readBigLE, scanBinFile } from './bin-file';

export interface R1csHeader {
  /** Bytes per field element. */
  n8: number;
  prime: bigint;
  nVars: number;
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
  nLabels: number;
  nConstraints: number;
}

/** The header counts; a missing file is ARTIFACT_MISSING, a malformed one `code`. */
export function readR1csHeader(file: string, code: ErrorCode): R1csHeader {
  if (!fs.existsSync(file)) throw new ZkmlError('ARTIFACT_MISSING', `no r1cs file at ${file}`);
  const bin = scanBinFile(file, 'r1cs', code);
  const section = bin.sections.get(1);
  if (!section) throw new ZkmlError(code, `${file}: no r1cs header section`);
  const fd = fs.openSync(file, 'r');
  let h: Buffer;
  try {
    h = readAt(fd, section.offset, section.size);
  } finally {
    fs.closeSync(fd);
  }
  const n8 = h.length >= 4 ? h.readUInt32LE(0) : 0;
  if (n8 === 0 || n8 > 64 || h.length < 4 + n8 + 28) throw new ZkmlError(code, `${file}: the r1cs header is truncated`);
  const o = 4 + n8;
  return {
    n8,
    prime: readBigLE(h, 4, n8),
    nVars: h.readUInt32LE(o),
    nOutputs: h.readUInt32LE(o + 4),
    nPubInputs: h.readUInt32LE(o + 8),
    nPrvInputs: h.readUInt32LE(o + 12),
    nLabels: Number(h.readBigUInt64LE(o + 16)),
    nConstraints: h.readUInt32LE(o + 24),
  };
}
