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
  const stats: R1csStats = { constraints: header.nConstraints, wires: header.nVars, nonZerosA: 0, nonZerosB: 0, nonZerosC: 0, linearConstraints: 0, maxRowAB: 0 };
  const fd = fs.openSync(file, 'r');
  try {
    // Only each row's length is read, through a 16 MiB window (a large r1cs does not fit in memory).
    const window = Buffer.alloc(1 << 24);
    let from = 0;
    let got = 0;
    let p = 0;
    const row = (): number => {
      if (p + 4 > section.size) throw new ZkmlError(code, `${file}: the r1cs constraints section is truncated`);
      if (p < from || p + 4 > from + got) {
        from = p;
        got = fs.readSync(fd, window, 0, Math.min(window.length, section.size - p), section.offset + p);
        if (got < 4) throw new ZkmlError(code, `${file}: the r1cs constraints section is truncated`);
      }
      const n = window.readUInt32LE(p - from);
      p += 4 + n * (4 + n8);
      if (p > section.size) throw new ZkmlError(code, `${file}: the r1cs constraints section is truncated`);
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
  } finally {
    fs.closeSync(fd);
  }
  return stats;
}
