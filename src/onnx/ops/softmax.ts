/**
 * Softmax. Opset 13 normalizes along one axis (default −1); opsets < 13 flatten the input to 2-D at
 * `axis` (default 1) and normalize each row. The IR does not carry the opset to the op families, so
 * only shapes on which both readings agree are accepted (e.g. [1, classes], or axis −1 with ones
 * in between); any other is refused naming the attribute.
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { intAttr, OpFamily, requireInputs } from './op-family';
import { allowAttributes } from './windows';

/** Groups of flat indices normalized together when dims [from, to) vary (others fixed). */
function groupsOver(shape: number[], from: number, to: number): Int32Array[] {
  const inner = sizeOf(shape.slice(to));
  const span = sizeOf(shape.slice(from, to));
  const outer = sizeOf(shape.slice(0, from));
  const groups: Int32Array[] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      groups.push(Int32Array.from({ length: span }, (_, k) => o * span * inner + k * inner + i));
    }
  }
  return groups;
}

/** Per softmax row: the flat indices of its elements, in order. */
export function softmaxGroups(node: IrNode, shape: number[]): Int32Array[] {
  allowAttributes(node, ['axis']);
  const r = shape.length;
  const explicit = node.attributes.axis !== undefined;
  const norm = (a: number) => (a < 0 ? a + r : a);
  const newAxis = norm(intAttr(node, 'axis', -1));
  const oldAxis = norm(intAttr(node, 'axis', 1));
  if (newAxis < 0 || newAxis >= Math.max(r, 1)) {
    throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}' (${node.opType}): axis ${intAttr(node, 'axis', -1)} is out of range for rank ${r}`, { node: node.name });
  }
  const current = groupsOver(shape, newAxis, newAxis + 1);
  if (oldAxis >= 0 && oldAxis <= r) {
    const legacy = groupsOver(shape, oldAxis, r);
    const same = legacy.length === current.length && legacy.every((g, i) => g.length === current[i].length && g.every((v, k) => v === current[i][k]));
    if (!same) {
      throw new ZkmlError(
        'ONNX_UNSUPPORTED_ATTRIBUTE',
        `node '${node.name}' (${node.opType}): ${explicit ? `axis=${intAttr(node, 'axis', -1)}` : 'the default axis'} on shape [${shape}] means different things before and after opset 13; only shapes where both agree are supported`,
        { node: node.name, attribute: 'axis' },
      );
    }
  }
  return current;
}

export const softmaxFamily: OpFamily = {
  ops: ['Softmax'],
  inferShapes(node, shapes) {
    requireInputs(node, shapes, 1);
    softmaxGroups(node, shapes[0]);
    return [shapes[0]];
  },
  evalFloat(node, [x]) {
    const data = new Float64Array(x.data.length);
    for (const g of softmaxGroups(node, x.shape)) {
      let m = -Infinity;
      for (const i of g) m = Math.max(m, x.data[i]);
      let s = 0;
      for (const i of g) s += data[i] = Math.exp(x.data[i] - m);
      for (const i of g) data[i] /= s;
    }
    return [{ shape: x.shape, data }];
  },
};
