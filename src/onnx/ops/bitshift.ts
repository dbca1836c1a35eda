/**
 * BitShift(x, y) on unsigned integer tensors with numpy broadcasting: direction LEFT is x·2^y,
 * RIGHT is ⌊x / 2^y⌋ (src/quantize/lower/bitshift.ts). ONNX defines it on uint8..uint64 only;
 * the shift amount must lie below the type's width (a larger shift is undefined in ONNX): a constant
 * one is checked here, a run-time one has no witness outside [0, width). A LEFT shift must not wrap
 * (the circuit proves the unwrapped value, so the bounds must show it fits).
 */
import { ZkmlError } from '../../errors';
import type { Graph, IrNode } from '../../formats/graph';
import { broadcastBinary, broadcastShapes } from '../tensor';
import { checkAttributes, requireCount } from './index-map';
import type { OpFamily } from './op-family';
import { unsupportedAttr } from './op-family';

/** 'LEFT' or 'RIGHT'; anything else is refused naming the attribute. */
export function shiftDirection(node: IrNode): 'LEFT' | 'RIGHT' {
  const d = node.attributes.direction;
  if (d !== 'LEFT' && d !== 'RIGHT') throw unsupportedAttr(node, 'direction', d);
  return d;
}

/** TensorProto codes of the unsigned types and their widths. */
const UINT_WIDTH: Record<number, number> = { 2: 8, 4: 16, 12: 32, 13: 64 };

/**
 * The bit width of x's unsigned type: a Cast's `to`, through BitShifts of it; otherwise uint8, the
 * only unsigned type ingest reads (the narrowest, so a wrap is never missed).
 */
export function uintWidth(graph: Graph, name: string): number {
  const producer = graph.nodes.find((n) => n.outputs.includes(name));
  if (producer?.opType === 'Cast' && typeof producer.attributes.to === 'number') return UINT_WIDTH[producer.attributes.to] ?? 8;
  if (producer?.opType === 'BitShift') return uintWidth(graph, producer.inputs[0]);
  return 8;
}

/** The constant shift amounts, each an integer in [0, width). */
export function checkShifts(node: IrNode, shifts: ArrayLike<number>, width: number): void {
  for (const y of Array.from(shifts)) {
    if (!Number.isInteger(y) || y < 0 || y >= width) {
      throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (BitShift): the shift amount ${y} is outside [0, ${width}) for a ${width}-bit type (ONNX leaves it undefined)`, {
        node: node.name,
        opType: 'BitShift',
      });
    }
  }
}

export const bitShiftFamily: OpFamily = {
  ops: ['BitShift'],
  inferShapes(node, shapes, constInputs) {
    checkAttributes(node, ['direction']);
    shiftDirection(node);
    requireCount(node, shapes.length, 2);
    // A run-time amount is range-checked into [0, width) at lowering (no witness outside).
    if (constInputs[1]) checkShifts(node, constInputs[1].data, 64);
    return [broadcastShapes(shapes[0], shapes[1], node.name)];
  },
  evalFloat(node, [x, y]) {
    const left = shiftDirection(node) === 'LEFT';
    return [broadcastBinary(x, y, node.name, (a, b) => (left ? a * 2 ** b : Math.floor(a / 2 ** b)))];
  },
};
