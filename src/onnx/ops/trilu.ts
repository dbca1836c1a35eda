/**
 * Trilu(x, k) with a constant k: the upper (or lower) triangle of the last two axes kept, the rest
 * zero. An index map with a zero fill: no constraint once lowered.
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { checkAttributes, FILL, forEachCoord, indexMapFamily, intParam, newIndexMap, requireCount } from './index-map';
import { intAttr, unsupportedAttr } from './op-family';

function triluParams(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>): { k: number; upper: boolean } {
  checkAttributes(node, ['upper']);
  requireCount(node, shapes.length, 1, 2);
  const upper = intAttr(node, 'upper', 1);
  if (upper !== 0 && upper !== 1) throw unsupportedAttr(node, 'upper', upper);
  if (shapes[0].length < 2) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Trilu): the input must have rank ≥ 2, got [${shapes[0]}]`, { node: node.name });
  const k = intParam(node, consts, shapes.length, 1, undefined, 'k') ?? [0];
  if (k.length !== 1) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Trilu): k must be a scalar, got [${k}]`, { node: node.name });
  return { k: k[0], upper: upper === 1 };
}

export const triluFamily = indexMapFamily(['Trilu'], {
  operands: () => [0],
  shapes(node, shapes, consts) {
    triluParams(node, shapes, consts);
    return [shapes[0]];
  },
  maps(node, shapes, consts) {
    const { k, upper } = triluParams(node, shapes, consts);
    const map = newIndexMap(shapes[0], 0);
    const r = shapes[0].length;
    forEachCoord(shapes[0], (c, flat) => {
      const d = c[r - 1] - c[r - 2];
      const keep = upper ? d >= k : d <= k;
      map.operand[flat] = keep ? 0 : FILL;
      map.index[flat] = flat;
    });
    return [map];
  },
});
