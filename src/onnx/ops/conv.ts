/**
 * Conv over any number of spatial axes (1-D, 2-D, 3-D): strides, pads, dilations, group (depthwise
 * included) and auto_pad. Weights and bias must be constants: they become circuit coefficients.
 * A convolution is a Contraction (per output: the input and weight indices multiplied and summed),
 * the same description Gemm uses, so float evaluation and lowering share it.
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { Contraction, evalContraction } from './contraction';
import { intAttr, OpFamily, requireInputs, unsupportedAttr } from './op-family';
import { allowAttributes, intsAttr, resolveWindow, windowTaps } from './windows';

export interface ConvPlan {
  contraction: Contraction;
  /** Output element o belongs to channel floor(o / plane) % channels (for the bias). */
  channels: number;
  plane: number;
}

export function convPlan(node: IrNode, xShape: number[], wShape: number[]): ConvPlan {
  allowAttributes(node, ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
  const bad = (why: string) => new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Conv): ${why} (X [${xShape}], W [${wShape}])`);
  if (xShape.length < 3 || wShape.length !== xShape.length) throw bad('X must be [N, C, ...spatial] and W [M, C/group, ...kernel]');
  const group = intAttr(node, 'group', 1);
  const [n, c] = xShape;
  const [m, cg] = wShape;
  if (group < 1 || c % group !== 0 || m % group !== 0) throw unsupportedAttr(node, 'group', group);
  if (cg * group !== c) throw bad(`W has ${cg} input channels per group, X has ${c} channels in ${group} group(s)`);
  const kernel = wShape.slice(2);
  const declared = intsAttr(node, 'kernel_shape', kernel);
  if (declared.join() !== kernel.join()) throw unsupportedAttr(node, 'kernel_shape', declared);

  const w = resolveWindow(node, xShape.slice(2), kernel);
  const taps = windowTaps(w);
  const inPlane = sizeOf(w.inSpatial);
  const kSize = sizeOf(kernel);
  const plane = sizeOf(w.outSpatial);
  const mg = m / group;
  const pairs: Contraction['pairs'] = [];
  for (let b = 0; b < n; b++) {
    for (let co = 0; co < m; co++) {
      const g = Math.floor(co / mg);
      for (const t of taps) {
        const len = t.input.length * cg;
        const a = new Int32Array(len);
        const wIdx = new Int32Array(len);
        let r = 0;
        for (let ci = 0; ci < cg; ci++) {
          const xBase = (b * c + g * cg + ci) * inPlane;
          const wBase = (co * cg + ci) * kSize;
          for (let j = 0; j < t.input.length; j++, r++) {
            a[r] = xBase + t.input[j];
            wIdx[r] = wBase + t.kernel[j];
          }
        }
        pairs.push({ a, b: wIdx });
      }
    }
  }
  return { contraction: { outShape: [n, m, ...w.outSpatial], pairs }, channels: m, plane };
}

export const convFamily: OpFamily = {
  ops: ['Conv'],
  inferShapes(node, shapes, consts) {
    requireInputs(node, shapes, 2, 3);
    const plan = convPlan(node, shapes[0], shapes[1]);
    if (shapes[2] && (shapes[2].length !== 1 || shapes[2][0] !== plan.channels)) {
      throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Conv): bias B of shape [${shapes[2]}] does not match ${plan.channels} output channels`);
    }
    const varying = ['W', 'B'].filter((_, i) => shapes[i + 1] && !consts[i + 1]);
    if (varying.length > 0) {
      throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (Conv): ${varying.join(' and ')} must be constant (initializers); convolution by a computed tensor is not supported`, {
        node: node.name,
        inputs: varying,
      });
    }
    return [plan.contraction.outShape];
  },
  evalFloat(node, [x, w, bias]) {
    const plan = convPlan(node, x.shape, w.shape);
    const data = evalContraction(plan.contraction, x.data, w.data);
    if (bias) data.forEach((v, o) => (data[o] = v + bias.data[Math.floor(o / plan.plane) % plan.channels]));
    return [{ shape: plan.contraction.outShape, data }];
  },
};
