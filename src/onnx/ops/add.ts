import { sizeOf } from '../../formats/graph';
import { broadcastIndexMap, broadcastShapes } from '../tensor';
import { OpFamily, requireInputs } from './op-family';

/** Add: elementwise with numpy broadcasting (bias adds and residual adds). */
export const addFamily: OpFamily = {
  ops: ['Add'],
  inferShapes(node, shapes) {
    requireInputs(node, shapes, 2);
    return [broadcastShapes(shapes[0], shapes[1], node.name)];
  },
  evalFloat(node, [a, b]) {
    const shape = broadcastShapes(a.shape, b.shape, node.name);
    const ma = broadcastIndexMap(a.shape, shape);
    const mb = broadcastIndexMap(b.shape, shape);
    const data = new Float64Array(sizeOf(shape));
    for (let i = 0; i < data.length; i++) data[i] = a.data[ma[i]] + b.data[mb[i]];
    return [{ shape, data }];
  },
};
