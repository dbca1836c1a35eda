/**
 * Float vs circuit on held-out inputs for models/transformer-encoder: the compiled integer model
 * (which the circuit equals, witness for witness: test/models/transformer-encoder.test.ts) against
 * onnxruntime on 200 seeded inputs the calibration never saw. Prints how often the chosen class
 * agrees and the largest and mean score error.
 * Run: node dist/models/transformer-encoder/evaluate.js BUILD_DIR   (a `zkml compile` of model.onnx)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCompiled } from '../../src/formats/compiled-model';
import { createOrtSession, runOrt } from '../../src/onnx/runtime';
import { quantizeSample } from '../../src/quantize/codec';
import { runReference } from '../../src/quantize/reference';
import { packageRoot } from '../../src/package-root';
import { seededRng } from '../rng';
import { sample } from './build';

const HELD_OUT = 200;

const argmax = (v: ArrayLike<number>): number => Array.from(v).reduce((best, x, i, a) => (x > a[best] ? i : best), 0);

async function main(): Promise<void> {
  const buildDir = process.argv[2];
  if (!buildDir) throw new Error('usage: evaluate.js BUILD_DIR');
  const { model } = readCompiled(buildDir);
  const session = await createOrtSession(fs.readFileSync(path.join(packageRoot(), 'models', 'transformer-encoder', 'model.onnx')));
  const rng = seededRng(1409);
  const out = model.outputs[0];
  let agree = 0;
  let worst = 0;
  let total = 0;
  let count = 0;
  for (let s = 0; s < HELD_OUT; s++) {
    const x = Float64Array.from(sample(rng));
    const input = new Map([['x', x]]);
    const [ort] = await runOrt(session, [{ name: 'x', elemType: 'float32', shape: [1, 4, 8] }], input);
    const ints = runReference(model, quantizeSample(model, input))[out.tensor];
    const circuit = ints.map((v) => Number(v) / 2 ** out.scaleBits);
    if (argmax(circuit) === argmax(ort.values)) agree++;
    ort.values.forEach((w, i) => {
      const err = Math.abs(circuit[i] - w);
      worst = Math.max(worst, err);
      total += err;
      count++;
    });
  }
  await session.release();
  console.log(`held-out inputs: ${HELD_OUT}; class agrees with onnxruntime on ${agree} (${((100 * agree) / HELD_OUT).toFixed(1)} %)`);
  console.log(`score error: max ${worst.toFixed(4)}, mean ${(total / count).toFixed(4)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
