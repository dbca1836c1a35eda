/**
 * Phase-2 contributions and the random beacon of a Groth16 zkey, in snarkjs 0.7.6's format
 * (zkey_contribute.js, zkey_beacon.js): `snarkjs zkey verify` accepts the keys written here, and
 * snarkjs's own `zkey contribute` / `beacon` continue the chain on them (and we on theirs).
 *
 * One step with secret k: δ₁ ← k·δ₁, δ₂ ← k·δ₂ in the header; the L (section 8) and H (section 9)
 * points ← k⁻¹·P; sections 3–7 unchanged; a record appended to section 10 (δ₁ after, the proof of
 * knowledge g1_s, g1_sx = k·g1_s, g2_spx = k·hashToG2(transcript), the transcript = blake2b of the
 * circuit hash, every earlier record's public key, g1_s and g1_sx). A beacon is the same step with k
 * drawn from ChaCha seeded by sha256 iterated 2^exp times over the beacon hash.
 *
 * Why it is faster than calling snarkjs once per step: every record depends only on the header's δ
 * and the earlier records, never on L or H, so several steps (`zkml setup`'s contribution and beacon)
 * rescale L and H once, by the product of their inverse keys, on all the curve's threads. The points
 * are the same group elements as after the steps one by one, so the file is the same too.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { ZkmlError } from '../errors';
import { scanBinFile } from '../snark/bin-file';
import type { SnarkjsCurve } from '../snark/snarkjs';

// The very ChaCha snarkjs draws its keys with, so a beacon gives snarkjs's key.
const snarkjsRequire = createRequire(require.resolve('snarkjs'));
const { ChaCha } = snarkjsRequire('ffjavascript');

const ZKEY_SECTIONS = 10;
const G1 = 64;
const G2 = 128;
/** Offsets of δ₁ and δ₂ in section 2: n8q, q, n8r, r, nVars, nPublic, domainSize, α₁, β₁, β₂, γ₂. */
const DELTA1_AT = 4 + 32 + 4 + 32 + 12 + G1 + G1 + G2 + G2;
const DELTA2_AT = DELTA1_AT + G1;
const HEADER_BYTES = DELTA2_AT + G2;
/** Points per batchApplyKey call: bounded memory per thread task on big keys. */
const APPLY_CHUNK = 1 << 16;

export type Phase2Step =
  /** A contribution: the secret from 64 bytes of OS randomness and the optional text, hashed (snarkjs getRandomRng). */
  | { kind: 'contribution'; name: string; entropy?: string }
  /** The beacon: the secret from public randomness, so anyone can recompute it (snarkjs rngFromBeaconParams). */
  | { kind: 'beacon'; name: string; beaconHash: Uint8Array; iterationsExp: number };

export interface Phase2Result {
  /** snarkjs's contribution hash of each step (what `zkey contribute` prints), in order. */
  hashes: Uint8Array[];
  /** blake2b-512 circuit hash of the key. */
  csHash: Uint8Array;
}

/**
 * Applies `steps` to the zkey inFile and writes the result to outFile (replaced). The curve is
 * ffjavascript's bn128, whose worker threads rescale the points.
 */
