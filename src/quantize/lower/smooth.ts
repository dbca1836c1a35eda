/**
 * Sigmoid, Tanh, Softplus, Elu, Selu, Celu, Gelu → a piecewise-linear approximation from relus with
 * a measured error bound (see pwl.ts and docs/activations.md).
 */
import type { IrNode } from '../../onnx/ir';
import { smoothFunction } from '../../onnx/ops/smooth';
import type { LowerContext } from '../context';
import { lowerPwl } from './pwl';

export function lowerSmooth(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  lowerPwl(ctx, node, x, smoothFunction(node), node.outputs[0], { center: true });
}
