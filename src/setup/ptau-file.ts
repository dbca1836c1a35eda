/**
 * Reads the header of a snarkjs binary file (.ptau, .r1cs) without loading the file: a ptau of
 * 2^24 is several GB, and all we need up front is its power and whether it is phase-2 ready.
 *
 * Layout (snarkjs binfileutils): magic (4 bytes), version (u32), nSections (u32), then each section
 * as type (u32), size (u64), data. Integers are little-endian.
 */
import * as fs from 'node:fs';
import { ErrorCode, ZkmlError } from '../errors';

/** BN254 base field modulus: the `q` a bn128 ptau header must carry. */
const BN254_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
/** snarkjs supports domains up to 2^28 on bn128 (the field's 2-adicity). */
const MAX_POWER = 28;

const G1_BYTES = 64;
const G2_BYTES = 128;

export interface BinSection {
  /** Offset of the section data in the file. */
  offset: number;
  size: number;
}

export interface BinFile {
  version: number;
  /** Sections by type; snarkjs files hold each type at most once. */
  sections: Map<number, BinSection>;
  fileSize: number;
}

export interface PtauFileInfo {
  power: number;
  ceremonyPower: number;
  /** Has the Lagrange-basis sections 12..15 that `snarkjs powersoftau prepare phase2` adds. */
  prepared: boolean;
}

/** Scans the section table; any inconsistency is reported as `code`. */
export function scanBinFile(file: string, magic: string, code: ErrorCode): BinFile {
  const fail = (why: string): never => {
    throw new ZkmlError(code, `${file}: ${why}`);
  };
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return fail('cannot be opened');
  }
  try {
    const fileSize = fs.fstatSync(fd).size;
    const head = readAt(fd, 0, 12);
    if (head.length < 12) fail('file is truncated (no header)');
    if (head.subarray(0, 4).toString('latin1') !== magic) fail(`not a .${magic} file (wrong magic)`);
    const version = head.readUInt32LE(4);
    const nSections = head.readUInt32LE(8);
    if (nSections > 64) fail(`implausible section count ${nSections}`);

    const sections = new Map<number, BinSection>();
    let pos = 12;
    for (let i = 0; i < nSections; i++) {
      const sh = readAt(fd, pos, 12);
      if (sh.length < 12) fail('file is truncated (section table)');
      const type = sh.readUInt32LE(0);
      const size = Number(sh.readBigUInt64LE(4));
      const offset = pos + 12;
      if (offset + size > fileSize) fail(`file is truncated (section ${type} runs past the end)`);
      if (sections.has(type)) fail(`section ${type} appears twice`);
      sections.set(type, { offset, size });
      pos = offset + size;
    }
    return { version, sections, fileSize };
  } finally {
    fs.closeSync(fd);
  }
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
    q = readLE(h.subarray(4, 4 + n8q));
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

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const got = fs.readSync(fd, buf, 0, length, position);
  return buf.subarray(0, got);
}

function readLE(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}