export async function contributePhase2(curve: SnarkjsCurve, inFile: string, outFile: string, steps: Phase2Step[]): Promise<Phase2Result> {
  if (steps.length === 0) throw new ZkmlError('SETUP_FAILED', 'no phase-2 step to apply');
  const fail = (why: string): never => {
    throw new ZkmlError('SETUP_FAILED', `${inFile}: ${why}`);
  };
  const bin = scanBinFile(inFile, 'zkey', 'SETUP_FAILED');
  const data = fs.readFileSync(inFile);
  const section = (id: number): Buffer => {
    const s = bin.sections.get(id) ?? fail(`missing section ${id}`);
    return data.subarray(s.offset, s.offset + s.size);
  };
  if (section(1).length !== 4 || section(1).readUInt32LE(0) !== 1) fail('not a Groth16 zkey');
  const header = Buffer.from(section(2));
  if (header.length !== HEADER_BYTES) fail('unexpected Groth16 header size');
  const mpc = section(ZKEY_SECTIONS);
  if (mpc.length < 68) fail('contribution section is truncated');
  const csHash = new Uint8Array(mpc.subarray(0, 64));
  const nBefore = mpc.readUInt32LE(64);

  const { Fr } = curve;
  let delta1 = curve.G1.fromRprLEM(new Uint8Array(header.subarray(DELTA1_AT, DELTA1_AT + G1)), 0);
  let delta2 = curve.G2.fromRprLEM(new Uint8Array(header.subarray(DELTA2_AT, DELTA2_AT + G2)), 0);
  // The transcript of a step hashes the circuit hash and the public key of every earlier record.
  const pubKeys: Uint8Array[] = readRecordPubKeys(curve, mpc.subarray(68), nBefore, fail);
  const records: Buffer[] = [];
  const hashes: Uint8Array[] = [];
  let keyProduct = Fr.one;
  for (const step of steps) {
    const rng = step.kind === 'beacon' ? beaconRng(step.beaconHash, step.iterationsExp) : randomRng(step.entropy);
    const prvKey = Fr.fromRng(rng);
    const g1s = curve.G1.toAffine(curve.G1.fromRng(rng));
    const g1sx = curve.G1.toAffine(curve.G1.timesFr(g1s, prvKey));
    const transcriptHasher = crypto.createHash('blake2b512');
    transcriptHasher.update(csHash);
    for (const pk of pubKeys) transcriptHasher.update(pk);
    transcriptHasher.update(uncompressed(curve, 'G1', g1s));
    transcriptHasher.update(uncompressed(curve, 'G1', g1sx));
    const transcript = new Uint8Array(transcriptHasher.digest());
    const g2spx = curve.G2.toAffine(curve.G2.timesFr(hashToG2(curve, transcript), prvKey));
    delta1 = curve.G1.timesFr(delta1, prvKey);
    delta2 = curve.G2.timesFr(delta2, prvKey);
    keyProduct = Fr.mul(keyProduct, prvKey);

    const pubKey = Buffer.concat([uncompressed(curve, 'G1', delta1), uncompressed(curve, 'G1', g1s), uncompressed(curve, 'G1', g1sx), uncompressed(curve, 'G2', g2spx), transcript]);
    pubKeys.push(pubKey);
    hashes.push(new Uint8Array(crypto.createHash('blake2b512').update(pubKey).digest()));
    records.push(Buffer.concat([lem(curve, 'G1', delta1), lem(curve, 'G1', g1s), lem(curve, 'G1', g1sx), lem(curve, 'G2', g2spx), transcript, recordParams(step)]));
  }
  lem(curve, 'G1', delta1).copy(header, DELTA1_AT);
  lem(curve, 'G2', delta2).copy(header, DELTA2_AT);

  const invKey = Fr.inv(keyProduct);
  const l = await applyKey(curve, section(8), invKey);
  const h = await applyKey(curve, section(9), invKey);
  const count = Buffer.alloc(4);
  count.writeUInt32LE(nBefore + steps.length);
  const newMpc = Buffer.concat([mpc.subarray(0, 64), count, mpc.subarray(68), ...records]);

  // snarkjs writes sections 1..10 in order, whatever the order of its input.
  const parts: Uint8Array[] = [fileHeader()];
  const contents: Record<number, Uint8Array> = { 1: section(1), 2: header, 3: section(3), 4: section(4), 5: section(5), 6: section(6), 7: section(7), 8: l, 9: h, 10: newMpc };
  for (let id = 1; id <= ZKEY_SECTIONS; id++) {
    const sh = Buffer.alloc(12);
    sh.writeUInt32LE(id, 0);
    sh.writeBigUInt64LE(BigInt(contents[id].byteLength), 4);
    parts.push(sh, contents[id]);
  }
  fs.writeFileSync(outFile, Buffer.concat(parts));
  return { hashes, csHash };
}

/** The uncompressed public key (δ₁ after, g1_s, g1_sx, g2_spx, transcript) of each record of section 10, as snarkjs hashes it. */
function readRecordPubKeys(curve: SnarkjsCurve, records: Buffer, n: number, fail: (why: string) => never): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pos = 0;
  for (let i = 0; i < n; i++) {
    if (pos + 3 * G1 + G2 + 64 + 8 > records.length) fail(`contribution ${i + 1} is truncated`);
    const at = (from: number, len: number): Uint8Array => new Uint8Array(records.subarray(pos + from, pos + from + len));
    const g1 = (k: number): Buffer => uncompressed(curve, 'G1', curve.G1.fromRprLEM(at(k * G1, G1), 0));
    out.push(Buffer.concat([g1(0), g1(1), g1(2), uncompressed(curve, 'G2', curve.G2.fromRprLEM(at(3 * G1, G2), 0)), at(3 * G1 + G2, 64)]));
    pos += 3 * G1 + G2 + 64 + 4;
    pos += 4 + records.readUInt32LE(pos);
  }
  if (pos !== records.length) fail('trailing bytes after the last contribution');
  return out;
}

