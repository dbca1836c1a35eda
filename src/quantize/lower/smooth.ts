/**
 * Sigmoid, Tanh, Softplus, Elu, Selu, Celu, Gelu → a piecewise-linear approximation from relus with
 * a measured error bound (see pwl.ts and docs/activations.md).
 */
import type { IrNode } from '../../formats/graph';
import { smoothFunction } from '../../onnx/ops/smooth';
import type { LowerContext } from '../context';
import { lowerPwl, PWL_MAX_SEGMENTS, PWL_TARGET_ERROR, PwlOptions } from './pwl';

export function lowerSmooth(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  lowerPwl(ctx, node, x, smoothFunction(node), node.outputs[0], { center: true, ...quantizedTarget(node, ctx) });
}

/**
 * With `--target accuracy`, feeding only a QuantizeLinear of step s (a QDQ model), the approximation
 * aims at s / 32 with up to four times the segments: an error of half a step flips the rounding
 * often, one of s / 32 only right next to a rounding boundary (measured: 78% → 98% exact against
 * onnxruntime over every int8 input, at about 3× the constraints; see docs/quantized.md).
 */
function quantizedTarget(node: IrNode, ctx: LowerContext): PwlOptions {
  const q = ctx.quantizeConsumer(node.outputs[0]);
  const scale = q ? ctx.constant(q.inputs[1]) : undefined;
  if (!scale || scale.data.length !== 1 || ctx.settings.target !== 'accuracy') return {};
  return { target: Math.min(PWL_TARGET_ERROR, scale.data[0] / 32), maxSegments: 4 * PWL_MAX_SEGMENTS };
}
