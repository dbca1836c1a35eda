/**
 * Per-layer accuracy over the calibration set: every layer output that is a tensor of the ONNX graph
 * is compared, dequantized, with onnxruntime's float run of that same tensor (exposed as an extra
 * graph output). This shows where quantization costs accuracy, layer by layer. It is a report, so
 * when onnxruntime cannot expose a tensor the compile goes on without the figures.
 */
import type { Graph } from '../formats/graph';
import { exposeOutputs } from '../onnx/expose-outputs';
import { createOrtSession, runOrt } from '../onnx/runtime';
import { quantizeSample } from '../quantize/codec';
import type { InputSample } from '../formats/input-document';
import type { QuantizedModel } from '../formats/quantized-model';
import { runReference } from '../quantize/reference';

export interface LayerError {
  maxAbsError: number;
  meanAbsError: number;
  /** Calibration samples compared (those inside the circuit's input range). */
  samples: number;
}

/** Layer output tensor id → error against onnxruntime; empty without samples or when onnxruntime cannot expose them. */
export async function layerErrors(bytes: Uint8Array, graph: Graph, model: QuantizedModel, samples: InputSample[]): Promise<Map<number, LayerError>> {
  const result = new Map<number, LayerError>();
  if (samples.length === 0) return result;
  const produced = new Set(graph.nodes.flatMap((n) => n.outputs));
  const layerTensors = model.layers.map((l) => model.tensors[l.out]).filter((t) => produced.has(t.name));
  if (layerTensors.length === 0) return result;
  const exposed = exposeOutputs(bytes, layerTensors.map((t) => t.name));
  let session;
  try {
    session = await createOrtSession(exposed);
  } catch {
    return result; // onnxruntime refused the augmented model (an unusual tensor type): no per-layer figures
  }
  try {
    const sums = new Map<number, { max: number; sum: number; count: number; samples: number }>();
    for (const sample of samples) {
      let quantized: Map<number, bigint[]>;
      try {
        quantized = quantizeSample(model, sample);
      } catch {
        continue; // outside the circuit's input range: says nothing about accuracy
      }
      const ints = runReference(model, quantized);
      let outputs;
      try {
        outputs = await runOrt(session, graph.inputs, sample);
      } catch {
        return new Map(); // onnxruntime cannot run the augmented model: no per-layer figures rather than a failed compile
      }
      const ort = new Map(outputs.map((o) => [o.name, o.values]));
      for (const t of layerTensors) {
        const want = ort.get(t.name);
        if (!want || want.length !== t.size) continue;
        const s = sums.get(t.id) ?? { max: 0, sum: 0, count: 0, samples: 0 };
        ints[t.id].forEach((v, i) => {
          const e = Math.abs(Number(v) / 2 ** t.scaleBits - want[i]);
          s.max = Math.max(s.max, e);
          s.sum += e;
          s.count++;
        });
        s.samples++;
        sums.set(t.id, s);
      }
    }
    for (const [id, s] of sums) result.set(id, { maxAbsError: s.max, meanAbsError: s.count > 0 ? s.sum / s.count : 0, samples: s.samples });
  } finally {
    await session.release();
  }
  return result;
}
