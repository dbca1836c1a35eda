/**
 * Builds models/gru-sequence/: a one-layer GRU that reads an MNIST digit row by row (sequential
 * MNIST, pooled to 7 rows of 7 pixels) and classifies it from its last hidden state, trained here by
 * backprop through time (models/autodiff.ts) and exported by our own ONNX writer as one ONNX GRU node:
 *   x [1, 7, 7] (batch, step, pixel) → Transpose → [7, 1, 7] → GRU (hidden 8, linear_before_reset 0)
 *   → Y_h [1, 1, 8] → Reshape [1, 8] → Gemm 8 → 10 → logits [1, 10]
 * Deterministic (seeded initialisation and batch order): the script rebuilds the shipped file byte for
 * byte (test/models/gru-sequence.test.ts).
 * Run: npm run build && node dist/models/gru-sequence/train.js
 */
import { GraphSpec, InitializerSpec, writeOnnx } from '../../src/onnx/writer';
import { Adam, argmax, crossEntropy, Mat, Tape } from '../autodiff';
import { loadMnistSplit, MnistDigit } from '../mnist-mlp/dataset';
import { Rng, seededRng } from '../rng';
import { modelSourceDir } from '../source-dir';
import { ortClasses, writeTrained } from '../write-trained';

export const STEPS = 7;
export const PIXELS = 7;
export const HIDDEN = 8;
const CLASSES = 10;
const EPOCHS = 12;
const BATCH = 32;
const CALIBRATION_SAMPLES = 128;
const INIT_SEED = 1411;

export interface SequenceDigit {
  /** STEPS rows of PIXELS values in [0, 1], row-major: the digit's 4×4-pixel block means, 3 decimals. */
  rows: number[];
  label: number;
}

/** A 28×28 digit as 7 rows of 7 block means (each over 4×4 pixels). */
export function toSequence(d: MnistDigit): SequenceDigit {
  const rows: number[] = [];
  for (let r = 0; r < STEPS; r++)
    for (let c = 0; c < PIXELS; c++) {
      let sum = 0;
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) sum += d.pixels[(4 * r + i) * 28 + 4 * c + j];
      rows.push(Number((sum / 16).toFixed(3)));
    }
  return { rows, label: d.label };
}

/** The fixed MNIST split (models/mnist-mlp/dataset.ts) as sequences: 9,000 train, 1,000 held out. */
export function sequenceSplit(): { train: SequenceDigit[]; test: SequenceDigit[] } {
  const { train, test } = loadMnistSplit();
  return { train: train.map(toSequence), test: test.map(toSequence) };
}

/**
 * The first 127 training digits and the first one with a full block (value 1): the calibration then
 * covers the whole input range [0, 1] (few digits reach 1, and 3 of the 1,000 held out do).
 */
export function calibrationDigits(train: SequenceDigit[]): SequenceDigit[] {
  const full = train.find((d) => d.rows.some((v) => v >= 1))!;
  return [...train.slice(0, CALIBRATION_SAMPLES - 1), full];
}

/** Weights as the trainer multiplies them: inputs on the left (x·W), gates z, r, h. */
interface GruWeights {
  w: Record<'z' | 'r' | 'h', Mat>; // [PIXELS, HIDDEN]
  r: Record<'z' | 'r' | 'h', Mat>; // [HIDDEN, HIDDEN]
  b: Record<'z' | 'r' | 'h', Mat>; // [1, HIDDEN]
  head: Mat; // [HIDDEN, CLASSES]
  headBias: Mat; // [1, CLASSES]
}

function uniformMat(rng: Rng, rows: number, cols: number, a: number): Mat {
  return new Mat(
    rows,
    cols,
    Float64Array.from({ length: rows * cols }, () => rng.uniform(-a, a)),
  );
}

function initWeights(rng: Rng): GruWeights {
  const a = 1 / Math.sqrt(HIDDEN); // PyTorch's GRU initialisation
  const gates = <T>(f: () => T): Record<'z' | 'r' | 'h', T> => ({ z: f(), r: f(), h: f() });
  return {
    w: gates(() => uniformMat(rng, PIXELS, HIDDEN, a)),
    r: gates(() => uniformMat(rng, HIDDEN, HIDDEN, a)),
    b: gates(() => uniformMat(rng, 1, HIDDEN, a)),
    head: uniformMat(rng, HIDDEN, CLASSES, a),
    headBias: new Mat(1, CLASSES),
  };
}

const params = (g: GruWeights): Mat[] => [...Object.values(g.w), ...Object.values(g.r), ...Object.values(g.b), g.head, g.headBias];

/** ONNX GRU, linear_before_reset 0, zero initial state, over a batch of sequences; returns the logits. */
function forward(tape: Tape, g: GruWeights, batch: SequenceDigit[]): Mat {
  let h = new Mat(batch.length, HIDDEN);
  for (let t = 0; t < STEPS; t++) {
    const x = new Mat(batch.length, PIXELS, Float64Array.from(batch.flatMap((s) => s.rows.slice(t * PIXELS, (t + 1) * PIXELS))));
    const pre = (gate: 'z' | 'r', state: Mat) => tape.add(tape.add(tape.matmul(x, g.w[gate]), tape.matmul(state, g.r[gate])), g.b[gate]);
    const z = tape.sigmoid(pre('z', h));
    const r = tape.sigmoid(pre('r', h));
    const candidate = tape.tanh(tape.add(tape.add(tape.matmul(x, g.w.h), tape.matmul(tape.mul(r, h), g.r.h)), g.b.h));
    // h' = (1 − z) ⊙ ĥ + z ⊙ h = ĥ + z ⊙ (h − ĥ)
    h = tape.add(candidate, tape.mul(z, tape.sub(h, candidate)));
  }
  return tape.add(tape.matmul(h, g.head), g.headBias);
}

