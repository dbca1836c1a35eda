/** Reshape, Flatten, Identity: row-major data is unchanged, so the output is an alias (no constraints). */
import type { IrNode } from '../../formats/graph';
import type { LowerContext } from '../context';

export function lowerReshape(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  ctx.alias(node.outputs[0], x, ctx.graph.shapes.get(node.outputs[0])!);
}
