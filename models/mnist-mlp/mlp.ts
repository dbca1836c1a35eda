/**
 * The 784→32→10 MLP in plain Float32Array loops: forward pass and per-sample gradient. The first
 * layer is stored input-major ([784][32]) so the sparse-pixel loops walk memory contiguously; the
 * exporter transposes it to the ONNX Gemm layout.
 */
import { Rng } from '../rng';

export const INPUTS = 784;
export const HIDDEN = 32;
export const CLASSES = 10;

export interface MlpParams {
  /** [INPUTS][HIDDEN], input-major. */
  w1t: Float32Array;
  b1: Float32Array;
  /** [CLASSES][HIDDEN], output-major (already the Gemm transB=1 layout). */
  w2: Float32Array;
  b2: Float32Array;
}

export function zeroParams(): MlpParams {
  return {
    w1t: new Float32Array(INPUTS * HIDDEN),
    b1: new Float32Array(HIDDEN),
    w2: new Float32Array(CLASSES * HIDDEN),
    b2: new Float32Array(CLASSES),
  };
}

/** He initialisation for the ReLU layer, Glorot-like for the output layer, zero biases. */
export function initParams(rng: Rng): MlpParams {
  const p = zeroParams();
  const s1 = Math.sqrt(2 / INPUTS);
  const s2 = Math.sqrt(1 / HIDDEN);
  for (let i = 0; i < p.w1t.length; i++) p.w1t[i] = rng.normal() * s1;
  for (let i = 0; i < p.w2.length; i++) p.w2[i] = rng.normal() * s2;
  return p;
}

/** Fills `hidden` (post-ReLU) and `logits` for one sample. */
export function forward(p: MlpParams, x: ArrayLike<number>, hidden: Float64Array, logits: Float64Array): void {
  for (let j = 0; j < HIDDEN; j++) hidden[j] = p.b1[j];
  for (let i = 0; i < INPUTS; i++) {
    const xi = x[i];
    if (xi === 0) continue; // most MNIST pixels are blank
    const row = i * HIDDEN;
    for (let j = 0; j < HIDDEN; j++) hidden[j] += p.w1t[row + j] * xi;
  }
  for (let j = 0; j < HIDDEN; j++) if (hidden[j] < 0) hidden[j] = 0;
  for (let k = 0; k < CLASSES; k++) {
    let z = p.b2[k];
    for (let j = 0; j < HIDDEN; j++) z += p.w2[k * HIDDEN + j] * hidden[j];
    logits[k] = z;
  }
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k] > values[best]) best = k;
  return best;
}

/** Reusable scratch buffers, so the training loop allocates nothing per sample. */
export interface Scratch {
  hidden: Float64Array;
  logits: Float64Array;
  dLogits: Float64Array;
  dHidden: Float64Array;
}

export function makeScratch(): Scratch {
  return {
    hidden: new Float64Array(HIDDEN),
    logits: new Float64Array(CLASSES),
    dLogits: new Float64Array(CLASSES),
    dHidden: new Float64Array(HIDDEN),
  };
}

/**
 * Adds `scale` × the gradient of softmax cross-entropy for one sample to `grads`; returns the loss
 * and whether the sample was classified correctly.
 */
export function accumulateGradient(p: MlpParams, x: ArrayLike<number>, label: number, scale: number, grads: MlpParams, s: Scratch): { loss: number; correct: boolean } {
  forward(p, x, s.hidden, s.logits);
  const maxLogit = s.logits[argmax(s.logits)];
  let sum = 0;
  for (let k = 0; k < CLASSES; k++) sum += Math.exp(s.logits[k] - maxLogit);
  for (let k = 0; k < CLASSES; k++) s.dLogits[k] = (Math.exp(s.logits[k] - maxLogit) / sum - (k === label ? 1 : 0)) * scale;
  const loss = Math.log(sum) - (s.logits[label] - maxLogit);

  s.dHidden.fill(0);
  for (let k = 0; k < CLASSES; k++) {
    const dz = s.dLogits[k];
    grads.b2[k] += dz;
    for (let j = 0; j < HIDDEN; j++) {
      grads.w2[k * HIDDEN + j] += dz * s.hidden[j];
      s.dHidden[j] += dz * p.w2[k * HIDDEN + j];
    }
  }
  for (let j = 0; j < HIDDEN; j++) {
    if (s.hidden[j] <= 0) s.dHidden[j] = 0; // ReLU gate
    grads.b1[j] += s.dHidden[j];
  }
  for (let i = 0; i < INPUTS; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    const row = i * HIDDEN;
    for (let j = 0; j < HIDDEN; j++) grads.w1t[row + j] += s.dHidden[j] * xi;
  }
  return { loss, correct: argmax(s.logits) === label };
}
