/**
 * The last step of the sequence-model build scripts (gru-sequence, transformer-encoder): write the
 * trained model's files into its folder and check the written ONNX in onnxruntime against the trainer,
 * since the shipped file, not the trainer, is what gets proved.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { argmax } from './autodiff';
import { writeEzklInput } from './ezkl-json';

export interface LabelledSample {
  values: number[];
  label: number;
}

/** onnxruntime's classes (argmax of the first output) for single samples of `shape`, one run each. */
export async function ortClasses(modelFile: string, samples: number[][], shape: number[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(modelFile);
  try {
    const out: number[] = [];
    for (const values of samples) {
      const r = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(values), shape) });
      out.push(argmax(r[session.outputNames[0]].data as Float32Array));
    }
    return out;
  } finally {
    await session.release();
  }
}

/**
 * Writes model.onnx, input.json (test[0]) and calibration.json, prints the losses and the held-out
 * accuracy of trainer and onnxruntime, and fails when they disagree on any held-out sample.
 */
export async function writeTrained(m: { dir: string; onnx: Uint8Array; shape: number[]; losses: number[]; calibration: number[][]; test: LabelledSample[]; trainerTest: number[] }): Promise<void> {
  const modelFile = path.join(m.dir, 'model.onnx');
  fs.writeFileSync(modelFile, m.onnx);
  writeEzklInput(path.join(m.dir, 'input.json'), [m.test[0].values]);
  writeEzklInput(path.join(m.dir, 'calibration.json'), m.calibration);
  const ortTest = await ortClasses(
    modelFile,
    m.test.map((s) => s.values),
    m.shape,
  );
  const correct = (p: number[]) => p.filter((c, i) => c === m.test[i].label).length;
  const differ = ortTest.filter((c, i) => c !== m.trainerTest[i]).length;
  console.log(`loss per epoch: ${m.losses.map((l) => l.toFixed(3)).join(' ')}`);
  console.log(`held out (${m.test.length}): trainer ${correct(m.trainerTest)}, onnxruntime ${correct(ortTest)}; they differ on ${differ}`);
  console.log(`wrote ${modelFile} (${m.onnx.length} bytes)`);
  if (differ > 0) throw new Error('onnxruntime disagrees with the trainer: the export is wrong');
}
