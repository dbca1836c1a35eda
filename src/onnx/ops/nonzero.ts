/**
 * NonZero of a constant: its output shape [rank, count] depends on the values, so it is only
 * supported where ingest folds it (a constant input); on a run-time tensor it is refused.
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor } from '../../formats/graph';
import { checkAttributes, forEachCoord, requireCount } from './index-map';
import type { OpFamily } from './op-family';

function nonZero(x: FloatTensor): FloatTensor {
  const rank = Math.max(1, x.shape.length);
  const coords: number[][] = [];
  forEachCoord(x.shape, (c, flat) => {
    if (x.data[flat] !== 0) coords.push(x.shape.length === 0 ? [0] : [...c]);
  });
  const data = new Float64Array(rank * coords.length);
  coords.forEach((c, j) => c.forEach((v, d) => (data[d * coords.length + j] = v)));
  return { shape: [rank, coords.length], data };
}

export const nonZeroFamily: OpFamily = {
  ops: ['NonZero'],
  inferShapes(node, shapes, consts) {
    checkAttributes(node, []);
    requireCount(node, shapes.length, 1);
    if (!consts[0]) {
      throw new ZkmlError('ONNX_DYNAMIC_SHAPE', `node '${node.name}' (NonZero): its input is computed at run time, so its output shape depends on the data; only NonZero of a constant is supported`, {
        node: node.name,
      });
    }
    return [nonZero(consts[0]).shape];
  },
  evalFloat: (node, [x]) => [nonZero(x)],
};
