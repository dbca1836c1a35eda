/**
 * Non-zero counts of an r1cs's A, B and C matrices, read from circom's file without parsing a
 * coefficient: the prover's per-coefficient work (snarkjs buildABC) follows the A and B counts,
 * so these figures predict proving cost better than the constraint count alone.
 */
import * as fs from 'node:fs';
import { ErrorCode, ZkmlError } from '../errors';
import { readR1csHeader } from '../snark/r1cs-header';
import { scanBinFile } from '../snark/bin-file';

export interface R1csStats {
  constraints: number;
  wires: number;
  nonZerosA: number;
  nonZerosB: number;
  nonZerosC: number;
  /** Constraints whose A and B are empty: linear ones, 0 = C·w. */
  linearConstraints: number;
  /** The longest A or B row (terms): what circom's substitution did to the quadratic constraints. */
  maxRowAB: number;
}

export function readR1csStats(file: string, code: ErrorCode = 'CIRCOM_FAILED'): R1csStats {
  const header = readR1csHeader(file, code);
  const section = scanBinFile(file, 'r1cs', code).sections.get(2);
  if (!section) throw new ZkmlError(code, `${file}: no r1cs constraints section`);
  const n8 = header.n8;
  const buf = readRange(file, section.offset, section.size);
  const stats: R1csStats = { constraints: header.nConstraints, wires: header.nVars, nonZerosA: 0, nonZerosB: 0, nonZerosC: 0, linearConstraints: 0, maxRowAB: 0 };
  let p = 0;
  const row = (): number => {
    if (p + 4 > buf.length) throw new ZkmlError(code, `${file}: the r1cs constraints section is truncated`);
    const n = buf.readUInt32LE(p);
    p += 4 + n * (4 + n8);
    if (p > buf.length) throw new ZkmlError(code, `${file}: the r1cs constraints section is truncated`);
    return n;
  };
  for (let i = 0; i < header.nConstraints; i++) {
    const a = row();
    const b = row();
    stats.nonZerosA += a;
    stats.nonZerosB += b;
    stats.nonZerosC += row();
    if (a === 0 && b === 0) stats.linearConstraints++;
    stats.maxRowAB = Math.max(stats.maxRowAB, a, b);
  }
  return stats;
}

function readRange(file: string, offset: number, size: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const n = fs.readSync(fd, buf, got, size - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}
