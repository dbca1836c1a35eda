import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { intAttr, OpFamily, requireInputs } from './op-family';

/** Shape-only ops: the data is untouched, only the shape changes (no constraints in the circuit). */
function reshapeTarget(node: IrNode, inShape: number[], spec: number[]): number[] {
  const allowZero = intAttr(node, 'allowzero', 0) === 1;
  const out = spec.map((d, i) => (d === 0 && !allowZero ? inShape[i] : d));
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const unknown = out.filter((d) => d === -1).length;
  if (unknown > 1) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}': Reshape with more than one -1`);
  if (unknown === 1) {
    if (known === 0 || sizeOf(inShape) % known !== 0) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}': cannot reshape [${inShape}] to [${spec}]`);
    out[out.indexOf(-1)] = sizeOf(inShape) / known;
  }
  if (sizeOf(out) !== sizeOf(inShape)) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}': cannot reshape [${inShape}] to [${spec}]`);
  return out;
}

function flattenTarget(node: IrNode, inShape: number[]): number[] {
  let axis = intAttr(node, 'axis', 1);
  if (axis < 0) axis += inShape.length;
  if (axis < 0 || axis > inShape.length) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}': Flatten axis out of range`);
  return [sizeOf(inShape.slice(0, axis)), sizeOf(inShape.slice(axis))];
}

export const reshapeFamily: OpFamily = {
  ops: ['Reshape', 'Flatten', 'Identity'],
  inferShapes(node, shapes, consts) {
    if (node.opType === 'Identity') {
      requireInputs(node, shapes, 1);
      return [shapes[0]];
    }
    if (node.opType === 'Flatten') {
      requireInputs(node, shapes, 1);
      return [flattenTarget(node, shapes[0])];
    }
    if (shapes.length === 1 && Array.isArray(node.attributes.shape)) {
      return [reshapeTarget(node, shapes[0], node.attributes.shape as number[])];
    }
    requireInputs(node, shapes, 2);
    const spec = consts[1];
    if (!spec) {
      throw new ZkmlError('ONNX_DYNAMIC_SHAPE', `node '${node.name}' (Reshape): the target shape is computed at run time`, { node: node.name });
    }
    return [reshapeTarget(node, shapes[0], Array.from(spec.data))];
  },
  evalFloat(node, inputs) {
    const shape = this.inferShapes(
      node,
      inputs.map((t) => t.shape),
      inputs,
    );
    return [{ shape: shape[0], data: inputs[0].data }];
  },
};
