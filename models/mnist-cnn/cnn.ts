/**
 * circomlib-ml's reference MNIST CNN in plain typed-array loops, NCHW like ONNX:
 *   [1, 28, 28] ─ conv 3×3×4 ─ BatchNorm ─ ReLU ─ avgpool 2 ─ conv 3×3×8 ─ BatchNorm ─ ReLU ─ avgpool 2
 *   ─ flatten 200 ─ dense 200→10 ─ (argmax in the exported model)
 * Convolutions are 'valid' with stride 1 and no bias (the BatchNorm's shift replaces it); pools are
 * 2×2 with stride 2, flooring (11 → 5 drops the last row and column), as ONNX AveragePool does.
 *
 * Training normalises with batch statistics and keeps running averages (momentum 0.1) for the
 * exported BatchNormalization nodes; forwardBatch/backwardBatch do one mini-batch, forwardInference
 * one sample with the running statistics (what onnxruntime computes).
 */
import { Rng } from '../rng';

export const SIDE = 28;
export const C1 = 4;
export const C2 = 8;
export const K = 3;
export const CLASSES = 10;
export const S1 = SIDE - K + 1; // 26: conv1 output side
export const P1 = Math.floor(S1 / 2); // 13
export const S2 = P1 - K + 1; // 11
export const P2 = Math.floor(S2 / 2); // 5
export const FLAT = C2 * P2 * P2; // 200
export const BN_EPSILON = 1e-5;
const BN_MOMENTUM = 0.1;

export interface BatchNormParams {
  gamma: Float32Array;
  beta: Float32Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
}

export interface CnnParams {
  /** [C1][1][K][K] */
  w1: Float32Array;
  bn1: BatchNormParams;
  /** [C2][C1][K][K] */
  w2: Float32Array;
  bn2: BatchNormParams;
  /** [CLASSES][FLAT], the Gemm transB=1 layout */
  wd: Float32Array;
  bd: Float32Array;
}

/** The trained tensors, in a fixed order (the optimizer walks them; running statistics are not trained). */
export function trainable(p: CnnParams): Float32Array[] {
  return [p.w1, p.bn1.gamma, p.bn1.beta, p.w2, p.bn2.gamma, p.bn2.beta, p.wd, p.bd];
}

function batchNorm(channels: number): BatchNormParams {
  return {
    gamma: new Float32Array(channels).fill(1),
    beta: new Float32Array(channels),
    runningMean: new Float32Array(channels),
    runningVar: new Float32Array(channels).fill(1),
  };
}

export function zeroParams(): CnnParams {
  return {
    w1: new Float32Array(C1 * K * K),
    bn1: batchNorm(C1),
    w2: new Float32Array(C2 * C1 * K * K),
    bn2: batchNorm(C2),
    wd: new Float32Array(CLASSES * FLAT),
    bd: new Float32Array(CLASSES),
  };
}

/** He initialisation for the convolutions, Glorot-like for the dense layer; BatchNorm at identity. */
export function initParams(rng: Rng): CnnParams {
  const p = zeroParams();
  const fill = (w: Float32Array, std: number) => w.forEach((_, i) => (w[i] = rng.normal() * std));
  fill(p.w1, Math.sqrt(2 / (K * K)));
  fill(p.w2, Math.sqrt(2 / (C1 * K * K)));
  fill(p.wd, Math.sqrt(1 / FLAT));
  return p;
}

/** out[co][y][x] = Σ w[co][ci][ky][kx] · in[ci][y+ky][x+kx] ('valid', stride 1). */
function conv(input: Float64Array, inC: number, inSide: number, w: Float32Array, outC: number, out: Float64Array): void {
  const outSide = inSide - K + 1;
  out.fill(0);
  for (let co = 0; co < outC; co++) {
    for (let ci = 0; ci < inC; ci++) {
      for (let ky = 0; ky < K; ky++) {
        for (let kx = 0; kx < K; kx++) {
          const wv = w[((co * inC + ci) * K + ky) * K + kx];
          for (let y = 0; y < outSide; y++) {
            const o = (co * outSide + y) * outSide;
            const i = (ci * inSide + y + ky) * inSide + kx;
            for (let x = 0; x < outSide; x++) out[o + x] += wv * input[i + x];
          }
        }
      }
    }
  }
}

