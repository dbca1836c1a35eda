/**
 * snarkjs keeps one multi-threaded bn128 curve per process (globalThis.curve_bn128) and never
 * terminates it, and its worker threads keep Node alive. withSnarkjsCurve runs fn and then
 * terminates that curve if it was created for us; a curve that already existed belongs to its
 * creator and is left alone. Overlapping calls share one curve, terminated when the last finishes.
 */
export async function withSnarkjsCurve<T>(fn: () => Promise<T>): Promise<T> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  if (curveLeases === 0) curveOwned = !g.curve_bn128;
  curveLeases++;
  try {
    return await fn();
  } finally {
    curveLeases--;
    if (curveLeases === 0 && curveOwned) {
      curveOwned = false;
      const curve = g.curve_bn128;
      if (curve) await curve.terminate();
    }
  }
}
let curveLeases = 0;
let curveOwned = false;
