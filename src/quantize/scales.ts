/** Power-of-two scale choice: how many fraction bits a tensor gets. */
import type { CompileSettings } from '../formats/settings';

/** The smallest e with |v| < 2^e for every value up to maxAbs (maxAbs > 0). */
export function magnitudeExponent(maxAbs: number): number {
  return Math.floor(Math.log2(maxAbs)) + 1;
}

const clampScale = (s: number): number => Math.max(0, Math.min(40, s));

/**
 * The compile target moves every scale choice by a few bits: 'accuracy' gives weights and
 * activations TARGET_BITS more fraction bits (wider rescale gadgets; the bound analysis still refuses
 * anything near the field size), 'resources' TARGET_BITS fewer (smaller gadgets, larger error).
 */
export const TARGET_BITS = 4;

function targetDelta(settings: CompileSettings): number {
  return settings.target === 'accuracy' ? TARGET_BITS : settings.target === 'resources' ? -TARGET_BITS : 0;
}

/** Signed bits a weight tensor fills, after the target. */
export function effectiveWeightBits(settings: CompileSettings): number {
  return Math.max(2, Math.min(32, settings.weightBits + targetDelta(settings)));
}

/** Signed bits a calibrated activation fills, after the target. */
export function effectiveActivationBits(settings: CompileSettings): number {
  return Math.max(2, Math.min(40, settings.activationBits + targetDelta(settings)));
}

/** Fraction bits of an activation without calibration data, after the target. */
function effectiveDefaultScale(settings: CompileSettings): number {
  return Math.max(0, settings.defaultScaleBits + targetDelta(settings));
}

/** Fraction bits for a constant tensor so that its largest |value| fills `weightBits` signed bits. */
export function weightScale(values: Float64Array, settings: CompileSettings): number {
  let maxAbs = 0;
  for (const v of values) maxAbs = Math.max(maxAbs, Math.abs(v));
  if (maxAbs === 0) return 0;
  // Integer-valued constants (identity matrices, masks) are exact at scale 0.
  const bits = effectiveWeightBits(settings);
  if (values.every((v) => Number.isInteger(v)) && maxAbs < 2 ** (bits - 1)) return 0;
  return clampScale(bits - 1 - magnitudeExponent(maxAbs));
}

/** Fraction bits for an activation from its calibrated max |value|, or the default without one. */
export function activationScale(maxAbs: number | undefined, settings: CompileSettings): number {
  if (maxAbs === undefined || maxAbs === 0) return effectiveDefaultScale(settings);
  return clampScale(effectiveActivationBits(settings) - 1 - magnitudeExponent(maxAbs));
}
