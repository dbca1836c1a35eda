/**
 * Sliding-window index math shared by Conv, AveragePool and GlobalAveragePool, plus the
 * "averaging" description shared by the pools and the Reduce ops: every output element is
 * (1/count) times a sum of input elements, listed by flat index. Float evaluation and lowering
 * both read these descriptions, so they cannot disagree.
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { strides } from '../tensor';
import { unsupportedAttr } from './op-family';

export function intsAttr(node: IrNode, name: string, fallback: number[]): number[] {
  const v = node.attributes[name];
  if (v === undefined) return fallback;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw unsupportedAttr(node, name, v);
  return v as number[];
}

export function stringAttr(node: IrNode, name: string, fallback: string): string {
  const v = node.attributes[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'string') throw unsupportedAttr(node, name, v);
  return v;
}

/** Rejects any attribute outside `allowed`, naming it. */
export function allowAttributes(node: IrNode, allowed: readonly string[]): void {
  for (const k of Object.keys(node.attributes)) {
    if (!allowed.includes(k)) throw unsupportedAttr(node, k, node.attributes[k]);
  }
}

/** A resolved window over the spatial dimensions (all arrays have one entry per spatial axis). */
export interface Window {
  inSpatial: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[];
  outSpatial: number[];
}

/**
 * Resolves strides, dilations, pads and auto_pad (NOTSET, VALID, SAME_UPPER, SAME_LOWER) for a
 * window of `kernel` over `inSpatial`, as ONNX defines them for Conv and the pools (floor mode).
 */
export function resolveWindow(node: IrNode, inSpatial: number[], kernel: number[]): Window {
  const r = inSpatial.length;
  const ones = new Array<number>(r).fill(1);
  const st = intsAttr(node, 'strides', ones);
  const dil = intsAttr(node, 'dilations', ones);
  const pads = intsAttr(node, 'pads', new Array<number>(2 * r).fill(0));
  if (st.length !== r || st.some((s) => s < 1)) throw unsupportedAttr(node, 'strides', st);
  if (dil.length !== r || dil.some((d) => d < 1)) throw unsupportedAttr(node, 'dilations', dil);
  if (pads.length !== 2 * r || pads.some((p) => p < 0)) throw unsupportedAttr(node, 'pads', pads);
  const autoPad = stringAttr(node, 'auto_pad', 'NOTSET');
  const span = kernel.map((k, i) => (k - 1) * dil[i] + 1);
  let padsBegin: number[];
  let outSpatial: number[];
  if (autoPad === 'NOTSET' || autoPad === 'VALID') {
    padsBegin = autoPad === 'VALID' ? new Array<number>(r).fill(0) : pads.slice(0, r);
    const padsEnd = autoPad === 'VALID' ? padsBegin : pads.slice(r);
    outSpatial = inSpatial.map((n, i) => Math.floor((n + padsBegin[i] + padsEnd[i] - span[i]) / st[i]) + 1);
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    outSpatial = inSpatial.map((n, i) => Math.ceil(n / st[i]));
    padsBegin = inSpatial.map((n, i) => {
      const total = Math.max(0, (outSpatial[i] - 1) * st[i] + span[i] - n);
      return autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
    });
  } else {
    throw unsupportedAttr(node, 'auto_pad', autoPad);
  }
  if (outSpatial.some((o) => o < 1)) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (${node.opType}): a window of [${kernel}] does not fit input [${inSpatial}]`);
  }
  return { inSpatial, kernel, strides: st, dilations: dil, padsBegin, outSpatial };
}

/** Per output spatial position (flat): the in-bounds taps, as input spatial and kernel flat indices. */
export function windowTaps(w: Window): Array<{ input: Int32Array; kernel: Int32Array }> {
  const r = w.inSpatial.length;
  const inStrides = strides(w.inSpatial);
  const kStrides = strides(w.kernel);
  const outStrides = strides(w.outSpatial);
  const kSize = sizeOf(w.kernel);
  const taps: Array<{ input: Int32Array; kernel: Int32Array }> = [];
  for (let o = 0; o < sizeOf(w.outSpatial); o++) {
    const origin = w.outSpatial.map((_, d) => (Math.floor(o / outStrides[d]) % w.outSpatial[d]) * w.strides[d] - w.padsBegin[d]);
    const input: number[] = [];
    const kernel: number[] = [];
    for (let k = 0; k < kSize; k++) {
      let idx = 0;
      let inside = true;
      for (let d = 0; d < r && inside; d++) {
        const pos = origin[d] + (Math.floor(k / kStrides[d]) % w.kernel[d]) * w.dilations[d];
        inside = pos >= 0 && pos < w.inSpatial[d];
        idx += pos * inStrides[d];
      }
      if (inside) {
        input.push(idx);
        kernel.push(k);
      }
    }
    taps.push({ input: Int32Array.from(input), kernel: Int32Array.from(kernel) });
  }
  return taps;
}

/** out[o] = (1 / counts[o]) * sum of x[sources[o][r]]. Sums have count 1. */
export interface Averaging {
  outShape: number[];
  sources: Int32Array[];
  counts: Int32Array;
}

export function evalAveraging(a: Averaging, x: FloatTensor): FloatTensor {
  const data = new Float64Array(a.sources.length);
  a.sources.forEach((src, o) => {
    let s = 0;
    for (let r = 0; r < src.length; r++) s += x.data[src[r]];
    data[o] = s / a.counts[o];
  });
  return { shape: a.outShape, data };
}

/** Per (batch, channel) plane of an [N, C, ...spatial] tensor: the windows of `w`, with a divisor each. */
export function poolAveraging(shape: number[], w: Window, divisor: (taps: number) => number): Averaging {
  const [n, c] = shape;
  const plane = sizeOf(w.inSpatial);
  const taps = windowTaps(w);
  const sources: Int32Array[] = [];
  const counts: number[] = [];
  for (let p = 0; p < n * c; p++) {
    for (const t of taps) {
      sources.push(t.input.map((i) => p * plane + i));
      counts.push(divisor(t.input.length));
    }
  }
  return { outShape: [n, c, ...w.outSpatial], sources, counts: Int32Array.from(counts) };
}
