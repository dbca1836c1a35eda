import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { broadcastIndexMap } from '../tensor';
import { evalContraction, gemmContraction, matmulContraction } from './contraction';
import { floatAttr, intAttr, OpFamily, requireInputs, unsupportedAttr } from './op-family';

/** Gemm: Y = alpha * A' B' + beta * C, and MatMul: numpy matmul. */
export function gemmParams(node: IrNode): { alpha: number; beta: number; transA: boolean; transB: boolean } {
  if (node.attributes.broadcast !== undefined && intAttr(node, 'broadcast', 0) !== 1) {
    // opset < 7 Gemm without broadcast is the same computation for the shapes we accept.
  }
  return {
    alpha: floatAttr(node, 'alpha', 1),
    beta: floatAttr(node, 'beta', 1),
    transA: intAttr(node, 'transA', 0) === 1,
    transB: intAttr(node, 'transB', 0) === 1,
  };
}

export function gemmBiasShape(node: IrNode, cShape: number[], outShape: number[]): void {
  if (cShape.length > 2 || cShape.some((d, i) => d !== 1 && d !== outShape[outShape.length - cShape.length + i])) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}': Gemm C of shape [${cShape}] does not broadcast to [${outShape}]`);
  }
}

export const gemmFamily: OpFamily = {
  ops: ['Gemm', 'MatMul'],
  inferShapes(node, shapes) {
    if (node.opType === 'MatMul') {
      requireInputs(node, shapes, 2);
      return [matmulContraction(shapes[0], shapes[1], node.name).outShape];
    }
    requireInputs(node, shapes, 2, 3);
    const p = gemmParams(node);
    for (const k of Object.keys(node.attributes)) {
      if (!['alpha', 'beta', 'transA', 'transB', 'broadcast'].includes(k)) throw unsupportedAttr(node, k, node.attributes[k]);
    }
    const out = gemmContraction(shapes[0], shapes[1], p.transA, p.transB, node.name).outShape;
    if (shapes[2]) gemmBiasShape(node, shapes[2], out);
    return [out];
  },
  evalFloat(node, inputs) {
    if (node.opType === 'MatMul') {
      const c = matmulContraction(inputs[0].shape, inputs[1].shape, node.name);
      return [{ shape: c.outShape, data: evalContraction(c, inputs[0].data, inputs[1].data) }];
    }
    const p = gemmParams(node);
    const c = gemmContraction(inputs[0].shape, inputs[1].shape, p.transA, p.transB, node.name);
    const data = evalContraction(c, inputs[0].data, inputs[1].data, p.alpha);
    const bias: FloatTensor | undefined = inputs[2];
    if (bias) {
      const map = broadcastIndexMap(bias.shape, c.outShape);
      for (let i = 0; i < sizeOf(c.outShape); i++) data[i] += p.beta * bias.data[map[i]];
    }
    return [{ shape: c.outShape, data }];
  },
};
