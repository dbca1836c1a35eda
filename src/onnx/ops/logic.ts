/**
 * Comparisons and logic on tensors computed at run time: Less, LessOrEqual, Greater,
 * GreaterOrEqual (numeric, broadcast, bool result), And, Or, Xor (bool), Sign, Floor, Ceil, Round (half to even). Equal and Not share
 * the constant folders of ./shape-consts and Where the index map of ./movement; all of them lower
 * in src/quantize/lower/logic.ts. A bool is 1 or 0 here, as onnxruntime's float casts show it.
 */
import type { FloatTensor } from '../../formats/graph';
import { broadcastBinary, broadcastShapes } from '../tensor';
import { checkAttributes, requireCount } from './index-map';
import type { OpFamily } from './op-family';
import { roundHalfEven } from './quantized';

const BINARY: Record<string, (x: number, y: number) => boolean> = {
  Less: (x, y) => x < y,
  LessOrEqual: (x, y) => x <= y,
  Greater: (x, y) => x > y,
  GreaterOrEqual: (x, y) => x >= y,
  And: (x, y) => x !== 0 && y !== 0,
  Or: (x, y) => x !== 0 || y !== 0,
  Xor: (x, y) => (x !== 0) !== (y !== 0),
};

export const COMPARISON_OPS: readonly string[] = ['Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual'];
export const BOOLEAN_OPS: readonly string[] = ['And', 'Or', 'Xor'];
/** Unary ops with an integer result. */
export const ROUNDING_OPS: readonly string[] = ['Sign', 'Floor', 'Ceil', 'Round'];

export const logicFamily: OpFamily = {
  ops: [...COMPARISON_OPS, ...BOOLEAN_OPS, ...ROUNDING_OPS],
  inferShapes(node, shapes) {
    checkAttributes(node, []);
    if (ROUNDING_OPS.includes(node.opType)) {
      requireCount(node, shapes.length, 1);
      return [shapes[0]];
    }
    requireCount(node, shapes.length, 2);
    return [broadcastShapes(shapes[0], shapes[1], node.name)];
  },
  evalFloat(node, inputs): FloatTensor[] {
    const unary = { Sign: Math.sign, Floor: Math.floor, Ceil: Math.ceil, Round: roundHalfEven }[node.opType];
    if (unary) return [{ shape: inputs[0].shape, data: inputs[0].data.map(unary) }];
    const test = BINARY[node.opType];
    return [broadcastBinary(inputs[0], inputs[1], node.name, (x, y) => (test(x, y) ? 1 : 0))];
  },
};