export function predict(g: GruWeights, digits: SequenceDigit[]): number[] {
  const logits = forward(new Tape(), g, digits);
  return digits.map((_, i) => argmax(logits.data.subarray(i * CLASSES, (i + 1) * CLASSES)));
}

export function trainGru(train: SequenceDigit[]): { weights: GruWeights; losses: number[] } {
  const rng = seededRng(INIT_SEED);
  const weights = initWeights(rng);
  const adam = new Adam(params(weights), 0.01);
  const losses: number[] = [];
  const order = train.map((_, i) => i);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    if (epoch === 8) adam.rate = 0.003;
    rng.shuffle(order);
    let total = 0;
    for (let start = 0; start < order.length; start += BATCH) {
      const batch = order.slice(start, start + BATCH).map((i) => train[i]);
      const tape = new Tape();
      const logits = forward(tape, weights, batch);
      const { loss, grad } = crossEntropy(
        logits,
        batch.map((s) => s.label),
      );
      tape.backward(logits, grad);
      adam.step();
      total += loss * batch.length;
    }
    losses.push(total / order.length);
  }
  return { weights, losses };
}

/** ONNX layouts: W [1, 3H, I] and R [1, 3H, H] with gates z, r, h stacked; B [1, 6H] = Wb, then Rb (zeros). */
export function gruGraph(g: GruWeights): GraphSpec {
  const stack = (m: Record<'z' | 'r' | 'h', Mat>) =>
    (['z', 'r', 'h'] as const).flatMap((gate) => {
      const { rows, cols, data } = m[gate];
      return Array.from({ length: cols * rows }, (_, k) => data[(k % rows) * cols + Math.floor(k / rows)]);
    });
  const f32 = (name: string, dims: number[], values: ArrayLike<number>): InitializerSpec => ({ name, dims, data: Float32Array.from(values) });
  const bias = [...(['z', 'r', 'h'] as const).flatMap((gate) => Array.from(g.b[gate].data)), ...new Array<number>(3 * HIDDEN).fill(0)];
  const headT = Array.from({ length: CLASSES * HIDDEN }, (_, k) => g.head.data[(k % HIDDEN) * CLASSES + Math.floor(k / HIDDEN)]);
  return {
    name: 'gru-sequence',
    opset: 14,
    inputs: [{ name: 'x', elemType: 'float32', shape: [1, STEPS, PIXELS] }],
    outputs: [{ name: 'logits', elemType: 'float32', shape: [1, CLASSES] }],
    initializers: [
      f32('W', [1, 3 * HIDDEN, PIXELS], stack(g.w)),
      f32('R', [1, 3 * HIDDEN, HIDDEN], stack(g.r)),
      f32('B', [1, 6 * HIDDEN], bias),
      { name: 'state_shape', dims: [2], data: [1, HIDDEN], elemType: 'int64' },
      f32('head_w', [CLASSES, HIDDEN], headT),
      f32('head_b', [CLASSES], g.headBias.data),
    ],
    nodes: [
      { opType: 'Transpose', name: 'steps_first', inputs: ['x'], outputs: ['x_steps'], attributes: { perm: [1, 0, 2] } },
      { opType: 'GRU', name: 'gru', inputs: ['x_steps', 'W', 'R', 'B'], outputs: ['', 'h_last'], attributes: { hidden_size: HIDDEN } },
      { opType: 'Reshape', name: 'state', inputs: ['h_last', 'state_shape'], outputs: ['h'] },
      { opType: 'Gemm', name: 'head', inputs: ['h', 'head_w', 'head_b'], outputs: ['logits'], attributes: { transB: 1 } },
    ],
  };
}

/** Trains and writes the ONNX bytes; also what the trainer predicts on the held-out digits. */
export function buildGruSequence(): { onnx: Uint8Array; losses: number[]; trainerTest: number[] } {
  const { train, test } = sequenceSplit();
  const { weights, losses } = trainGru(train);
  return { onnx: writeOnnx(gruGraph(weights)), losses, trainerTest: predict(weights, test) };
}

/** onnxruntime's classes for the digits. */
export function ortPredict(modelFile: string, digits: SequenceDigit[]): Promise<number[]> {
  return ortClasses(
    modelFile,
    digits.map((d) => d.rows),
    [1, STEPS, PIXELS],
  );
}

async function main(): Promise<void> {
  const { train, test } = sequenceSplit();
  const { onnx, losses, trainerTest } = buildGruSequence();
  await writeTrained({
    dir: modelSourceDir('gru-sequence'),
    onnx,
    shape: [1, STEPS, PIXELS],
    losses,
    calibration: calibrationDigits(train).map((d) => d.rows),
    test: test.map((d) => ({ values: d.rows, label: d.label })),
    trainerTest,
  });
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
