/**
 * Lowering of the shape families. Squeeze, Unsqueeze and float Casts are aliases. Data-moving ops
 * (Concat, Split, Slice, Pad, Transpose, Expand, Tile, Gather, Where) become an accumulate layer
 * with one copy term per output element, shift 0: linear rows that circom's --O2 removes, so they
 * cost no constraint. Operands of different scales are aligned to the finest by exact powers of
 * two; constant operands and pad values become biases.
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { familyOf } from '../../onnx/ops';
import { FILL, IndexMapFamily, isIdentityMap } from '../../onnx/ops/index-map';
import type { LowerContext } from '../context';
import { lowerReshape } from './reshape';
import { addConstant, addWeightedTerm, emptyRow } from './terms';

export function lowerIndexMapped(node: IrNode, ctx: LowerContext): void {
  const spec = (familyOf(node.opType) as IndexMapFamily).indexMap;
  const shapes = node.inputs.map((n) => ctx.graph.shapes.get(n)!);
  const consts = node.inputs.map((n) => ctx.constant(n));
  const positions = spec.operands(node, node.inputs.length);
  node.inputs.forEach((name, p) => {
    if (!positions.includes(p) && !consts[p] && name !== '') {
      const why = spec.runtimeParam?.(node, p) ?? `input ${p} ('${name}') is computed at run time; only a constant is supported`;
      throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}): ${why}`, { node: node.name, opType: node.opType });
    }
  });
  const operands = positions.map((p) => ({ v: ctx.variable(node.inputs[p]), c: consts[p] }));
  const scales = operands.flatMap((o) => (o.v ? [o.v.scaleBits] : []));
  const accScale = scales.length > 0 ? Math.max(...scales) : 0;
  spec.maps(node, shapes, consts).forEach((map, k) => {
    const out = node.outputs[k];
    if (!out) return;
    const first = operands[0].v;
    if (first && first.scaleBits === accScale && isIdentityMap(map, ctx.tensors[first.id].size)) {
      ctx.alias(out, first, map.shape);
      return;
    }
    const constant = (value: number): number => {
      if (!Number.isFinite(value)) {
        throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}): the constant ${value} cannot be represented in the circuit`, { node: node.name, opType: node.opType });
      }
      return value;
    };
    const rows = Array.from(map.index, (index, i) => {
      const row = emptyRow();
      const k = map.operand[i];
      if (k === FILL) addConstant(row, constant(map.fill), accScale);
      else if (operands[k].v) addWeightedTerm(ctx, row, operands[k].v!, index, 1, accScale);
      else addConstant(row, constant(operands[k].c!.data[index]), accScale);
      return row;
    });
    ctx.addLayer(node, out, map.shape, rows, accScale, 0, false);
  });
}

export const SHAPE_LOWERINGS: Record<string, (node: IrNode, ctx: LowerContext) => void> = {
  Concat: lowerIndexMapped,
  Split: lowerIndexMapped,
  Slice: lowerIndexMapped,
  Pad: lowerIndexMapped,
  Transpose: lowerIndexMapped,
  Expand: lowerIndexMapped,
  Tile: lowerIndexMapped,
  Gather: lowerIndexMapped,
  Where: lowerIndexMapped,
  Squeeze: lowerReshape,
  Unsqueeze: lowerReshape,
  Cast: lowerReshape,
};
