/**
 * Adds intermediate tensors as graph outputs of an ONNX model, so onnxruntime returns them too (it
 * keeps every graph output, whatever it fuses). Used to measure each layer's error against
 * onnxruntime's own float run. No type is declared: onnxruntime infers it.
 */
import { onnx } from 'onnx-proto';

export function exposeOutputs(bytes: Uint8Array, names: string[]): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph as onnx.GraphProto;
  const existing = new Set(graph.output.map((o) => o.name));
  for (const name of names) {
    if (existing.has(name)) continue;
    graph.output.push(onnx.ValueInfoProto.create({ name }));
    existing.add(name);
  }
  return onnx.ModelProto.encode(model).finish();
}
