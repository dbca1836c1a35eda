/**
 * What Conv and ConvTranspose share: the kernel read from W, the Contraction of a grouped
 * convolution over its taps, and the op family around a plan (constant W and B, bias per channel).
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import type { Contraction } from './contraction';
import { evalContraction } from './contraction';
import type { OpFamily } from './op-family';
import { requireInputs, unsupportedAttr } from './op-family';
import type { Window } from './windows';
import { intsAttr } from './windows';

export interface ConvPlan {
  contraction: Contraction;
  /** Output element o belongs to channel floor(o / plane) % channels (for the bias). */
  channels: number;
  plane: number;
}

/** W's spatial dims [.., .., ...kernel], refusing a kernel_shape attribute that disagrees. */
export function kernelOf(node: IrNode, wShape: number[]): number[] {
  const kernel = wShape.slice(2);
  const declared = intsAttr(node, 'kernel_shape', kernel);
  if (declared.join() !== kernel.join()) throw unsupportedAttr(node, 'kernel_shape', declared);
  return kernel;
}

/** Per output spatial position: the input spatial and kernel flat indices that meet there. */
export type Taps = ReadonlyArray<{ input: ArrayLike<number>; kernel: ArrayLike<number> }>;

/**
 * X [n, c, ...in] → Y [n, m, ...out]: output channel co of group g sums the taps of X's channels
 * g·c/group … (g+1)·c/group − 1, weighted by W's kernel row `weightRow(co, ci)` (ci within the group).
 */
export function groupedConvPlan(x: { n: number; c: number; group: number }, m: number, w: Window, taps: Taps, weightRow: (co: number, ci: number) => number): ConvPlan {
  const { n, c, group } = x;
  const inPlane = sizeOf(w.inSpatial);
  const kSize = sizeOf(w.kernel);
  const cg = c / group;
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
          const wBase = weightRow(co, ci) * kSize;
          for (let j = 0; j < t.input.length; j++, r++) {
            a[r] = xBase + t.input[j];
            wIdx[r] = wBase + t.kernel[j];
          }
        }
        pairs.push({ a, b: wIdx });
      }
    }
  }
  return { contraction: { outShape: [n, m, ...w.outSpatial], pairs }, channels: m, plane: sizeOf(w.outSpatial) };
}

/** The family of a convolution-like op: W and B constants, Y = plan(X, W) + B per output channel. */
export function convLikeFamily(opType: string, planOf: (node: IrNode, xShape: number[], wShape: number[]) => ConvPlan, what: string): OpFamily {
  return {
    ops: [opType],
    inferShapes(node, shapes, consts) {
      requireInputs(node, shapes, 2, 3);
      const plan = planOf(node, shapes[0], shapes[1]);
      if (shapes[2] && (shapes[2].length !== 1 || shapes[2][0] !== plan.channels)) {
        throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (${opType}): bias B of shape [${shapes[2]}] does not match ${plan.channels} output channels`, { node: node.name });
      }
      const varying = ['W', 'B'].filter((_, i) => shapes[i + 1] && !consts[i + 1]);
      if (varying.length > 0) {
        throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${opType}): ${varying.join(' and ')} must be constant (initializers); ${what} by a computed tensor is not supported`, {
          node: node.name,
          inputs: varying,
        });
      }
      return [plan.contraction.outShape];
    },
    evalFloat(node, [x, w, bias]) {
      const plan = planOf(node, x.shape, w.shape);
      const data = evalContraction(plan.contraction, x.data, w.data);
      if (bias) data.forEach((v, o) => (data[o] = v + bias.data[Math.floor(o / plan.plane) % plan.channels]));
      return [{ shape: plan.contraction.outShape, data }];
    },
  };
}
