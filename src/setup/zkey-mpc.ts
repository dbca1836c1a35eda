/**
 * The phase-2 contribution record of a Groth16 .zkey (section 10, snarkjs zkey_utils): the circuit
 * hash, then one entry per contribution. Reading it lets the ceremony check that a submitted key
 * extends the current one byte for byte, and name each contribution by snarkjs's own hash.
 *
 * Entry layout: deltaAfter G1, g1_s G1, g1_sx G1 (64 bytes each, Montgomery LE), g2_spx G2 (128),
 * transcript (64), type u32 (0 contribution, 1 beacon), params length u32, params
 * (1: name, 2: beacon iterations exponent, 3: beacon hash).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { ErrorCode, ZkmlError } from '../errors';
import { scanBinFile } from '../snark/bin-file';

const MPC_SECTION = 10;
const G1 = 64;
const G2 = 128;
const POINTS = 3 * G1 + G2;

export interface MpcEntry {
  type: number;
  name?: string;
  /** The whole entry as stored, for exact prefix comparison. */
  bytes: Buffer;
}

export interface MpcParams {
  csHash: Buffer;
  contributions: MpcEntry[];
}

/** Reads section 10 of a zkey; any inconsistency is reported as `code`. */
export function readMpcParams(file: string, code: ErrorCode): MpcParams {
  const fail = (why: string): never => {
    throw new ZkmlError(code, `${file}: ${why}`);
  };
  const bin = scanBinFile(file, 'zkey', code);
  const section = bin.sections.get(MPC_SECTION);
  if (!section) return fail('no phase-2 contribution section (not a Groth16 zkey)');
  if (section.size > 1 << 24) fail('implausibly large contribution section');
  const data = Buffer.alloc(section.size);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, data, 0, section.size, section.offset);
  } finally {
    fs.closeSync(fd);
  }
  if (data.length < 68) fail('contribution section is truncated');
  const csHash = data.subarray(0, 64);
  const n = data.readUInt32LE(64);
  const contributions: MpcEntry[] = [];
  let pos = 68;
  for (let i = 0; i < n; i++) {
    const start = pos;
    pos += POINTS + 64;
    if (pos + 8 > data.length) fail(`contribution ${i + 1} is truncated`);
    const type = data.readUInt32LE(pos);
    const paramLength = data.readUInt32LE(pos + 4);
    pos += 8;
    const end = pos + paramLength;
    if (end > data.length) fail(`contribution ${i + 1} parameters are truncated`);
    let name: string | undefined;
    while (pos < end) {
      const tag = data[pos++];
      if (tag === 2) {
        pos += 1;
      } else if (tag === 1 || tag === 3) {
        const len = data[pos++];
        if (tag === 1) name = data.subarray(pos, pos + len).toString('utf8');
        pos += len;
      } else {
        fail(`contribution ${i + 1} has an unknown parameter ${tag}`);
      }
    }
    if (pos !== end) fail(`contribution ${i + 1} parameters do not match their length`);
    contributions.push({ type, name, bytes: data.subarray(start, end) });
  }
  if (pos !== data.length) fail('trailing bytes after the last contribution');
  return { csHash, contributions };
}

interface CurveLike {
  G1: { fromRprLEM(b: Uint8Array, o: number): unknown; toRprUncompressed(b: Uint8Array, o: number, p: unknown): void };
  G2: { fromRprLEM(b: Uint8Array, o: number): unknown; toRprUncompressed(b: Uint8Array, o: number, p: unknown): void };
}

/**
 * snarkjs's contribution hash (what `zkey contribute` prints and `zkey verify` lists): blake2b-512 of
 * the public key points in uncompressed big-endian form, then the transcript.
 */
export function contributionHash(curve: CurveLike, entry: MpcEntry): string {
  const b = entry.bytes;
  // Fresh copies: ffjavascript may view `buffer` from offset 0, ignoring a subarray's byteOffset.
  const slice = (from: number, len: number): Uint8Array => new Uint8Array(b.subarray(from, from + len));
  const h = crypto.createHash('blake2b512');
  for (let i = 0; i < 3; i++) {
    const out = new Uint8Array(G1);
    curve.G1.toRprUncompressed(out, 0, curve.G1.fromRprLEM(slice(i * G1, G1), 0));
    h.update(out);
  }
  const out2 = new Uint8Array(G2);
  curve.G2.toRprUncompressed(out2, 0, curve.G2.fromRprLEM(slice(3 * G1, G2), 0));
  h.update(out2);
  h.update(b.subarray(POINTS, POINTS + 64));
  return h.digest('hex');
}
