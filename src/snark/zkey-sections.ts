/**
 * The sections of a Groth16 zkey (snarkjs's format) that proving needs, read once from the file's
 * bytes. Reading only: the views share the bytes given, nothing is copied or converted.
 *
 * Sections (snarkjs zkey_utils): 1 header (protocol; 1 = groth16), 2 Groth16 header (n8q, q, n8r, r,
 * nVars, nPublic, domainSize, then alpha1, beta1, beta2, gamma2, delta1, delta2 in LE Montgomery form),
 * 3 IC, 4 coefficients (u32 count, then records of m, c, s as u32 and the value as n8r bytes, value =
 * coef·R² mod r in standard form), 5 A, 6 B1 (G1), 7 B2 (G2), 8 C (L, for the private signals), 9 H.
 * Points are affine in LE Montgomery form, as `multiExpAffine` takes them.
 */
import { ErrorCode, ZkmlError } from '../errors';
import { BN254_Q, BN254_R } from '../formats/field';
import { readBigLE } from './bin-file';

export interface ZkeyVk {
  alpha1: Uint8Array;
  beta1: Uint8Array;
  beta2: Uint8Array;
  gamma2: Uint8Array;
  delta1: Uint8Array;
  delta2: Uint8Array;
}

export interface Groth16ZkeySections {
  nVars: number;
  /** Public signals, not counting the constant 1. */
  nPublic: number;
  domainSize: number;
  /** log2(domainSize). */
  power: number;
  /** The verification-key points of the header, LE Montgomery (G1: 64 bytes, G2: 128 bytes). */
  vk: ZkeyVk;
  nCoefs: number;
  /** Section 4 without its count: nCoefs records of 12 + 32 bytes. */
  coefs: Uint8Array;
  pointsA: Uint8Array;
  pointsB1: Uint8Array;
  pointsB2: Uint8Array;
  pointsC: Uint8Array;
  pointsH: Uint8Array;
}

export const COEF_RECORD_BYTES = 12 + 32;
const G1_BYTES = 64;
const G2_BYTES = 128;

/** Parses the section table and the sections proving needs; any inconsistency is `code`. */
export function readZkeySections(bytes: Uint8Array, code: ErrorCode = 'PROVE_FAILED'): Groth16ZkeySections {
  const fail = (why: string): never => {
    throw new ZkmlError(code, `zkey: ${why}`);
  };
  // A plain Uint8Array view even when given a Buffer: ffjavascript slices the point sections per
  // thread, and Buffer#slice is a view whose posting to a thread would copy the whole file.
  bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12) fail('file is truncated (no header)');
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== 'zkey') fail('not a .zkey file (wrong magic)');
  const nSections = view.getUint32(8, true);
  if (nSections > 64) fail(`implausible section count ${nSections}`);
  const sections = new Map<number, Uint8Array>();
  let pos = 12;
  for (let i = 0; i < nSections; i++) {
    if (pos + 12 > bytes.byteLength) fail('file is truncated (section table)');
    const type = view.getUint32(pos, true);
    const size = Number(view.getBigUint64(pos + 4, true));
    const start = pos + 12;
    if (start + size > bytes.byteLength) fail(`file is truncated (section ${type} runs past the end)`);
    if (sections.has(type)) fail(`section ${type} appears twice`);
    sections.set(type, bytes.subarray(start, start + size));
    pos = start + size;
  }
  const section = (type: number, size?: number): Uint8Array => {
    const s = sections.get(type) ?? fail(`section ${type} is missing`);
    if (size !== undefined && s.byteLength !== size) fail(`section ${type} has ${s.byteLength} bytes, expected ${size}`);
    return s;
  };

  const header = section(1, 4);
  if (u32(header, 0) !== 1) fail('not a Groth16 key');

  const g = section(2);
  if (g.byteLength < 4 + 32 + 4 + 32 + 12 + 3 * G1_BYTES + 3 * G2_BYTES) fail('Groth16 header is truncated');
  if (u32(g, 0) !== 32 || readBigLE(g, 4, 32) !== BN254_Q || u32(g, 36) !== 32 || readBigLE(g, 40, 32) !== BN254_R) fail('not a BN254 key');
  let p = 72;
  const nVars = u32(g, p);
  const nPublic = u32(g, p + 4);
  const domainSize = u32(g, p + 8);
  p += 12;
  const power = Math.log2(domainSize);
  if (!Number.isInteger(power) || power > 28) fail(`domain size ${domainSize} is not a power of two ≤ 2^28`);
  if (nPublic + 1 > nVars) fail(`${nPublic} public signals for ${nVars} variables`);
  const point = (n: number): Uint8Array => {
    const v = g.subarray(p, p + n);
    p += n;
    return v;
  };
  const vk: ZkeyVk = { alpha1: point(G1_BYTES), beta1: point(G1_BYTES), beta2: point(G2_BYTES), gamma2: point(G2_BYTES), delta1: point(G1_BYTES), delta2: point(G2_BYTES) };

  const coefSection = section(4);
  if (coefSection.byteLength < 4) fail('coefficient section is truncated');
  const nCoefs = u32(coefSection, 0);
  if (coefSection.byteLength !== 4 + nCoefs * COEF_RECORD_BYTES) fail(`coefficient section has ${coefSection.byteLength} bytes for ${nCoefs} coefficients`);
  const coefs = coefSection.subarray(4);
  checkCoefs(coefs, nCoefs, domainSize, nVars, fail);

  return {
    nVars,
    nPublic,
    domainSize,
    power,
    vk,
    nCoefs,
    coefs,
    pointsA: section(5, nVars * G1_BYTES),
    pointsB1: section(6, nVars * G1_BYTES),
    pointsB2: section(7, nVars * G2_BYTES),
    pointsC: section(8, (nVars - nPublic - 1) * G1_BYTES),
    pointsH: section(9, domainSize * G1_BYTES),
  };
}

/** Every record names matrix A or B, a row inside the domain and an existing variable: the WebAssembly loop trusts them. */
function checkCoefs(coefs: Uint8Array, nCoefs: number, domainSize: number, nVars: number, fail: (why: string) => never): void {
  const v = new DataView(coefs.buffer, coefs.byteOffset, coefs.byteLength);
  for (let i = 0; i < nCoefs; i++) {
    const at = i * COEF_RECORD_BYTES;
    const m = v.getUint32(at, true);
    const c = v.getUint32(at + 4, true);
    const s = v.getUint32(at + 8, true);
    if (m > 1 || c >= domainSize || s >= nVars) fail(`coefficient ${i} (matrix ${m}, row ${c}, signal ${s}) is out of range`);
  }
}

function u32(b: Uint8Array, at: number): number {
  return new DataView(b.buffer, b.byteOffset + at, 4).getUint32(0, true);
}
