// The contribution record (section 7) of a single-contributor ptau, built exactly as
// snarkjs's `powersoftau contribute` builds it (snarkjs/src/powersoftau_contribute.js,
// keypair.js), so that `snarkjs powersoftau verify` accepts the file:
//   challenge     = hash of the initial accumulator (all points are generators)
//   pubKey        = proofs of knowledge of τ, α, β bound to the challenge
//   responseHash  = blake2b(challenge ‖ compressed points of sections 2..6 ‖ pubKey)
//   nextChallenge = blake2b(responseHash ‖ uncompressed points of sections 2..6)
// All hashes are unkeyed blake2b with 64-byte output (Node's "blake2b512").
import * as crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { G1_LEM_BYTES, G2_LEM_BYTES } from './ptau-format';
import { frFromRandomBytes } from './ptau-scalars';

// snarkjs stores the response hasher's *internal* state (the 216-byte "partialHash", in
// @noble/hashes's layout) and derives G2 points with ffjavascript's ChaCha, so we load
// the very copies snarkjs itself loads.
const snarkjsRequire = createRequire(require.resolve('snarkjs'));
const { blake2b } = snarkjsRequire('@noble/hashes/blake2b');
const { ChaCha } = snarkjsRequire('ffjavascript');

/** A snarkjs (ffjavascript) curve object; snarkjs ships no types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SnarkjsCurve = any;

export interface PtauSecrets {
  tau: bigint;
  alpha: bigint;
  beta: bigint;
}

export interface PubKeyResult {
  pubKeyLEM: Uint8Array;
  partialHash: Uint8Array;
  responseHash: Uint8Array;
}

/** snarkjs powersoftau_utils.js calculateFirstChallengeHash. */
export function firstChallengeHash(curve: SnarkjsCurve, power: number): Uint8Array {
  const g1 = new Uint8Array(G1_LEM_BYTES);
  const g2 = new Uint8Array(G2_LEM_BYTES);
  curve.G1.toRprUncompressed(g1, 0, curve.G1.g);
  curve.G2.toRprUncompressed(g2, 0, curve.G2.g);
  const n = 2 ** power;
  const h = crypto.createHash('blake2b512');
  h.update(crypto.createHash('blake2b512').digest()); // the "previous response": nothing
  updateRepeated(h, g1, 2 * n - 1);
  updateRepeated(h, g2, n);
  updateRepeated(h, g1, n);
  updateRepeated(h, g1, n);
  h.update(g2);
  return new Uint8Array(h.digest());
}

function updateRepeated(h: crypto.Hash, point: Uint8Array, count: number): void {
  const perBlock = 4096;
  const block = new Uint8Array(perBlock * point.byteLength);
  for (let i = 0; i < perBlock; i++) block.set(point, i * point.byteLength);
  for (let left = count; left > 0; left -= perBlock) {
    h.update(left >= perBlock ? block : block.subarray(0, left * point.byteLength));
  }
}

/** Accumulates the response hash while the points of sections 2..6 are written. */
export class ResponseHasher {
  private readonly hasher = blake2b.create({ dkLen: 64 });

  constructor(
    private readonly curve: SnarkjsCurve,
    readonly challenge: Uint8Array,
  ) {
    this.hasher.update(challenge);
  }

  async addPoints(group: 'G1' | 'G2', lem: Uint8Array): Promise<void> {
    this.hasher.update(await this.curve[group].batchLEMtoC(lem));
  }

