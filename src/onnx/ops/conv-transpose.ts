/**
 * ConvTranspose over any number of spatial axes: strides, pads, output_padding, output_shape,
 * dilations, group and auto_pad. Weights and bias must be constants. Like Conv it is linear in its
 * input: every input element x[i] adds x[i]·W[k] to the output at i·stride + k·dilation − pad, so
 * each output element is a Contraction row (the input and weight indices that reach it), lowered
 * exactly like Conv's (src/quantize/lower/conv.ts).
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { strides as strideOf } from '../tensor';
import type { ConvPlan } from './conv-plan';
import { convLikeFamily, groupedConvPlan, kernelOf } from './conv-plan';
import { intAttr, unsupportedAttr } from './op-family';
import type { Window } from './windows';
import { allowAttributes, intsAttr, stringAttr } from './windows';

/**
 * Output size and leading pads as onnxruntime computes them: explicit pads, or (with output_shape or
 * auto_pad SAME_*) the total padding split between head and tail, the odd one at the head for
 * SAME_LOWER and at the tail otherwise (checked against onnxruntime in test/compiler/ops-spatial).
 */
function resolveTransposeWindow(node: IrNode, inSpatial: number[], kernel: number[]): Window {
  const r = inSpatial.length;
  const ones = new Array<number>(r).fill(1);
  const zeros = new Array<number>(r).fill(0);
  const st = intsAttr(node, 'strides', ones);
  const dil = intsAttr(node, 'dilations', ones);
  const pads = intsAttr(node, 'pads', [...zeros, ...zeros]);
  const outPad = intsAttr(node, 'output_padding', zeros);
  if (st.length !== r || st.some((s) => s < 1)) throw unsupportedAttr(node, 'strides', st);
  if (dil.length !== r || dil.some((d) => d < 1)) throw unsupportedAttr(node, 'dilations', dil);
  if (pads.length !== 2 * r || pads.some((p) => p < 0)) throw unsupportedAttr(node, 'pads', pads);
  if (outPad.length !== r || outPad.some((p, i) => p < 0 || (p >= st[i] && p >= dil[i]))) throw unsupportedAttr(node, 'output_padding', outPad);
  const autoPad = stringAttr(node, 'auto_pad', 'NOTSET');
  if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(autoPad)) throw unsupportedAttr(node, 'auto_pad', autoPad);
  const span = kernel.map((k, i) => (k - 1) * dil[i] + 1);
  const full = inSpatial.map((n, i) => st[i] * (n - 1) + outPad[i] + span[i]);
  const declared = node.attributes.output_shape !== undefined ? intsAttr(node, 'output_shape', []).slice(-r) : undefined;
  if (declared && (declared.length !== r || declared.some((d) => d < 1))) throw unsupportedAttr(node, 'output_shape', declared);
  let padsBegin: number[];
  let outSpatial: number[];
  if (declared || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    outSpatial = declared ?? inSpatial.map((n, i) => n * st[i]);
    padsBegin = outSpatial.map((o, i) => {
      const total = Math.max(0, full[i] - o);
      return autoPad === 'SAME_LOWER' ? total - Math.floor(total / 2) : Math.floor(total / 2);
    });
  } else {
    padsBegin = autoPad === 'VALID' ? zeros : pads.slice(0, r);
    const padsEnd = autoPad === 'VALID' ? zeros : pads.slice(r);
    outSpatial = full.map((f, i) => f - padsBegin[i] - padsEnd[i]);
  }
  if (outSpatial.some((o) => o < 1)) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (ConvTranspose): the pads leave no output for input [${inSpatial}] and kernel [${kernel}]`, { node: node.name });
  }
  return { inSpatial, kernel, strides: st, dilations: dil, padsBegin, outSpatial };
}

/** Per output spatial position: the (input spatial index, kernel index) pairs that reach it. */
function transposeTaps(w: Window): Array<{ input: number[]; kernel: number[] }> {
  const r = w.inSpatial.length;
  const inStrides = strideOf(w.inSpatial);
  const kStrides = strideOf(w.kernel);
  const outStrides = strideOf(w.outSpatial);
  const taps = Array.from({ length: sizeOf(w.outSpatial) }, () => ({ input: [] as number[], kernel: [] as number[] }));
  for (let i = 0; i < sizeOf(w.inSpatial); i++) {
    for (let k = 0; k < sizeOf(w.kernel); k++) {
      let o = 0;
      let inside = true;
      for (let d = 0; d < r && inside; d++) {
        const pos = (Math.floor(i / inStrides[d]) % w.inSpatial[d]) * w.strides[d] + (Math.floor(k / kStrides[d]) % w.kernel[d]) * w.dilations[d] - w.padsBegin[d];
        inside = pos >= 0 && pos < w.outSpatial[d];
        o += pos * outStrides[d];
      }
      if (inside) {
        taps[o].input.push(i);
        taps[o].kernel.push(k);
      }
    }
  }
  return taps;
}

/** X [N, C, ...in], W [C, M/group, ...kernel] → Y [N, M, ...out], as a Contraction (Conv's plan shape). */
export function convTransposePlan(node: IrNode, xShape: number[], wShape: number[]): ConvPlan {
  allowAttributes(node, ['auto_pad', 'dilations', 'group', 'kernel_shape', 'output_padding', 'output_shape', 'pads', 'strides']);
  const bad = (why: string) => new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (ConvTranspose): ${why} (X [${xShape}], W [${wShape}])`, { node: node.name });
  if (xShape.length < 3 || wShape.length !== xShape.length) throw bad('X must be [N, C, ...spatial] and W [C, M/group, ...kernel]');
  const group = intAttr(node, 'group', 1);
  const [n, c] = xShape;
  const [wc, mg] = wShape;
  if (group < 1 || c % group !== 0) throw unsupportedAttr(node, 'group', group);
  if (wc !== c) throw bad(`W has ${wc} input channels, X has ${c}`);
  const w = resolveTransposeWindow(node, xShape.slice(2), kernelOf(node, wShape));
  // W [C, M/group, ...kernel]: input channel g·C/group + ci feeds output channel g·M/group + co % (M/group).
  return groupedConvPlan({ n, c, group }, mg * group, w, transposeTaps(w), (co, ci) => (Math.floor(co / mg) * (c / group) + ci) * mg + (co % mg));
}

export const convTransposeFamily = convLikeFamily('ConvTranspose', convTransposePlan, 'a transposed convolution');
