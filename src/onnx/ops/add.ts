import { broadcastBinary, broadcastShapes } from '../tensor';
import { OpFamily, requireInputs } from './op-family';

/** Add: elementwise with numpy broadcasting (bias adds and residual adds). */
export const addFamily: OpFamily = {
  ops: ['Add'],
  inferShapes(node, shapes) {
    requireInputs(node, shapes, 2);
    return [broadcastShapes(shapes[0], shapes[1], node.name)];
  },
  evalFloat(node, [a, b]) {
    return [broadcastBinary(a, b, node.name, (x, y) => x + y)];
  },
};
