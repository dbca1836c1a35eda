/**
 * Trains the MNIST CNN (circomlib-ml's reference shape, see cnn.ts) on the fixed split from
 * ../mnist-mlp/dataset.ts and writes model.onnx, input.json and calibration.json into
 * models/mnist-cnn/ in the source tree. The exported graph ends in ArgMax: its output is the class.
 * Run: npm run build && node dist/models/mnist-cnn/train.js
 */
import { NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { exportModel, fraction, pct, runBatch } from '../export-model';
import { loadMnistSplit, MnistDigit } from '../mnist-mlp/dataset';
import { modelSourceDir } from '../source-dir';
import { Rng, seededRng } from '../rng';
import { argmax, backwardBatch, BN_EPSILON, C1, C2, CLASSES, CnnParams, FLAT, forwardBatch, forwardInference, initParams, K, SIDE, trainable, zeroParams } from './cnn';

const SEED = 11;
/** Training digits used (of the 9,000): enough for ~98% while training stays within minutes on one core. */
const TRAIN_DIGITS = 6000;
const EPOCHS = 6;
const BATCH = 32;
const LEARNING_RATE = 5e-3;

/** Adam with a cosine-decayed step size over the trainable tensors. */
class Adam {
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private t = 0;
  constructor(
    params: Float32Array[],
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
  ) {
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
  }

  step(params: Float32Array[], grads: Float32Array[], lr: number): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    params.forEach((w, k) => {
      const [g, m, v] = [grads[k], this.m[k], this.v[k]];
      for (let i = 0; i < w.length; i++) {
        m[i] = this.beta1 * m[i] + (1 - this.beta1) * g[i];
        v[i] = this.beta2 * v[i] + (1 - this.beta2) * g[i] * g[i];
        w[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + this.eps);
      }
    });
  }
}

function train(digits: MnistDigit[], test: MnistDigit[], rng: Rng): CnnParams {
  const params = initParams(rng);
  const grads = zeroParams();
  const adam = new Adam(trainable(params));
  const order = digits.map((_, i) => i);
  const totalSteps = EPOCHS * Math.ceil(digits.length / BATCH);
  let step = 0;
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    rng.shuffle(order);
    let loss = 0;
    let correct = 0;
    for (let start = 0; start < order.length; start += BATCH) {
      const batch = order.slice(start, start + BATCH).map((i) => digits[i]);
      for (const g of trainable(grads)) g.fill(0);
      const state = forwardBatch(
        params,
        batch.map((d) => d.pixels),
      );
      const r = backwardBatch(
        params,
        state,
        batch.map((d) => d.label),
        grads,
      );
      loss += r.loss;
      correct += r.correct;
      const lr = LEARNING_RATE * 0.5 * (1 + Math.cos((Math.PI * step++) / totalSteps));
      adam.step(trainable(params), trainable(grads), lr);
    }
    console.log(`epoch ${epoch}: loss ${(loss / digits.length).toFixed(4)}, running train acc ${pct(correct / digits.length)}, test acc ${pct(fraction(predictions(params, test), test))}`);
  }
  return params;
}

function predictions(params: CnnParams, digits: MnistDigit[]): number[] {
  return digits.map((d) => argmax(forwardInference(params, d.pixels)));
}

/**
 * Conv → BatchNormalization → Relu → AveragePool, twice, then Flatten → Gemm(transB=1) → ArgMax.
 * Input `input` [batch, 1, 28, 28]; output `class` int64 [batch].
 */
export function cnnToOnnx(p: CnnParams): Uint8Array {
  const bn = (name: string, b: CnnParams['bn1'], channels: number) => [
    { name: `${name}.weight`, dims: [channels], data: b.gamma },
    { name: `${name}.bias`, dims: [channels], data: b.beta },
    { name: `${name}.running_mean`, dims: [channels], data: b.runningMean },
    { name: `${name}.running_var`, dims: [channels], data: b.runningVar },
  ];
  const block = (i: 1 | 2, input: string): NodeSpec[] => [
    { opType: 'Conv', name: `conv${i}`, inputs: [input, `conv${i}.weight`], outputs: [`conv${i}_out`], attributes: { kernel_shape: [K, K] } },
    {
      opType: 'BatchNormalization',
      name: `bn${i}`,
      inputs: [`conv${i}_out`, `bn${i}.weight`, `bn${i}.bias`, `bn${i}.running_mean`, `bn${i}.running_var`],
      outputs: [`bn${i}_out`],
      attributes: { epsilon: BN_EPSILON },
    },
    { opType: 'Relu', name: `relu${i}`, inputs: [`bn${i}_out`], outputs: [`relu${i}_out`] },
    { opType: 'AveragePool', name: `pool${i}`, inputs: [`relu${i}_out`], outputs: [`pool${i}_out`], attributes: { kernel_shape: [2, 2], strides: [2, 2] } },
  ];
  return writeOnnx({
    name: 'mnist-cnn',
    inputs: [{ name: 'input', elemType: 'float32', shape: ['batch', 1, SIDE, SIDE] }],
    outputs: [{ name: 'class', elemType: 'int64', shape: ['batch'] }],
    initializers: [
      { name: 'conv1.weight', dims: [C1, 1, K, K], data: p.w1 },
      ...bn('bn1', p.bn1, C1),
      { name: 'conv2.weight', dims: [C2, C1, K, K], data: p.w2 },
      ...bn('bn2', p.bn2, C2),
      { name: 'fc.weight', dims: [CLASSES, FLAT], data: p.wd },
      { name: 'fc.bias', dims: [CLASSES], data: p.bd },
    ],
    nodes: [
      ...block(1, 'input'),
      ...block(2, 'pool1_out'),
      { opType: 'Flatten', name: 'flatten', inputs: ['pool2_out'], outputs: ['flat'], attributes: { axis: 1 } },
      { opType: 'Gemm', name: 'fc', inputs: ['flat', 'fc.weight', 'fc.bias'], outputs: ['logits'], attributes: { transB: 1 } },
      { opType: 'ArgMax', name: 'argmax', inputs: ['logits'], outputs: ['class'], attributes: { axis: 1, keepdims: 0 } },
    ],
  });
}

/** Runs a model file in onnxruntime over `digits` as one batch and returns its `class` output. */
export async function onnxPredictions(modelFile: string, digits: MnistDigit[]): Promise<number[]> {
  return Array.from((await runBatch(modelFile, digits, [1, SIDE, SIDE], 'class')) as BigInt64Array, Number);
}

async function main(): Promise<void> {
  const split = loadMnistSplit();
  const trainSet = split.train.slice(0, TRAIN_DIGITS);
  const testSet = split.test;
  console.log(`MNIST split: ${trainSet.length} of ${split.train.length} train digits used, ${testSet.length} test digits`);

  const started = Date.now();
  const params = train(trainSet, testSet, seededRng(SEED));
  const seconds = (Date.now() - started) / 1000;

  await exportModel({
    dir: modelSourceDir('mnist-cnn'),
    onnx: cnnToOnnx(params),
    train: trainSet,
    test: testSet,
    trainerTest: predictions(params, testSet),
    predict: onnxPredictions,
    trainingSummary: `training time ${seconds.toFixed(1)} s (${EPOCHS} epochs over ${trainSet.length} digits, batch ${BATCH}, Adam lr ${LEARNING_RATE} cosine)`,
  });
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