/** Gradients of conv: dw += Σ dOut · in, and (when dIn is given) dIn += Σ dOut · w. */
function convBackward(input: Float64Array, inC: number, inSide: number, w: Float32Array, outC: number, dOut: Float64Array, dw: Float32Array, dIn?: Float64Array): void {
  const outSide = inSide - K + 1;
  for (let co = 0; co < outC; co++) {
    for (let ci = 0; ci < inC; ci++) {
      for (let ky = 0; ky < K; ky++) {
        for (let kx = 0; kx < K; kx++) {
          const wi = ((co * inC + ci) * K + ky) * K + kx;
          const wv = w[wi];
          let g = 0;
          for (let y = 0; y < outSide; y++) {
            const o = (co * outSide + y) * outSide;
            const i = (ci * inSide + y + ky) * inSide + kx;
            for (let x = 0; x < outSide; x++) {
              g += dOut[o + x] * input[i + x];
              if (dIn) dIn[i + x] += dOut[o + x] * wv;
            }
          }
          dw[wi] += g;
        }
      }
    }
  }
}

/** 2×2 average pool, stride 2, floor mode. */
function pool(input: Float64Array, channels: number, inSide: number, out: Float64Array): void {
  const outSide = Math.floor(inSide / 2);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < outSide; y++) {
      for (let x = 0; x < outSide; x++) {
        const i = (c * inSide + 2 * y) * inSide + 2 * x;
        out[(c * outSide + y) * outSide + x] = 0.25 * (input[i] + input[i + 1] + input[i + inSide] + input[i + inSide + 1]);
      }
    }
  }
}

function poolBackward(dOut: Float64Array, channels: number, inSide: number, dIn: Float64Array): void {
  const outSide = Math.floor(inSide / 2);
  dIn.fill(0);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < outSide; y++) {
      for (let x = 0; x < outSide; x++) {
        const g = 0.25 * dOut[(c * outSide + y) * outSide + x];
        const i = (c * inSide + 2 * y) * inSide + 2 * x;
        dIn[i] += g;
        dIn[i + 1] += g;
        dIn[i + inSide] += g;
        dIn[i + inSide + 1] += g;
      }
    }
  }
}

function dense(p: CnnParams, flat: Float64Array, logits: Float64Array): void {
  for (let k = 0; k < CLASSES; k++) {
    let z = p.bd[k];
    for (let j = 0; j < FLAT; j++) z += p.wd[k * FLAT + j] * flat[j];
    logits[k] = z;
  }
}

/** y = relu(gamma · (z − mean) / sqrt(var + eps) + beta) per channel, in place on `a`, keeping x̂. */
function normalizeRelu(
  z: Float64Array,
  channels: number,
  plane: number,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  bn: BatchNormParams,
  xhat: Float64Array | undefined,
  a: Float64Array,
): void {
  for (let c = 0; c < channels; c++) {
    const inv = 1 / Math.sqrt(variance[c] + BN_EPSILON);
    for (let i = c * plane; i < (c + 1) * plane; i++) {
      const h = (z[i] - mean[c]) * inv;
      if (xhat) xhat[i] = h;
      const y = bn.gamma[c] * h + bn.beta[c];
      a[i] = y > 0 ? y : 0;
    }
  }
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k] > values[best]) best = k;
  return best;
}

