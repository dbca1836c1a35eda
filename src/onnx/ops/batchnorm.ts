/**
 * BatchNormalization, inference form: y = (x − mean) / sqrt(var + epsilon) · scale + B per channel
 * (axis 1). scale, B, mean and var must be constants; it is then the per-channel affine map
 * y = a·x + b. Ingest folds it into a preceding Conv/Gemm/MatMul (src/onnx/fold-batchnorm.ts);
 * otherwise it lowers as that affine map.
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { floatAttr, intAttr, OpFamily, requireInputs, unsupportedAttr } from './op-family';
import { allowAttributes } from './windows';

/** Per channel: y = a[c]·x + b[c]. */
export interface Affine {
  a: Float64Array;
  b: Float64Array;
}

export function batchNormAffine(node: IrNode, [scale, bias, mean, variance]: FloatTensor[]): Affine {
  const eps = floatAttr(node, 'epsilon', 1e-5);
  const a = scale.data.map((s, c) => s / Math.sqrt(variance.data[c] + eps));
  const b = bias.data.map((t, c) => t - mean.data[c] * a[c]);
  return { a, b };
}

/** Channel of flat element i in a tensor of `shape` (channel axis 1). */
export function channelOf(shape: number[], i: number): number {
  return Math.floor(i / sizeOf(shape.slice(2))) % shape[1];
}

export const batchNormFamily: OpFamily = {
  ops: ['BatchNormalization'],
  inferShapes(node, shapes, consts) {
    requireInputs(node, shapes, 5);
    allowAttributes(node, ['epsilon', 'momentum', 'spatial', 'training_mode', 'is_test']);
    if (intAttr(node, 'spatial', 1) !== 1) throw unsupportedAttr(node, 'spatial', node.attributes.spatial);
    if (intAttr(node, 'training_mode', 0) !== 0) throw unsupportedAttr(node, 'training_mode', node.attributes.training_mode);
    if (node.outputs.filter((o) => o !== '').length > 1) {
      throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (BatchNormalization): training outputs (running mean/var) are not supported`, { node: node.name });
    }
    const x = shapes[0];
    if (x.length < 2) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (BatchNormalization): input must be [N, C, ...], got [${x}]`);
    shapes.slice(1).forEach((s, i) => {
      if (s.length !== 1 || s[0] !== x[1]) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (BatchNormalization): input ${i + 1} has shape [${s}], expected [${x[1]}]`);
    });
    const varying = ['scale', 'B', 'mean', 'var'].filter((_, i) => !consts[i + 1]);
    if (varying.length > 0) {
      throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (BatchNormalization): ${varying.join(', ')} must be constant (inference form)`, { node: node.name, inputs: varying });
    }
    return [x];
  },
  evalFloat(node, [x, ...params]) {
    const { a, b } = batchNormAffine(node, params);
    const data = x.data.map((v, i) => {
      const c = channelOf(x.shape, i);
      return a[c] * v + b[c];
    });
    return [{ shape: x.shape, data }];
  },
};