/** type u32, params length u32, params: 1 name (≤ 64 characters), for a beacon 2 iterations exponent and 3 hash (snarkjs writeContribution). */
function recordParams(step: Phase2Step): Buffer {
  const params: number[] = [];
  if (step.name) {
    const name = new TextEncoder().encode(step.name.substring(0, 64));
    params.push(1, name.byteLength, ...name);
  }
  if (step.kind === 'beacon') params.push(2, step.iterationsExp, 3, step.beaconHash.byteLength, ...step.beaconHash);
  const out = Buffer.alloc(8);
  out.writeUInt32LE(step.kind === 'beacon' ? 1 : 0, 0);
  out.writeUInt32LE(params.length, 4);
  return Buffer.concat([out, Uint8Array.from(params)]);
}

/** k·P for every affine point of a section (LE Montgomery), on the curve's threads. */
async function applyKey(curve: SnarkjsCurve, points: Uint8Array, k: Uint8Array): Promise<Uint8Array> {
  const out = new Uint8Array(points.byteLength);
  const chunk = APPLY_CHUNK * G1;
  // A chunk per call keeps each thread's memory bounded; the calls share the threads.
  await Promise.all(
    Array.from({ length: Math.ceil(points.byteLength / chunk) }, async (_, i) => {
      const from = i * chunk;
      out.set(await curve.G1.batchApplyKey(points.slice(from, from + chunk), k, curve.Fr.one), from);
    }),
  );
  return out;
}

function fileHeader(): Buffer {
  const b = Buffer.alloc(12);
  b.write('zkey', 0, 'latin1');
  b.writeUInt32LE(1, 4);
  b.writeUInt32LE(ZKEY_SECTIONS, 8);
  return b;
}

function lem(curve: SnarkjsCurve, group: 'G1' | 'G2', p: unknown): Buffer {
  const b = Buffer.alloc(group === 'G1' ? G1 : G2);
  curve[group].toRprLEM(b, 0, p);
  return b;
}

function uncompressed(curve: SnarkjsCurve, group: 'G1' | 'G2', p: unknown): Buffer {
  const b = Buffer.alloc(group === 'G1' ? G1 : G2);
  curve[group].toRprUncompressed(b, 0, p);
  return b;
}

/** ChaCha seeded by the first 32 bytes of `hash` read as big-endian u32 words (snarkjs's seeding). */
function chachaFrom(hash: Uint8Array): unknown {
  const v = new DataView(hash.buffer, hash.byteOffset, hash.byteLength);
  return new ChaCha(Array.from({ length: 8 }, (_, i) => v.getUint32(4 * i, false)));
}

/** snarkjs getRandomRng: blake2b-512 of 64 random bytes and the UTF-8 entropy text. */
function randomRng(entropy = ''): unknown {
  return chachaFrom(crypto.createHash('blake2b512').update(crypto.randomBytes(64)).update(Buffer.from(entropy, 'utf8')).digest());
}

/** snarkjs rngFromBeaconParams: sha256 applied 2^iterationsExp times to the beacon hash. */
function beaconRng(beaconHash: Uint8Array, iterationsExp: number): unknown {
  if (!Number.isInteger(iterationsExp) || iterationsExp < 10 || iterationsExp > 63) throw new ZkmlError('OPTION_INVALID', `beacon iterations exponent must be in 10..63, got ${iterationsExp}`);
  if (beaconHash.byteLength === 0 || beaconHash.byteLength > 255) throw new ZkmlError('OPTION_INVALID', 'the beacon hash must be 1..255 bytes');
  let cur: Uint8Array = beaconHash;
  for (let i = 0n; i < 1n << BigInt(iterationsExp); i++) cur = crypto.createHash('sha256').update(cur).digest();
  return chachaFrom(cur);
}

/** snarkjs keypair.hashToG2: a G2 point drawn from ChaCha seeded by the transcript. */
function hashToG2(curve: SnarkjsCurve, transcript: Uint8Array): unknown {
  return curve.G2.fromRng(chachaFrom(transcript));
}
