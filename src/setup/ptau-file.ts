/**
 * Reads the header of a .ptau without loading the file: a ptau of 2^24 is several GB, and all we
 * need up front is its power and whether it is phase-2 ready.
 */
import * as fs from 'node:fs';
import { ZkmlError } from '../errors';
import { BN254_Q } from '../formats/field';
import { readAt, readBigLE, scanBinFile } from '../snark/bin-file';

/** snarkjs supports domains up to 2^28 on bn128 (the field's 2-adicity). */
const MAX_POWER = 28;

const G1_BYTES = 64;
const G2_BYTES = 128;

export interface PtauFileInfo {
  power: number;
  ceremonyPower: number;
  /** Has the Lagrange-basis sections 12..15 that `snarkjs powersoftau prepare phase2` adds. */
  prepared: boolean;
}

/** Power, ceremony power and phase-2 readiness of a bn128 .ptau; throws PTAU_INVALID otherwise. */
export function readPtauInfo(file: string): PtauFileInfo {
  const fail = (why: string): never => {
    throw new ZkmlError('PTAU_INVALID', `${file}: ${why}`);
  };
  const bin = scanBinFile(file, 'ptau', 'PTAU_INVALID');
  if (bin.version !== 1) fail(`unsupported ptau version ${bin.version}`);

  const header = bin.sections.get(1);
  if (!header) return fail('no header section');
  if (header.size > 1024) fail('header section is implausibly large');
  const fd = fs.openSync(file, 'r');
  let n8q: number;
  let q: bigint;
  let power: number;
  let ceremonyPower: number;
  try {
    const h = readAt(fd, header.offset, header.size);
    if (h.length < 4) fail('header is truncated');
    n8q = h.readUInt32LE(0);
    if (n8q !== 32 || header.size !== 4 + n8q + 8) fail('header has the wrong size (not a bn128 ptau)');
    q = readBigLE(h, 4, n8q);
    power = h.readUInt32LE(4 + n8q);
    ceremonyPower = h.readUInt32LE(8 + n8q);
  } finally {
    fs.closeSync(fd);
  }
  if (q !== BN254_Q) fail('curve prime is not bn128 (BN254)');
  if (power < 1 || power > MAX_POWER) fail(`power ${power} is outside 1..${MAX_POWER}`);

  // The point sections must hold exactly the counts the power implies (catches cut or padded files).
  const n = 2 ** power;
  const expected: Array<[number, number]> = [
    [2, (2 * n - 1) * G1_BYTES], // tau·G1
    [3, n * G2_BYTES], // tau·G2
    [4, n * G1_BYTES], // alpha·tau·G1
    [5, n * G1_BYTES], // beta·tau·G1
    [6, G2_BYTES], // beta·G2
  ];
  for (const [type, size] of expected) {
    const s = bin.sections.get(type);
    if (!s) fail(`missing section ${type}`);
    else if (s.size !== size) fail(`section ${type} has ${s.size} bytes, expected ${size} for power ${power}`);
  }

  // Phase-2 sections: newZKey reads up to these sizes, so anything shorter is unusable.
  const lagrange: Array<[number, number]> = [
    [12, (4 * n - 1) * G1_BYTES],
    [13, (2 * n - 1) * G2_BYTES],
    [14, (2 * n - 1) * G1_BYTES],
    [15, (2 * n - 1) * G1_BYTES],
  ];
  const present = lagrange.filter(([type]) => bin.sections.has(type));
  if (present.length > 0 && present.length < lagrange.length) fail('phase-2 sections 12..15 are incomplete');
  for (const [type, size] of present) {
    const s = bin.sections.get(type)!;
    if (s.size < size) fail(`section ${type} has ${s.size} bytes, expected at least ${size}`);
  }

  return { power, ceremonyPower, prepared: present.length === lagrange.length };
}
