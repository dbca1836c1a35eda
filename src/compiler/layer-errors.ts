/**
 * Accuracy over the calibration set, in one pass: each sample is quantized and run through the
 * integer reference once, and compared with both yardsticks.
 *  - Per layer: every layer output that is a tensor of the ONNX graph is compared, dequantized,
 *    with onnxruntime's float run of that same tensor (exposed as an extra graph output). This shows
 *    where quantization costs accuracy, layer by layer. It is a report, so when onnxruntime cannot
 *    expose a tensor the compile goes on without the figures.
 *  - Per model output: the max error against the float executor (the op families' float semantics).
 */
import { ZkmlError } from '../errors';
import type { Graph } from '../formats/graph';
import { exposeOutputs } from '../onnx/expose-outputs';
import { createOrtSession, OrtSession, runOrt } from '../onnx/runtime';
import { runFloat } from '../quantize/float-executor';
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

export interface CalibrationAccuracy {
  /** Layer output tensor id → error against onnxruntime; empty without samples or when onnxruntime cannot expose them. */
  layers: Map<number, LayerError>;
  /** Per model output: max |dequantized integer reference − float executor| over the samples. */
  outputs: number[];
}

/** The float executor's graph outputs of one sample, by name. */
export type FloatOutputs = ReadonlyMap<string, Float64Array>;

/**
 * `floats[i]`, when given, holds sample i's float executor outputs (kept from the calibration run
 * that chose the scales, so the graph is not run again); otherwise they are computed here.
 */
export async function calibrationAccuracy(bytes: Uint8Array, graph: Graph, model: QuantizedModel, samples: InputSample[], floats?: ReadonlyArray<FloatOutputs>): Promise<CalibrationAccuracy> {
  const outputs = model.outputs.map(() => 0);
  const layers = new Map<number, LayerError>();
  if (samples.length === 0) return { layers, outputs };
  const produced = new Set(graph.nodes.flatMap((n) => n.outputs));
  const layerTensors = model.layers.map((l) => model.tensors[l.out]).filter((t) => produced.has(t.name));
  let session: OrtSession | undefined;
  if (layerTensors.length > 0) {
    const exposed = exposeOutputs(
      bytes,
      graph.outputs.map((o) => o.name),
      layerTensors.map((t) => t.name),
    );
    // onnxruntime may refuse the augmented model (an unusual tensor type): no per-layer figures then.
    session = await createOrtSession(exposed).catch(() => undefined);
  }
  try {
    const sums = new Map<number, { max: number; sum: number; count: number; samples: number }>();
    for (const [s, sample] of samples.entries()) {
      let quantized: Map<number, bigint[]>;
      try {
        quantized = quantizeSample(model, sample);
      } catch {
        continue; // outside the circuit's input range: says nothing about accuracy
      }
      let ints: bigint[][];
      try {
        ints = runReference(model, quantized);
      } catch (err) {
        // A divisor that quantizes to 0: no proof exists for this sample.
        if (err instanceof ZkmlError && err.code === 'INPUT_OUT_OF_RANGE') continue;
        throw err;
      }
      if (session) {
        let ort;
        try {
          ort = new Map((await runOrt(session, graph.inputs, sample)).map((o) => [o.name, o.values]));
        } catch {
          // onnxruntime cannot run the augmented model: no per-layer figures rather than a failed compile
          await session.release();
          session = undefined;
          sums.clear();
        }
        for (const t of ort ? layerTensors : []) {
          const want = ort!.get(t.name);
          if (!want || want.length !== t.size) continue;
          const e = sums.get(t.id) ?? { max: 0, sum: 0, count: 0, samples: 0 };
          ints[t.id].forEach((v, i) => {
            const d = Math.abs(Number(v) / 2 ** t.scaleBits - want[i]);
            e.max = Math.max(e.max, d);
            e.sum += d;
            e.count++;
          });
          e.samples++;
          sums.set(t.id, e);
        }
      }
      const float = floats?.[s] ?? floatOutputs(graph, sample);
      model.outputs.forEach((o, j) => {
        const f = float.get(o.name)!;
        ints[o.tensor].forEach((v, i) => {
          outputs[j] = Math.max(outputs[j], Math.abs(Number(v) / 2 ** o.scaleBits - f[i]));
        });
      });
    }
    for (const [id, e] of sums) layers.set(id, { maxAbsError: e.max, meanAbsError: e.count > 0 ? e.sum / e.count : 0, samples: e.samples });
  } finally {
    await session?.release();
  }
  return { layers, outputs };
}

/** The graph outputs of one float executor run. */
export function floatOutputs(graph: Graph, sample: InputSample): FloatOutputs {
  return pickOutputs(graph, runFloat(graph, sample));
}

/** From all tensors of a float run, the graph outputs'. */
export function pickOutputs(graph: Graph, values: ReadonlyMap<string, { data: Float64Array }>): FloatOutputs {
  return new Map(graph.outputs.map((o) => [o.name, values.get(o.name)!.data]));
}
