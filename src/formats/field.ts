/**
 * The BN254 (alt_bn128) fields: every circuit, key, proof and EVM verifier here is over this curve.
 * Signed integers live in the scalar field as v mod r; values above r/2 read back as negative.
 */
/** BN254 scalar field modulus r: witness values and public signals are below it. */
export const BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
/** BN254 base field modulus q: the coordinates of curve points (proofs, keys) are below it. */
export const BN254_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

/** A signed integer as a canonical field element (decimal string in [0, r)). */
export function toField(v: bigint): string {
  return (((v % BN254_R) + BN254_R) % BN254_R).toString();
}

/** A canonical field element read as a signed integer (values above r/2 are negative). */
export function fromField(s: string): bigint {
  const v = BigInt(s);
  return v > BN254_R / 2n ? v - BN254_R : v;
}
