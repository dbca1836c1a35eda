/**
 * Checks on a proof and its public signals that run before any pairing or chain call, so a
 * malformed or non-canonical receipt gets a precise error instead of a bare "false".
 * A signal s and s + r would verify the same off-chain (snarkjs reduces mod r), so non-canonical
 * values are refused outright rather than trusted to each verifier's own handling.
 */
import { ZkmlError } from '../errors';
import { BN254_Q, BN254_R } from '../formats/field';
import { Groth16Proof, Receipt } from '../formats/receipt';

/** 2^254 has 77 digits; anything longer cannot be below q or r. */
const CANONICAL_DECIMAL = /^(0|[1-9][0-9]{0,77})$/;

export type ProofAndSignals = Pick<Receipt, 'proof' | 'publicSignals'>;

/** The checks in order: proof shape, signal count, signal range. Throws the first failure. */
export function checkProofAndSignals(receipt: ProofAndSignals, nPublic: number): void {
  if (typeof receipt !== 'object' || receipt === null) throw new ZkmlError('RECEIPT_INVALID', 'the receipt is not an object');
  checkProofShape(receipt.proof);
  checkPublicSignals(receipt.publicSignals, nPublic);
}

/** A snarkjs Groth16 bn128 proof with affine coordinates in [0, q) and pi_a, pi_c on the curve. */
export function checkProofShape(proof: unknown): asserts proof is Groth16Proof {
  const fail = (why: string): never => {
    throw new ZkmlError('PROOF_MALFORMED', why);
  };
  if (typeof proof !== 'object' || proof === null) return fail('the proof is not an object');
  const p = proof as Record<string, unknown>;
  if (p.protocol !== 'groth16') fail(`proof protocol is ${JSON.stringify(p.protocol)}, expected "groth16"`);
  if (p.curve !== 'bn128') fail(`proof curve is ${JSON.stringify(p.curve)}, expected "bn128"`);

  const g1 = (name: string): void => {
    const v = p[name];
    if (!Array.isArray(v) || v.length !== 3) return fail(`${name} must be an array of 3 decimal strings`);
    const [x, y] = [coordinate(v[0], `${name}[0]`), coordinate(v[1], `${name}[1]`)];
    if (v[2] !== '1') fail(`${name}[2] must be "1" (affine point)`);
    if (mod(y * y - (x * x * x + 3n), BN254_Q) !== 0n) fail(`${name} is not a point on the BN254 curve`);
  };
  g1('pi_a');
  g1('pi_c');

  const b = p.pi_b;
  if (!Array.isArray(b) || b.length !== 3 || !b.every((e) => Array.isArray(e) && e.length === 2)) {
    return fail('pi_b must be an array of 3 pairs of decimal strings');
  }
  for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) coordinate(b[i][j], `pi_b[${i}][${j}]`);
  if (b[2][0] !== '1' || b[2][1] !== '0') fail('pi_b[2] must be ["1", "0"] (affine point)');
  // G2 curve and subgroup membership are left to snarkjs / the pairing precompile.

  function coordinate(v: unknown, where: string): bigint {
    if (typeof v !== 'string' || !CANONICAL_DECIMAL.test(v)) return fail(`${where} is not a canonical decimal integer`);
    const n = BigInt(v);
    if (n >= BN254_Q) fail(`${where} is not below the BN254 base field modulus`);
    return n;
  }
}

/** Exactly nPublic canonical decimal strings, each an integer in [0, r). */
export function checkPublicSignals(signals: unknown, nPublic: number): asserts signals is string[] {
  if (!Array.isArray(signals)) throw new ZkmlError('RECEIPT_INVALID', 'publicSignals is not an array');
  if (signals.length !== nPublic) {
    throw new ZkmlError('SIGNAL_COUNT_MISMATCH', `the receipt has ${signals.length} public signals, the circuit has ${nPublic}`);
  }
  signals.forEach((s, i) => {
    if (typeof s !== 'string' || !CANONICAL_DECIMAL.test(s)) {
      throw new ZkmlError('SIGNAL_NOT_IN_FIELD', `public signal ${i} is not a canonical decimal integer`);
    }
    if (BigInt(s) >= BN254_R) throw new ZkmlError('SIGNAL_NOT_IN_FIELD', `public signal ${i} is not below the BN254 scalar field modulus r`);
  });
}

/** nPublic of a snarkjs Groth16 bn128 verification key; throws if the key is not one. */
export function vkPublicCount(vk: unknown): number {
  const k = vk as { protocol?: unknown; curve?: unknown; nPublic?: unknown; IC?: unknown } | null;
  const ok = typeof k === 'object' && k !== null && k.protocol === 'groth16' && k.curve === 'bn128' && Number.isInteger(k.nPublic) && Array.isArray(k.IC) && k.IC.length === (k.nPublic as number) + 1;
  if (!ok) throw new ZkmlError('ARTIFACT_MISSING', 'the verification key is not a snarkjs Groth16 bn128 key');
  return k.nPublic as number;
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}
