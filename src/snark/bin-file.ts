/**
 * The container of snarkjs's binary files (.ptau, .r1cs, .zkey, .wtns), read without loading them.
 *
 * Layout (snarkjs binfileutils): magic (4 bytes), version (u32), nSections (u32), then each section
 * as type (u32), size (u64), data. Integers are little-endian.
 */
import * as fs from 'node:fs';
import { ErrorCode, ZkmlError } from '../errors';

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

/** Up to length bytes at position (fewer at the end of the file). */
export function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const got = fs.readSync(fd, buf, 0, length, position);
  return buf.subarray(0, got);
}

/** Little-endian unsigned integer of n8 bytes (the encoding of field elements in these files). */
export function readBigLE(buf: Uint8Array, offset: number, n8: number): bigint {
  let v = 0n;
  for (let i = offset + n8 - 1; i >= offset; i--) v = (v << 8n) | BigInt(buf[i]);
  return v;
}
