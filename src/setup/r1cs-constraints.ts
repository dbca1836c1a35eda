/**
 * The constraints of an r1cs file (iden3 r1csfile, section type 2) as flat typed arrays, one slot per
 * non-zero coefficient, in file order: for each constraint its A terms, then B, then C.
 *
 * Layout of a constraint: for each of A, B, C a u32 term count, then per term a u32 wire and the
 * coefficient as n8 little-endian bytes (standard form, not Montgomery).
 */
import * as fs from 'node:fs';
import { ZkmlError } from '../errors';
import { scanBinFile } from '../snark/bin-file';
import { R1csHeader, readR1csHeader } from '../snark/r1cs-header';

export const MATRIX_A = 0;
export const MATRIX_B = 1;
export const MATRIX_C = 2;

export interface R1csTerms {
  header: R1csHeader;
  /** The raw constraint section; coefficient bytes are read from it by offset. */
  data: Buffer;
  count: number;
  matrix: Uint8Array;
  row: Uint32Array;
  wire: Uint32Array;
  /** Offset in `data` of the term's coefficient (32 bytes, little-endian). */
  coefAt: Uint32Array;
}

const FR_BYTES = 32;

export function readR1csTerms(file: string): R1csTerms {
  const header = readR1csHeader(file, 'SETUP_FAILED');
  const bin = scanBinFile(file, 'r1cs', 'SETUP_FAILED');
  const section = bin.sections.get(2);
  if (!section) throw new ZkmlError('SETUP_FAILED', `${file}: no r1cs constraint section`);
  const fd = fs.openSync(file, 'r');
  const data = Buffer.alloc(section.size);
  try {
    let done = 0;
    while (done < section.size) {
      const got = fs.readSync(fd, data, done, section.size - done, section.offset + done);
      if (got === 0) throw new ZkmlError('SETUP_FAILED', `${file}: the constraint section is truncated`);
      done += got;
    }
  } finally {
    fs.closeSync(fd);
  }
  const truncated = (): never => {
    throw new ZkmlError('SETUP_FAILED', `${file}: the constraint section is malformed`);
  };

  // A term takes at least 4 + 32 bytes: the section size bounds the count.
  const capacity = Math.floor(data.length / (4 + FR_BYTES));
  const matrix = new Uint8Array(capacity);
  const row = new Uint32Array(capacity);
  const wire = new Uint32Array(capacity);
  const coefAt = new Uint32Array(capacity);
  let pos = 0;
  let count = 0;
  for (let c = 0; c < header.nConstraints; c++) {
    for (let m = MATRIX_A; m <= MATRIX_C; m++) {
      if (pos + 4 > data.length) truncated();
      const n = data.readUInt32LE(pos);
      pos += 4;
      if (pos + n * (4 + FR_BYTES) > data.length) truncated();
      for (let i = 0; i < n; i++) {
        const w = data.readUInt32LE(pos);
        if (w >= header.nVars) throw new ZkmlError('SETUP_FAILED', `${file}: constraint ${c} uses wire ${w} of ${header.nVars}`);
        matrix[count] = m;
        row[count] = c;
        wire[count] = w;
        coefAt[count] = pos + 4;
        count++;
        pos += 4 + FR_BYTES;
      }
    }
  }
  return { header, data, count, matrix, row, wire, coefAt };
}