/** One sample through the network with the running BatchNorm statistics; returns the logits. */
export function forwardInference(p: CnnParams, pixels: ArrayLike<number>): Float64Array {
  const x = Float64Array.from(pixels);
  const z1 = new Float64Array(C1 * S1 * S1);
  const p1 = new Float64Array(C1 * P1 * P1);
  const z2 = new Float64Array(C2 * S2 * S2);
  const p2 = new Float64Array(FLAT);
  const logits = new Float64Array(CLASSES);
  conv(x, 1, SIDE, p.w1, C1, z1);
  normalizeRelu(z1, C1, S1 * S1, p.bn1.runningMean, p.bn1.runningVar, p.bn1, undefined, z1);
  pool(z1, C1, S1, p1);
  conv(p1, C1, P1, p.w2, C2, z2);
  normalizeRelu(z2, C2, S2 * S2, p.bn2.runningMean, p.bn2.runningVar, p.bn2, undefined, z2);
  pool(z2, C2, S2, p2);
  dense(p, p2, logits);
  return logits;
}

/** Per-sample activations kept for the backward pass. */
interface SampleCache {
  x: Float64Array;
  z1: Float64Array;
  xhat1: Float64Array;
  a1: Float64Array;
  p1: Float64Array;
  z2: Float64Array;
  xhat2: Float64Array;
  a2: Float64Array;
  p2: Float64Array;
  logits: Float64Array;
}

export interface BatchState {
  samples: SampleCache[];
  /** Batch statistics per channel (biased variance, as used for normalising). */
  mean1: Float64Array;
  var1: Float64Array;
  mean2: Float64Array;
  var2: Float64Array;
}

function channelStats(zs: Float64Array[], channels: number, plane: number): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  const n = zs.length * plane;
  for (let c = 0; c < channels; c++) {
    let s = 0;
    for (const z of zs) for (let i = c * plane; i < (c + 1) * plane; i++) s += z[i];
    mean[c] = s / n;
    let v = 0;
    for (const z of zs) for (let i = c * plane; i < (c + 1) * plane; i++) v += (z[i] - mean[c]) ** 2;
    variance[c] = v / n;
  }
  return { mean, variance };
}

function updateRunning(bn: BatchNormParams, mean: Float64Array, variance: Float64Array, n: number): void {
  for (let c = 0; c < mean.length; c++) {
    bn.runningMean[c] = (1 - BN_MOMENTUM) * bn.runningMean[c] + BN_MOMENTUM * mean[c];
    // The running variance is the unbiased estimate, as PyTorch keeps it.
    bn.runningVar[c] = (1 - BN_MOMENTUM) * bn.runningVar[c] + BN_MOMENTUM * variance[c] * (n / (n - 1));
  }
}

/** A mini-batch through the network in training mode (batch statistics); updates the running statistics. */
export function forwardBatch(p: CnnParams, batch: ArrayLike<number>[]): BatchState {
  const samples: SampleCache[] = batch.map((pixels) => {
    const x = Float64Array.from(pixels);
    const z1 = new Float64Array(C1 * S1 * S1);
    conv(x, 1, SIDE, p.w1, C1, z1);
    return {
      x,
      z1,
      xhat1: new Float64Array(z1.length),
      a1: new Float64Array(z1.length),
      p1: new Float64Array(C1 * P1 * P1),
      z2: new Float64Array(C2 * S2 * S2),
      xhat2: new Float64Array(C2 * S2 * S2),
      a2: new Float64Array(C2 * S2 * S2),
      p2: new Float64Array(FLAT),
      logits: new Float64Array(CLASSES),
    };
  });
  const s1 = channelStats(
    samples.map((s) => s.z1),
    C1,
    S1 * S1,
  );
  for (const s of samples) {
    normalizeRelu(s.z1, C1, S1 * S1, s1.mean, s1.variance, p.bn1, s.xhat1, s.a1);
    pool(s.a1, C1, S1, s.p1);
    conv(s.p1, C1, P1, p.w2, C2, s.z2);
  }
  const s2 = channelStats(
    samples.map((s) => s.z2),
    C2,
    S2 * S2,
  );
  for (const s of samples) {
    normalizeRelu(s.z2, C2, S2 * S2, s2.mean, s2.variance, p.bn2, s.xhat2, s.a2);
    pool(s.a2, C2, S2, s.p2);
    dense(p, s.p2, s.logits);
  }
  updateRunning(p.bn1, s1.mean, s1.variance, samples.length * S1 * S1);
  updateRunning(p.bn2, s2.mean, s2.variance, samples.length * S2 * S2);
  return { samples, mean1: s1.mean, var1: s1.variance, mean2: s2.mean, var2: s2.variance };
}

