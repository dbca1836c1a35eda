/**
 * A repair for one known export defect, applied only to the copy of the model onnxruntime (the float
 * yardstick) loads: PyTorch's opset-10 GPT exports compare float tensors with Equal (the causal
 * mask), which ONNX allows only from opset 11, so onnxruntime refuses the file. Opset 11's Equal is
 * the same comparison, so the model is given to onnxruntime with its default-domain opset raised to
 * 11 — and only when no op in it changed meaning between 10 and 11 (Clip and Pad moved attributes
 * to inputs, Resize gained inputs, Scatter was replaced), and it has no subgraphs. Ingest and the
 * circuit read the model as it is: our Equal takes any numeric type.
 */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { onnx } = require('onnx-proto');

/** Ops whose opset-11 version reads its inputs or attributes differently from opset 10. */
const CHANGED_IN_OPSET_11: ReadonlySet<string> = new Set(['Clip', 'Pad', 'Resize', 'Upsample', 'Scatter', 'Loop', 'If', 'Scan']);

const isDefaultDomain = (domain: string | null | undefined): boolean => !domain || domain === 'ai.onnx';

/** The model with opset 11 in place of 10 when the repair applies (it has an Equal and nothing that changed), else undefined. */
export function raiseOpset10ForFloatEqual(bytes: Uint8Array): Uint8Array | undefined {
  let model;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    return undefined;
  }
  const entry = (model.opsetImport ?? []).find((o: { domain?: string }) => isDefaultDomain(o.domain));
  if (!entry || Number(entry.version) !== 10) return undefined;
  const nodes: Array<{ opType: string; domain?: string }> = model.graph?.node ?? [];
  const defaultOps = nodes.filter((n) => isDefaultDomain(n.domain)).map((n) => n.opType);
  if (!defaultOps.includes('Equal') || defaultOps.some((op) => CHANGED_IN_OPSET_11.has(op))) return undefined;
  entry.version = 11;
  return onnx.ModelProto.encode(model).finish();
}
