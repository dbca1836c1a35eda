/**
 * Trains the MNIST MLP (784→32→10, Gemm+Relu+Gemm) on the fixed split from dataset.ts and writes
 * model.onnx, input.json and calibration.json into models/mnist-mlp/ in the source tree.
 * Run: npm run build && node dist/models/mnist-mlp/train.js
 */
import { writeOnnx } from '../../src/onnx/writer';
import { exportModel, fraction, pct, runBatch } from '../export-model';
import { modelSourceDir } from '../source-dir';
import { Rng, seededRng } from '../rng';
import { loadMnistSplit, MnistDigit } from './dataset';
import { accumulateGradient, argmax, CLASSES, forward, HIDDEN, INPUTS, initParams, makeScratch, MlpParams, zeroParams } from './mlp';

const SEED = 7;
const EPOCHS = 15;
const BATCH = 32;
const LEARNING_RATE = 2e-3;

/** Adam with a cosine-decayed step size. */
class Adam {
  private readonly m = zeroParams();
  private readonly v = zeroParams();
  private t = 0;
  constructor(
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
  ) {}

  step(p: MlpParams, g: MlpParams, lr: number): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    for (const key of ['w1t', 'b1', 'w2', 'b2'] as const) {
      const [w, grad, m, v] = [p[key], g[key], this.m[key], this.v[key]];
      for (let i = 0; i < w.length; i++) {
        m[i] = this.beta1 * m[i] + (1 - this.beta1) * grad[i];
        v[i] = this.beta2 * v[i] + (1 - this.beta2) * grad[i] * grad[i];
        w[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + this.eps);
      }
    }
  }
}

function clear(g: MlpParams): void {
  g.w1t.fill(0);
  g.b1.fill(0);
  g.w2.fill(0);
  g.b2.fill(0);
}

function train(digits: MnistDigit[], test: MnistDigit[], rng: Rng): MlpParams {
  const params = initParams(rng);
  const grads = zeroParams();
  const adam = new Adam();
  const scratch = makeScratch();
  const order = digits.map((_, i) => i);
  const totalSteps = EPOCHS * Math.ceil(digits.length / BATCH);
  let step = 0;
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    rng.shuffle(order);
    let loss = 0;
    let correct = 0;
    for (let start = 0; start < order.length; start += BATCH) {
      const batch = order.slice(start, start + BATCH);
      clear(grads);
      for (const i of batch) {
        const r = accumulateGradient(params, digits[i].pixels, digits[i].label, 1 / batch.length, grads, scratch);
        loss += r.loss;
        if (r.correct) correct++;
      }
      const lr = LEARNING_RATE * 0.5 * (1 + Math.cos((Math.PI * step++) / totalSteps));
      adam.step(params, grads, lr);
    }
    const trainAcc = correct / digits.length;
    console.log(`epoch ${epoch}: loss ${(loss / digits.length).toFixed(4)}, running train acc ${pct(trainAcc)}, test acc ${pct(accuracy(params, test))}`);
  }
  return params;
}

function predictions(params: MlpParams, digits: MnistDigit[]): number[] {
  const s = makeScratch();
  return digits.map((d) => {
    forward(params, d.pixels, s.hidden, s.logits);
    return argmax(s.logits);
  });
}

function accuracy(params: MlpParams, digits: MnistDigit[]): number {
  return fraction(predictions(params, digits), digits);
}

/** Gemm(transB=1) → Relu → Gemm(transB=1); W1 goes from input-major back to the [32, 784] Gemm layout. */
export function mlpToOnnx(p: MlpParams): Uint8Array {
  const w1 = new Float32Array(HIDDEN * INPUTS);
  for (let i = 0; i < INPUTS; i++) for (let j = 0; j < HIDDEN; j++) w1[j * INPUTS + i] = p.w1t[i * HIDDEN + j];
  return writeOnnx({
    name: 'mnist-mlp',
    inputs: [{ name: 'input', elemType: 'float32', shape: ['batch', INPUTS] }],
    outputs: [{ name: 'logits', elemType: 'float32', shape: ['batch', CLASSES] }],
    initializers: [
      { name: 'fc1.weight', dims: [HIDDEN, INPUTS], data: w1 },
      { name: 'fc1.bias', dims: [HIDDEN], data: p.b1 },
      { name: 'fc2.weight', dims: [CLASSES, HIDDEN], data: p.w2 },
      { name: 'fc2.bias', dims: [CLASSES], data: p.b2 },
    ],
    nodes: [
      { opType: 'Gemm', name: 'fc1', inputs: ['input', 'fc1.weight', 'fc1.bias'], outputs: ['fc1_out'], attributes: { transB: 1 } },
      { opType: 'Relu', name: 'relu1', inputs: ['fc1_out'], outputs: ['relu1_out'] },
      { opType: 'Gemm', name: 'fc2', inputs: ['relu1_out', 'fc2.weight', 'fc2.bias'], outputs: ['logits'], attributes: { transB: 1 } },
    ],
  });
}

/** Runs the written model in onnxruntime over `digits` as one batch and returns the predicted classes. */
export async function onnxPredictions(modelFile: string, digits: MnistDigit[]): Promise<number[]> {
  const logits = (await runBatch(modelFile, digits, [INPUTS], 'logits')) as Float32Array;
  return digits.map((_, n) => argmax(logits.subarray(n * CLASSES, (n + 1) * CLASSES)));
}

async function main(): Promise<void> {
  const { train: trainSet, test: testSet } = loadMnistSplit();
  console.log(`MNIST split: ${trainSet.length} train, ${testSet.length} test digits`);

  const started = Date.now();
  const params = train(trainSet, testSet, seededRng(SEED));
  const seconds = (Date.now() - started) / 1000;

  await exportModel({
    dir: modelSourceDir('mnist-mlp'),
    onnx: mlpToOnnx(params),
    train: trainSet,
    test: testSet,
    trainerTest: predictions(params, testSet),
    predict: onnxPredictions,
    trainingSummary: `training time ${seconds.toFixed(1)} s (${EPOCHS} epochs, batch ${BATCH}, Adam lr ${LEARNING_RATE} cosine)`,
    trainAccuracy: true,
  });
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
