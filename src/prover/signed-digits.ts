/**
 * Signed-digit (balanced) recoding of scalars for Pippenger windows: s = Σ dⱼ·2^(c·j) with every
 * dⱼ in [−2^(c−1), 2^(c−1) − 1]. A window's digit is its c bits plus the carry of the window below;
 * from 2^(c−1) up it is taken as d − 2^c and carries 1 into the next window. A window then needs
 * 2^(c−1) buckets (|d|), as −P is free in affine form.
 */
import { ZkmlError } from '../errors';
import { BN254_R as R } from '../formats/field';

const N8 = 32;
/** int16 digits (src/snark/batch-affine-wasm.ts's signed window): |d| ≤ 2^15. */
export const MAX_SIGNED_WINDOW_BITS = 16;

/**
 * Windows of c bits that hold every scalar below r: the top window's digit (at most (r − 1) >> its
 * start bit, plus a carry) stays below 2^(c−1), so it never carries out. Usually ⌈254/c⌉; one more
 * where r's top bits reach the top window's half range (c ≤ 3).
 */
export function signedWindowCount(c: number): number {
  if (!Number.isInteger(c) || c < 2 || c > MAX_SIGNED_WINDOW_BITS) throw new RangeError(`signed windows of ${c} bits: 2 to ${MAX_SIGNED_WINDOW_BITS}`);
  let windows = 1;
  while (((R - 1n) >> BigInt(c * (windows - 1))) + 1n >= 1n << BigInt(c - 1)) windows++;
  return windows;
}

/**
 * The signed c-bit digits of scalars[from, from + count) (32 bytes LE, standard form, each below r)
 * as int16 LE, window-major: digit j of scalar i at j·count + i.
 */
export function signedDigits(scalars: Uint8Array, from: number, count: number, c: number, windows: number): Uint8Array {
  const aligned = scalars.byteOffset % 4 === 0 ? scalars : scalars.slice(from * N8, (from + count) * N8);
  const first = aligned === scalars ? from : 0;
  const words = new Uint32Array(aligned.buffer, aligned.byteOffset + first * N8, count * 8);
  const out = new Int16Array(count * windows);
  const mask = (1 << c) - 1;
  const half = 1 << (c - 1);
  const full = 1 << c;
  /** Bits [bit, bit + c) of the scalar at word offset base (bits from 256 up read as zero). */
  const bitsAt = (base: number, bit: number): number => {
    const word = bit >>> 5;
    if (word > 7) return 0;
    const sh = bit & 31;
    const lo = words[base + word] >>> sh;
    const hi = sh + c > 32 && word < 7 ? words[base + word + 1] << (32 - sh) : 0;
    return (lo | hi) & mask;
  };
  for (let i = 0; i < count; i++) {
    const base = i * 8;
    let carry = 0;
    for (let j = 0; j < windows; j++) {
      let d = bitsAt(base, j * c) + carry;
      carry = d >= half ? 1 : 0;
      if (carry) d -= full;
      out[j * count + i] = d;
    }
    // A scalar at or above r would need bits above the top window: refused, not silently cut.
    let rest = carry;
    for (let bit = windows * c; bit < 8 * N8 && rest === 0; bit += c) rest = bitsAt(base, bit);
    if (rest !== 0) throw new ZkmlError('PROVE_FAILED', `scalar ${from + i} of a multi-exponentiation does not fit ${windows} signed windows of ${c} bits (not below r)`);
  }
  // Int16Array is little-endian on every platform Node runs WebAssembly on.
  return new Uint8Array(out.buffer);
}
