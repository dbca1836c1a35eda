/**
 * The last step of the MNIST training scripts: write the trained model's files into its folder and
 * check the written ONNX in onnxruntime, since the shipped file, not the trainer, is what gets proved.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeEzklInput } from './ezkl-json';
import type { MnistDigit } from './mnist-mlp/dataset';

const CALIBRATION_SAMPLES = 256;

export interface TrainedModel {
  /** models/<name>/ in the source tree. */
  dir: string;
  onnx: Uint8Array;
  train: MnistDigit[];
  test: MnistDigit[];
  /** The trainer's classes for `test`. */
  trainerTest: number[];
  /** The classes onnxruntime gives for `digits` with the written model file. */
  predict(modelFile: string, digits: MnistDigit[]): Promise<number[]>;
  /** How the training went, printed before the accuracies. */
  trainingSummary: string;
  /** Also print onnxruntime's accuracy on the training digits. */
  trainAccuracy?: boolean;
}

/**
 * Writes model.onnx, input.json (test[0]) and calibration.json (the first 256 training digits),
 * prints trainer and onnxruntime accuracy, and fails when they disagree on more than one test digit.
 */
export async function exportModel(m: TrainedModel): Promise<void> {
  const modelFile = path.join(m.dir, 'model.onnx');
  fs.writeFileSync(modelFile, m.onnx);
  writeEzklInput(path.join(m.dir, 'input.json'), [m.test[0].pixels]);
  writeEzklInput(
    path.join(m.dir, 'calibration.json'),
    m.train.slice(0, CALIBRATION_SAMPLES).map((d) => d.pixels),
  );

  const ortTest = await m.predict(modelFile, m.test);
  const ortTrain = m.trainAccuracy ? await m.predict(modelFile, m.train) : undefined;
  const disagreements = ortTest.filter((p, i) => p !== m.trainerTest[i]).length;
  console.log(m.trainingSummary);
  console.log(`trainer:     test acc ${pct(fraction(m.trainerTest, m.test))}`);
  console.log(`onnxruntime: test acc ${pct(fraction(ortTest, m.test))}${ortTrain ? `, train acc ${pct(fraction(ortTrain, m.train))}` : ''}`);
  console.log(`onnxruntime vs trainer: ${disagreements} of ${m.test.length} test predictions differ`);
  console.log(`input.json digit: label ${m.test[0].label}; wrote ${modelFile} (${fs.statSync(modelFile).size} bytes)`);
  if (disagreements > 1) throw new Error('onnxruntime disagrees with the trainer: the export is wrong');
}

/** Runs a model file in onnxruntime over `digits` as one batch: input `input` of shape [n, ...sampleShape]; returns output `output`. */
export async function runBatch(modelFile: string, digits: MnistDigit[], sampleShape: number[], output: string): Promise<ort.Tensor['data']> {
  const session = await ort.InferenceSession.create(modelFile);
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(digits.length * size);
  digits.forEach((d, n) => data.set(d.pixels, n * size));
  const out = await session.run({ input: new ort.Tensor('float32', data, [digits.length, ...sampleShape]) });
  await session.release();
  return out[output].data;
}

/** The share of `digits` whose label is the predicted class. */
export function fraction(predicted: number[], digits: MnistDigit[]): number {
  return predicted.filter((p, i) => p === digits[i].label).length / digits.length;
}

export function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}
