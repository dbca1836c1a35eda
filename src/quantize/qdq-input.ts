/**
 * A float graph input that only flows (through pure data movement) into a QuantizeLinear with a
 * power-of-two scale 2^-e is encoded at exactly e fraction bits: the input's own rounding is then
 * the model's quantization (no second rounding in the circuit). Its integer range holds the
 * quantized type's range and twice the calibrated magnitude; the QuantizeLinear saturates beyond.
 */
import type { Graph, IrNode } from '../formats/graph';
import { affineParams, quantizeOutputType, quantRange } from '../onnx/ops/quantized';

const MOVEMENT = new Set(['Transpose', 'Unsqueeze', 'Squeeze', 'Reshape', 'Flatten', 'Identity']);

export interface QuantizedInput {
  scaleBits: number;
  lo: bigint;
  hi: bigint;
}

export function quantizedInputEncoding(graph: Graph, input: string, calibratedMaxAbs = 0): QuantizedInput | undefined {
  const consumers = (name: string): IrNode[] => graph.nodes.filter((n) => n.inputs.includes(name));
  let name = input;
  for (;;) {
    const users = consumers(name);
    if (users.length !== 1 || graph.outputs.some((o) => o.name === name)) return undefined;
    const node = users[0];
    if (MOVEMENT.has(node.opType) && node.inputs[0] === name) {
      name = node.outputs[0];
      continue;
    }
    if (node.opType !== 'QuantizeLinear' || node.inputs[0] !== name) return undefined;
    const scale = graph.constants.get(node.inputs[1]);
    const zp = graph.constants.get(node.inputs[2]);
    if (!scale || scale.data.length !== 1) return undefined;
    const e = -Math.log2(Math.fround(scale.data[0]));
    if (!Number.isInteger(e) || e < 0 || e > 30) return undefined;
    const p = affineParams(node, graph.shapes.get(name)!, scale, zp);
    const { qmin, qmax } = quantRange(quantizeOutputType(node, zp), node);
    const z = p.zeroPoint[0];
    const reach = Math.max(Math.abs(qmin - z), Math.abs(qmax - z), 2 * calibratedMaxAbs * 2 ** e);
    const m = Math.ceil(Math.log2(reach + 1));
    return { scaleBits: e, lo: -(1n << BigInt(m)), hi: (1n << BigInt(m)) - 1n };
  }
}
