/** Power-of-two scale choice: how many fraction bits a tensor gets. */
import type { CompileSettings } from './settings';

/** The smallest e with |v| < 2^e for every value up to maxAbs (maxAbs > 0). */
export function magnitudeExponent(maxAbs: number): number {
  return Math.floor(Math.log2(maxAbs)) + 1;
}

const clampScale = (s: number): number => Math.max(0, Math.min(40, s));

/** Fraction bits for a constant tensor so that its largest |value| fills `weightBits` signed bits. */
export function weightScale(values: Float64Array, settings: CompileSettings): number {
  let maxAbs = 0;
  for (const v of values) maxAbs = Math.max(maxAbs, Math.abs(v));
  if (maxAbs === 0) return 0;
  // Integer-valued constants (identity matrices, masks) are exact at scale 0.
  if (values.every((v) => Number.isInteger(v)) && maxAbs < 2 ** (settings.weightBits - 1)) return 0;
  return clampScale(settings.weightBits - 1 - magnitudeExponent(maxAbs));
}

/** Fraction bits for an activation from its calibrated max |value|, or the default without one. */
export function activationScale(maxAbs: number | undefined, settings: CompileSettings): number {
  if (maxAbs === undefined || maxAbs === 0) return settings.defaultScaleBits;
  return clampScale(settings.activationBits - 1 - magnitudeExponent(maxAbs));
}
