import { OpFamily, requireInputs } from './op-family';

/** Relu: max(0, x), elementwise. */
export const reluFamily: OpFamily = {
  ops: ['Relu'],
  inferShapes(node, shapes) {
    requireInputs(node, shapes, 1);
    return [shapes[0]];
  },
  evalFloat(_node, [x]) {
    return [{ shape: x.shape, data: x.data.map((v) => (v > 0 ? v : 0)) }];
  },
};
