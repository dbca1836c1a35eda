/**
 * Adds intermediate tensors as graph outputs of an ONNX model, so onnxruntime returns them too (it
 * keeps every graph output, whatever it fuses). Used to measure each layer's error against
 * onnxruntime's own float run.
 */
import { onnx } from 'onnx-proto';
import type { ElemType } from './ir';

const CODES: Partial<Record<ElemType, number>> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 };

export function exposeOutputs(bytes: Uint8Array, tensors: Array<{ name: string; elemType: ElemType }>): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph as onnx.GraphProto;
  const existing = new Set(graph.output.map((o) => o.name));
  for (const t of tensors) {
    if (existing.has(t.name) || CODES[t.elemType] === undefined) continue;
    graph.output.push(onnx.ValueInfoProto.create({ name: t.name, type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: CODES[t.elemType] }) }) }));
    existing.add(t.name);
  }
  return onnx.ModelProto.encode(model).finish();
}
