// The scalars behind every point of a prepared ptau, computed directly in the BN254
// scalar field Fr from the secrets τ, α, β. Knowing τ lets us skip snarkjs's group
// FFTs: each Lagrange-basis point is just L_i(τ)·G.
import { BN254_R } from '../formats/field';

const R = BN254_R;
const mul = (a: bigint, b: bigint): bigint => (a * b) % R;
const sub = (a: bigint, b: bigint): bigint => (a >= b ? a - b : a - b + R);

export function frPow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = base % R;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = mul(result, b);
    b = mul(b, b);
  }
  return result;
}

export function frInv(a: bigint): bigint {
  if (a % R === 0n) throw new RangeError('inverse of zero');
  return frPow(a, R - 2n);
}

/** Uniform element of Fr from 64 random bytes (the mod-r bias is ~2^-258); wipes `bytes`. */
export function frFromRandomBytes(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  bytes.fill(0);
  return v % R;
}

/** factor·x^i for i in [start, start+count). */
export function geometric(factor: bigint, x: bigint, start: number, count: number): bigint[] {
  const out = new Array<bigint>(count);
  let v = mul(factor, frPow(x, BigInt(start)));
  for (let i = 0; i < count; i++) {
    out[i] = v;
    v = mul(v, x);
  }
  return out;
}

/**
 * factor·L_i(τ) for the 2^p-point domain of roots of unity ω^i, in the index order of
 * snarkjs's inverse FFT: L_i(τ) = (1/N)·Σ_j τ^j ω^(-ij) = (τ^N − 1)/N · ω^i/(τ − ω^i).
 *
 * `dropLastPower` reproduces snarkjs's extra N = 2^(power+1) block of section 12, which is
 * the inverse FFT of [τ^0 … τ^(N−2), 0] (section 2 holds only N−1 powers): it subtracts
 * the missing term, (1/N)·τ^(N−1)·ω^i.
 */
export class LagrangeDomain {
  private readonly scale: bigint; // factor·(τ^N − 1)/N
  private readonly dropped: bigint; // factor·τ^(N−1)/N, or 0
  private readonly size: bigint;

  constructor(
    private readonly tau: bigint,
    private readonly omega: bigint,
    p: number,
    factor: bigint,
    dropLastPower: boolean,
  ) {
    const n = 1n << BigInt(p);
    this.size = n;
    const nInv = frInv(n);
    this.scale = mul(mul(factor, sub(frPow(tau, n), 1n)), nInv);
    this.dropped = dropLastPower ? mul(mul(factor, frPow(tau, n - 1n)), nInv) : 0n;
  }

  /** factor·L_i(τ) for i in [start, start+count). */
  values(start: number, count: number): bigint[] {
    const { tau } = this;
    const w = new Array<bigint>(count);
    const den = new Array<bigint>(count);
    let wi = frPow(this.omega, BigInt(start) % this.size);
    for (let i = 0; i < count; i++) {
      w[i] = wi;
      den[i] = sub(tau, wi);
      wi = mul(wi, this.omega);
    }
    const inv = batchInverse(den);
    return w.map((wi, i) => mul(wi, sub(mul(this.scale, inv[i]), this.dropped)));
  }
}

/** Montgomery's trick: n inverses for one inversion and 3n multiplications. */
export function batchInverse(values: bigint[]): bigint[] {
  const prefix = new Array<bigint>(values.length);
  let acc = 1n;
  for (let i = 0; i < values.length; i++) {
    prefix[i] = acc;
    acc = mul(acc, values[i]);
  }
  let inv = frInv(acc);
  const out = new Array<bigint>(values.length);
  for (let i = values.length - 1; i >= 0; i--) {
    out[i] = mul(inv, prefix[i]);
    inv = mul(inv, values[i]);
  }
  return out;
}

/** 32-byte little-endian (standard, non-Montgomery) encoding, as the fixed-base workers expect. */
export function toScalarBytes(values: bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 32);
  const dv = new DataView(out.buffer);
  const mask = (1n << 64n) - 1n;
  values.forEach((v, i) => {
    for (let k = 0; k < 4; k++) {
      dv.setBigUint64(i * 32 + k * 8, v & mask, true);
      v >>= 64n;
    }
  });
  return out;
}
