/**
 * Conv over any number of spatial axes (1-D, 2-D, 3-D): strides, pads, dilations, group (depthwise
 * included) and auto_pad. Weights and bias must be constants: they become circuit coefficients.
 * A convolution is a Contraction (per output: the input and weight indices multiplied and summed),
 * the same description Gemm uses, so float evaluation and lowering share it.
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import type { ConvPlan } from './conv-plan';
import { convLikeFamily, groupedConvPlan, kernelOf } from './conv-plan';
import { intAttr, unsupportedAttr } from './op-family';
import { allowAttributes, resolveWindow, windowTaps } from './windows';

export function convPlan(node: IrNode, xShape: number[], wShape: number[]): ConvPlan {
  allowAttributes(node, ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
  const bad = (why: string) => new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Conv): ${why} (X [${xShape}], W [${wShape}])`, { node: node.name });
  if (xShape.length < 3 || wShape.length !== xShape.length) throw bad('X must be [N, C, ...spatial] and W [M, C/group, ...kernel]');
  const group = intAttr(node, 'group', 1);
  const [n, c] = xShape;
  const [m, cg] = wShape;
  if (group < 1 || c % group !== 0 || m % group !== 0) throw unsupportedAttr(node, 'group', group);
  if (cg * group !== c) throw bad(`W has ${cg} input channels per group, X has ${c} channels in ${group} group(s)`);
  const w = resolveWindow(node, xShape.slice(2), kernelOf(node, wShape));
  // W [M, C/group, ...kernel]: output channel co, input channel ci of its group.
  return groupedConvPlan({ n, c, group }, m, w, windowTaps(w), (co, ci) => co * cg + ci);
}

export const convFamily = convLikeFamily('Conv', convPlan, 'convolution');
