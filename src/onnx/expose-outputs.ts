/**
 * Adds intermediate tensors as graph outputs of an ONNX model, so onnxruntime returns them too (it
 * keeps every graph output, whatever it fuses). Used to measure each layer's error against
 * onnxruntime's own float run. No type is declared: onnxruntime infers it.
 *
 * The model is not decoded again (ingest did that once): the new `output` entries are appended at
 * the end of the ModelProto's `graph` field and its length prefix rewritten. Repeated fields may
 * come in any order and their elements are read in order of appearance, so every protobuf reader
 * sees the original model with these outputs after its own.
 */
import { onnx } from 'onnx-proto';

const GRAPH_FIELD = 7; // ModelProto.graph

/** `existing`: the model's own graph output names (never added twice). */
export function exposeOutputs(bytes: Uint8Array, existing: string[], names: string[]): Uint8Array {
  const seen = new Set(existing);
  const output: onnx.ValueInfoProto[] = [];
  for (const name of names) {
    if (seen.has(name)) continue;
    output.push(onnx.ValueInfoProto.create({ name }));
    seen.add(name);
  }
  // A GraphProto holding only these outputs is exactly their field entries.
  const entries = onnx.GraphProto.encode(onnx.GraphProto.create({ output })).finish();
  const graph = graphField(bytes);
  const length = varint(graph.end - graph.start + entries.byteLength);
  const out = new Uint8Array(graph.lengthAt + length.byteLength + (graph.end - graph.start) + entries.byteLength + (bytes.byteLength - graph.end));
  let at = 0;
  for (const part of [bytes.subarray(0, graph.lengthAt), length, bytes.subarray(graph.start, graph.end), entries, bytes.subarray(graph.end)]) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/**
 * Where the (last, the one a decoder keeps) `graph` field of a ModelProto lies: its length prefix
 * and its contents. Only the top-level fields are walked, each skipped by its wire type.
 */
function graphField(bytes: Uint8Array): { lengthAt: number; start: number; end: number } {
  let found: { lengthAt: number; start: number; end: number } | undefined;
  let pos = 0;
  const read = (): number => {
    let v = 0;
    for (let scale = 1; ; scale *= 128) {
      if (pos >= bytes.byteLength) throw new Error('truncated varint');
      const b = bytes[pos++];
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
    }
  };
  while (pos < bytes.byteLength) {
    const tag = read();
    switch (tag % 8) {
      case 0:
        read();
        break;
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        const lengthAt = pos;
        const n = read();
        if (Math.floor(tag / 8) === GRAPH_FIELD) found = { lengthAt, start: pos, end: pos + n };
        pos += n;
        break;
      }
      default:
        throw new Error(`wire type ${tag % 8} in a ModelProto`);
    }
  }
  if (!found || found.end > bytes.byteLength) throw new Error('the model has no graph field');
  return found;
}

function varint(v: number): Uint8Array {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Uint8Array.from(out);
}
