/**
 * NonZero: the coordinates of a tensor's non-zero elements, as a [rank, count] int64 tensor. Its
 * output shape depends on the values, so it is folded at ingest on a constant (a causal mask built
 * from a constant buffer, as GPT exports do) and refused on a tensor computed at run time.
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { checkAttributes, forEachCoord, requireCount } from './index-map';
import type { OpFamily } from './op-family';

function nonZeroCoords(x: FloatTensor): FloatTensor {
  const coords: number[][] = [];
  forEachCoord(x.shape, (coord, flat) => {
    if (x.data[flat] !== 0) coords.push([...coord]);
  });
  // A scalar has rank 0 but still one coordinate row per non-zero element in ONNX ([1, count]).
  const rank = Math.max(x.shape.length, 1);
  const data = new Float64Array(rank * coords.length);
  coords.forEach((c, j) => c.forEach((v, d) => (data[d * coords.length + j] = v)));
  return { shape: [rank, coords.length], data };
}

export const nonZeroFamily: OpFamily = {
  ops: ['NonZero'],
  inferShapes(node: IrNode, shapes, consts) {
    checkAttributes(node, []);
    requireCount(node, shapes.length, 1);
    const x = consts[0];
    if (!x) {
      throw new ZkmlError('ONNX_DYNAMIC_SHAPE', `node '${node.name}' (NonZero): its input is computed at run time, so its output shape depends on the data; only a constant input is supported`, {
        node: node.name,
        opType: 'NonZero',
      });
    }
    return [nonZeroCoords(x).shape];
  },
  evalFloat: (_node, [x]) => [nonZeroCoords(x)],
};
