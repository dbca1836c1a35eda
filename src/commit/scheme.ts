/**
 * The commitment scheme zkml-poseidon-chain/1, off-circuit (circuits/commit.circom is the same
 * computation in the circuit; docs/commitments.md describes it):
 *   1. pack: elements known to lie in [lo, lo + 2^w) become words of `per = floor(252 / w)`
 *      elements, word = sum_k (e_k - lo) * 2^(w k) — injective on that range, below the field modulus;
 *   2. chain: h = salt; for each block of up to 15 words, h = Poseidon([h, ...block]); the
 *      commitment is h. Poseidon is circomlib's (circomlibjs here), arity 1 + |block| <= 16.
 */
import { ZkmlError } from '../errors';
import { BN254_R } from '../formats/field';

/** Named in receipts and `zkml commit` output. */
export const COMMITMENT_SCHEME = 'zkml-poseidon-chain/1';

/** Bits a word may use: 2^252 < r, so a packed word never wraps the field. */
export const WORD_BITS = 252;
/** Words absorbed per Poseidon call: circomlib's Poseidon takes at most 16 inputs, one is the chain value. */
export const BLOCK_WORDS = 15;

/** How one tensor (all its elements, over every batch item) is packed. */
export interface PackSpec {
  name: string;
  size: number;
  /** Every element lies in [lo, lo + 2^width). */
  lo: bigint;
  width: number;
}

export const elementsPerWord = (width: number): number => Math.floor(WORD_BITS / width);
export const packedWords = (spec: PackSpec): number => Math.ceil(spec.size / elementsPerWord(spec.width));

/** Packs one tensor; an element outside its range is refused (the packing would not be injective). */
export function packWords(values: readonly bigint[], spec: PackSpec): bigint[] {
  if (values.length !== spec.size) throw new ZkmlError('OPENING_INVALID', `'${spec.name}' has ${values.length} elements, the circuit commits to ${spec.size}`);
  const per = elementsPerWord(spec.width);
  const span = 1n << BigInt(spec.width);
  const words: bigint[] = [];
  for (let j = 0; j < values.length; j += per) {
    let word = 0n;
    for (let k = Math.min(per, values.length - j) - 1; k >= 0; k--) {
      const u = values[j + k] - spec.lo;
      if (u < 0n || u >= span) {
        throw new ZkmlError('OPENING_INVALID', `'${spec.name}'[${j + k}] = ${values[j + k]} is outside the committed range [${spec.lo}, ${spec.lo + span - 1n}]`);
      }
      word = (word << BigInt(spec.width)) | u;
    }
    words.push(word);
  }
  return words;
}

type PoseidonFn = ((inputs: bigint[]) => unknown) & { F: { toObject(e: unknown): bigint } };
let poseidonPromise: Promise<PoseidonFn> | undefined;

/** circomlibjs's Poseidon, built once (single-threaded curve, no worker threads). */
function poseidon(): Promise<PoseidonFn> {
  poseidonPromise ??= loadCircomlibjs().buildPoseidon();
  return poseidonPromise;
}

/**
 * circomlibjs brings its own copy of ffjavascript, which sets globalThis.curve_bn128 to null when it
 * loads: a multi-threaded curve snarkjs was using (a held one, or a prover's) would be orphaned, its
 * threads left running, and the next snarkjs call would build another. Keep it across the load.
 */
function loadCircomlibjs(): { buildPoseidon(): Promise<PoseidonFn> } {
  const g = globalThis as { curve_bn128?: unknown };
  const curve = g.curve_bn128;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const lib = require('circomlibjs') as { buildPoseidon(): Promise<PoseidonFn> };
  if (curve && !g.curve_bn128) g.curve_bn128 = curve;
  return lib;
}

/** Poseidon over field elements, as circomlib's Poseidon(n) template computes it. */
export async function poseidonHash(inputs: readonly bigint[]): Promise<bigint> {
  const p = await poseidon();
  return p.F.toObject(p(inputs.slice()));
}

/** The chain over words, starting from the salt. */
export async function poseidonChain(salt: bigint, words: readonly bigint[]): Promise<bigint> {
  if (words.length === 0) throw new ZkmlError('INTERNAL', 'a commitment needs at least one word');
  checkSalt(salt);
  let h = salt;
  for (let b = 0; b < words.length; b += BLOCK_WORDS) h = await poseidonHash([h, ...words.slice(b, b + BLOCK_WORDS)]);
  return h;
}

/** The commitment to tensors packed one after another, in order. */
export async function commitTensors(salt: bigint, tensors: ReadonlyArray<{ spec: PackSpec; values: readonly bigint[] }>): Promise<bigint> {
  return poseidonChain(
    salt,
    tensors.flatMap((t) => packWords(t.values, t.spec)),
  );
}

export function checkSalt(salt: bigint): void {
  if (salt < 0n || salt >= BN254_R) throw new ZkmlError('OPENING_INVALID', 'a salt must be a field element in [0, r)');
}

/** N_ROUNDS_P of circomlib's Poseidon, by t - 2. */
const ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];

/** Constraints of circomlib Poseidon(nInputs) after --O2: 3 per S-box, minus 3 (the last round keeps one output). */
export function poseidonConstraints(nInputs: number): number {
  const t = nInputs + 1;
  return 3 * (8 * t + ROUNDS_P[t - 2]) - 3;
}

/** Constraints of PoseidonChain(nWords). */
export function chainConstraints(nWords: number): number {
  const full = Math.floor((nWords - 1) / BLOCK_WORDS);
  return full * poseidonConstraints(16) + poseidonConstraints(1 + nWords - BLOCK_WORDS * full);
}