/**
 * Backward through BatchNorm (batch statistics) and the ReLU after it, for every sample at once:
 * from dA (gradient at the ReLU output) to dZ (at the convolution output); adds dgamma, dbeta.
 */
function batchNormReluBackward(
  caches: Array<{ xhat: Float64Array; a: Float64Array; dA: Float64Array; dZ: Float64Array }>,
  channels: number,
  plane: number,
  variance: Float64Array,
  bn: BatchNormParams,
  dGamma: Float32Array,
  dBeta: Float32Array,
): void {
  const n = caches.length * plane;
  for (let c = 0; c < channels; c++) {
    const inv = 1 / Math.sqrt(variance[c] + BN_EPSILON);
    let sumDy = 0;
    let sumDyXhat = 0;
    for (const s of caches) {
      for (let i = c * plane; i < (c + 1) * plane; i++) {
        const dy = s.a[i] > 0 ? s.dA[i] : 0; // ReLU gate
        s.dA[i] = dy;
        sumDy += dy;
        sumDyXhat += dy * s.xhat[i];
      }
    }
    dGamma[c] += sumDyXhat;
    dBeta[c] += sumDy;
    // dz = gamma · inv / n · (n·dy − Σdy − x̂ · Σ(dy·x̂))
    const k = (bn.gamma[c] * inv) / n;
    for (const s of caches) {
      for (let i = c * plane; i < (c + 1) * plane; i++) s.dZ[i] = k * (n * s.dA[i] - sumDy - s.xhat[i] * sumDyXhat);
    }
  }
}

/**
 * Softmax cross-entropy averaged over the batch: adds its gradient to `grads`, returns the summed
 * loss and the number of correct predictions.
 */
export function backwardBatch(p: CnnParams, state: BatchState, labels: number[], grads: CnnParams): { loss: number; correct: number } {
  const n = state.samples.length;
  let loss = 0;
  let correct = 0;
  const second = state.samples.map((s, b) => {
    const top = argmax(s.logits);
    if (top === labels[b]) correct++;
    let sum = 0;
    for (let k = 0; k < CLASSES; k++) sum += Math.exp(s.logits[k] - s.logits[top]);
    loss += Math.log(sum) - (s.logits[labels[b]] - s.logits[top]);
    const dP2 = new Float64Array(FLAT);
    for (let k = 0; k < CLASSES; k++) {
      const dz = (Math.exp(s.logits[k] - s.logits[top]) / sum - (k === labels[b] ? 1 : 0)) / n;
      grads.bd[k] += dz;
      for (let j = 0; j < FLAT; j++) {
        grads.wd[k * FLAT + j] += dz * s.p2[j];
        dP2[j] += dz * p.wd[k * FLAT + j];
      }
    }
    const dA = new Float64Array(s.a2.length);
    poolBackward(dP2, C2, S2, dA);
    return { xhat: s.xhat2, a: s.a2, dA, dZ: new Float64Array(s.a2.length) };
  });
  batchNormReluBackward(second, C2, S2 * S2, state.var2, p.bn2, grads.bn2.gamma, grads.bn2.beta);
  const first = state.samples.map((s, b) => {
    const dP1 = new Float64Array(s.p1.length);
    convBackward(s.p1, C1, P1, p.w2, C2, second[b].dZ, grads.w2, dP1);
    const dA = new Float64Array(s.a1.length);
    poolBackward(dP1, C1, S1, dA);
    return { xhat: s.xhat1, a: s.a1, dA, dZ: new Float64Array(s.a1.length) };
  });
  batchNormReluBackward(first, C1, S1 * S1, state.var1, p.bn1, grads.bn1.gamma, grads.bn1.beta);
  state.samples.forEach((s, b) => convBackward(s.x, 1, SIDE, p.w1, C1, first[b].dZ, grads.w1));
  return { loss, correct };
}
