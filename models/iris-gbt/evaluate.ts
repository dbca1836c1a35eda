/**
 * The shipped Iris tree ensemble's accuracy on the held-out samples, in float (our float executor,
 * onnxruntime's semantics) and in the circuit (the integer reference, which the circuit's witness
 * equals bit for bit), at the default compile settings with the shipped calibration:
 *
 *   npm run build && node dist/models/iris-gbt/evaluate.js
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadOnnx } from '../../src/onnx/load';
import { parseSettings } from '../../src/formats/settings';
import { quantizeGraph } from '../../src/quantize/quantize';
import { quantizeSample } from '../../src/quantize/codec';
import { runReference } from '../../src/quantize/reference';
import { runFloat } from '../../src/quantize/float-executor';
import { packageRoot } from '../../src/package-root';
import { readEzklInput } from '../ezkl-json';
import { irisSplit } from './train';

export function evaluateIris(): { float: number; circuit: number; agree: number; n: number } {
  const dir = path.join(packageRoot(), 'models', 'iris-gbt');
  const graph = loadOnnx(fs.readFileSync(path.join(dir, 'model.onnx')));
  const calibration = readEzklInput(path.join(dir, 'calibration.json')).input_data.map((x) => new Map([['x', Float64Array.from(x)]]));
  const model = quantizeGraph(graph, parseSettings({}), calibration);
  const label = model.outputs.find((o) => o.name === 'label')!;
  const { test } = irisSplit();
  let float = 0;
  let circuit = 0;
  let agree = 0;
  test.features.forEach((x, i) => {
    const sample = new Map([['x', Float64Array.from(x, Math.fround)]]);
    const f = runFloat(graph, sample).get('label')!.data[0];
    const c = Number(runReference(model, quantizeSample(model, sample))[label.tensor][0]);
    float += f === test.labels[i] ? 1 : 0;
    circuit += c === test.labels[i] ? 1 : 0;
    agree += f === c ? 1 : 0;
  });
  return { float, circuit, agree, n: test.labels.length };
}

if (require.main === module) {
  const r = evaluateIris();
  console.log(`held-out accuracy: float ${r.float}/${r.n}, circuit ${r.circuit}/${r.n}; circuit = float label on ${r.agree}/${r.n}`);
}
