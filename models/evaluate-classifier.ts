/**
 * Float vs circuit on held-out labelled samples for a shipped single-input classifier: the float model
 * is onnxruntime on the shipped model.onnx, the circuit is the integer reference of the model quantized
 * with the shipped calibration at default settings (what `zkml compile --calibration` builds; the
 * circuit's witness equals the reference bit for bit, which each model's test checks on input.json).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseSettings } from '../src/formats/settings';
import { loadOnnx } from '../src/onnx/load';
import { createOrtSession, runOrt } from '../src/onnx/runtime';
import { packageRoot } from '../src/package-root';
import { quantizeSample } from '../src/quantize/codec';
import { quantizeGraph } from '../src/quantize/quantize';
import { runReference } from '../src/quantize/reference';
import { argmax } from './autodiff';
import { readEzklInput } from './ezkl-json';

export interface HeldOutResult {
  n: number;
  /** Correct labels: onnxruntime, the circuit. */
  float: number;
  circuit: number;
  /** Samples where the circuit's class is onnxruntime's. */
  agree: number;
  /** Largest and mean |circuit − onnxruntime| over every output value. */
  maxError: number;
  meanError: number;
}

export async function evaluateClassifier(name: string, samples: { values: number[]; label: number }[]): Promise<HeldOutResult> {
  const dir = path.join(packageRoot(), 'models', name);
  const bytes = fs.readFileSync(path.join(dir, 'model.onnx'));
  const graph = loadOnnx(bytes);
  const input = graph.inputs[0];
  const calibration = readEzklInput(path.join(dir, 'calibration.json')).input_data.map((x) => new Map([[input.name, Float64Array.from(x)]]));
  const model = quantizeGraph(graph, parseSettings({}), calibration);
  const out = model.outputs[0];
  const session = await createOrtSession(bytes);
  const r: HeldOutResult = { n: samples.length, float: 0, circuit: 0, agree: 0, maxError: 0, meanError: 0 };
  try {
    for (const s of samples) {
      const sample = new Map([[input.name, Float64Array.from(s.values)]]);
      const [ort] = await runOrt(session, graph.inputs, sample);
      const circuit = runReference(model, quantizeSample(model, sample))[out.tensor].map((v) => Number(v) / 2 ** out.scaleBits);
      const f = argmax(ort.values);
      const c = argmax(circuit);
      r.float += f === s.label ? 1 : 0;
      r.circuit += c === s.label ? 1 : 0;
      r.agree += f === c ? 1 : 0;
      ort.values.forEach((w, i) => {
        const err = Math.abs(circuit[i] - w);
        r.maxError = Math.max(r.maxError, err);
        r.meanError += err / (samples.length * ort.values.length);
      });
    }
  } finally {
    await session.release();
  }
  return r;
}

export function describeHeldOut(r: HeldOutResult): string {
  const pct = (k: number) => `${k}/${r.n} (${((100 * k) / r.n).toFixed(1)} %)`;
  return `held out: float ${pct(r.float)}, circuit ${pct(r.circuit)}; same class ${pct(r.agree)}; output error max ${r.maxError.toFixed(4)}, mean ${r.meanError.toFixed(4)}`;
}