  /**
   * Creates the public key (snarkjs keypair.js createPTauKey, with our own secrets) and
   * finishes the response hash with it. Call after all points of sections 2..6.
   */
  finish(secrets: PtauSecrets): PubKeyResult {
    const { curve } = this;
    const keys = [proofOfKnowledge(curve, secrets.tau, 0, this.challenge), proofOfKnowledge(curve, secrets.alpha, 1, this.challenge), proofOfKnowledge(curve, secrets.beta, 2, this.challenge)];
    const encode = (montgomery: boolean): Uint8Array => {
      const out = new Uint8Array(6 * G1_LEM_BYTES + 3 * G2_LEM_BYTES);
      let at = 0;
      const put = (G: SnarkjsCurve, p: Uint8Array, size: number) => {
        if (montgomery) G.toRprLEM(out, at, p);
        else G.toRprUncompressed(out, at, p);
        at += size;
      };
      for (const k of keys) {
        put(curve.G1, k.g1_s, G1_LEM_BYTES);
        put(curve.G1, k.g1_sx, G1_LEM_BYTES);
      }
      for (const k of keys) put(curve.G2, k.g2_spx, G2_LEM_BYTES);
      return out;
    };
    const partialHash = toPartialHash(this.hasher);
    this.hasher.update(encode(false));
    return { pubKeyLEM: encode(true), partialHash, responseHash: this.hasher.digest() };
  }
}

/**
 * Key for one secret x (snarkjs keypair.js calculatePubKey): a random G1 point s, s·x,
 * and x times a G2 point derived from the challenge and both G1 points, so the verifier
 * can check e(s, sp·x) = e(s·x, sp) without learning x.
 */
function proofOfKnowledge(curve: SnarkjsCurve, x: bigint, personalization: number, challenge: Uint8Array) {
  let s = 0n;
  while (s === 0n) s = frFromRandomBytes(crypto.randomBytes(64));
  const sFr: Uint8Array = curve.Fr.e(s);
  const xFr: Uint8Array = curve.Fr.e(x);
  try {
    const g1_s: Uint8Array = curve.G1.toAffine(curve.G1.timesFr(curve.G1.g, sFr));
    const g1_sx: Uint8Array = curve.G1.toAffine(curve.G1.timesFr(g1_s, xFr));
    const h = crypto.createHash('blake2b512');
    h.update(new Uint8Array([personalization]));
    h.update(challenge);
    h.update(curve.G1.toUncompressed(g1_s));
    h.update(curve.G1.toUncompressed(g1_sx));
    const g2_sp = hashToG2(curve, new Uint8Array(h.digest()));
    const g2_spx: Uint8Array = curve.G2.toAffine(curve.G2.timesFr(g2_sp, xFr));
    return { g1_s, g1_sx, g2_spx };
  } finally {
    sFr.fill(0);
    xFr.fill(0);
  }
}

/** snarkjs keypair.js hashToG2: a ChaCha stream seeded with the hash's first 8 big-endian words. */
function hashToG2(curve: SnarkjsCurve, hash: Uint8Array): Uint8Array {
  const dv = new DataView(hash.buffer, hash.byteOffset, hash.byteLength);
  const seed = Array.from({ length: 8 }, (_, i) => dv.getUint32(i * 4));
  return curve.G2.fromRng(new ChaCha(seed));
}

/** snarkjs misc.js toPartialHash: the noble blake2b state (buffer, h as 32-bit halves, counters). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function toPartialHash(h: any): Uint8Array {
  const out = new Uint8Array(216);
  const words = new Uint32Array(out.buffer, 128, 22);
  out.set(h.buffer);
  const state = [h.v0l, h.v0h, h.v1l, h.v1h, h.v2l, h.v2h, h.v3l, h.v3h, h.v4l, h.v4h, h.v5l, h.v5h, h.v6l, h.v6h, h.v7l, h.v7h];
  state.forEach((v, i) => {
    words[i] = v;
  });
  words[18] = h.pos;
  words[16] = h.length - h.pos;
  return out;
}

/** blake2b(responseHash ‖ uncompressed points); feed the LEM points of sections 2..6 in order. */
export class NextChallengeHasher {
  private readonly hasher = crypto.createHash('blake2b512');

  constructor(
    private readonly curve: SnarkjsCurve,
    responseHash: Uint8Array,
  ) {
    this.hasher.update(responseHash);
  }

  async addPoints(group: 'G1' | 'G2', lem: Uint8Array): Promise<void> {
    this.hasher.update(await this.curve[group].batchLEMtoU(lem));
  }

  digest(): Uint8Array {
    return new Uint8Array(this.hasher.digest());
  }
}
