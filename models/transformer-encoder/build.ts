/**
 * Builds models/transformer-encoder/: one pre-norm transformer encoder block, trained here on MNIST
 * digits read as 4 tokens (models/autodiff.ts, Adam on the softmax cross-entropy) and exported by our
 * own ONNX writer (opset 20):
 *   x [1, 4, 8] (4 token embeddings of width 8)
 *   → LayerNormalization → multi-head self-attention (2 heads of width 4: Q, K, V projections,
 *     Q·Kᵀ·½, Softmax over the keys, ·V, output projection) → + x
 *   → LayerNormalization → MLP 8 → 16 → Gelu → 8 → + residual
 *   → mean over the tokens → Gemm 8 → 10 → y [1, 10] (class scores)
 * The tokens of a digit: token k is the band of image rows 7k … 7k + 6, and its 8 values the means of
 * that band over 8 blocks of 3 columns (columns 2 … 25; MNIST's digits sit inside columns 4 … 23),
 * mapped from [0, 1] to [−1, 1]. Deterministic (seeded initialisation and batch order): the script
 * rebuilds the shipped file byte for byte (test/models/transformer-encoder.test.ts).
 * Run: npm run build && node dist/models/transformer-encoder/build.js
 */
import { GraphSpec, InitializerSpec, NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { Adam, argmax, crossEntropy, Mat, Tape } from '../autodiff';
import { loadMnistSplit, MnistDigit } from '../mnist-mlp/dataset';
import { modelSourceDir } from '../source-dir';
import { ortClasses, writeTrained } from '../write-trained';
import { Rng, seededRng } from '../rng';

export const TOKENS = 4;
export const WIDTH = 8;
const HEADS = 2;
const HEAD = WIDTH / HEADS;
const HIDDEN = 16;
export const CLASSES = 10;
const CALIBRATION_SAMPLES = 32;
const EPOCHS = 10;
const BATCH = 32;
const INIT_SEED = 1407;
/**
 * LayerNorm's ε: 0.1 rather than the usual 1e-5. The top and bottom bands of many digits are nearly
 * blank, so their tokens have a variance near 0, where 1/√(v + ε) multiplies the integer model's
 * rounding by up to 1/√ε (316 at 1e-5, 3.2 at 0.1); trained with 0.1, the float model loses nothing.
 */
const LN_EPSILON = 0.1;

export interface TokenDigit {
  /** TOKENS × WIDTH values in [−1, 1], row-major, 3 decimals. */
  tokens: number[];
  label: number;
}

/** A 28×28 digit as 4 row-band tokens of 8 column-block means, mapped to [−1, 1]. */
export function toTokens(d: MnistDigit): TokenDigit {
  const tokens: number[] = [];
  for (let k = 0; k < TOKENS; k++)
    for (let j = 0; j < WIDTH; j++) {
      let sum = 0;
      for (let r = 7 * k; r < 7 * k + 7; r++) for (let c = 2 + 3 * j; c < 5 + 3 * j; c++) sum += d.pixels[r * 28 + c];
      tokens.push(Number(((2 * sum) / 21 - 1).toFixed(3)));
    }
  return { tokens, label: d.label };
}

/** The fixed MNIST split (models/mnist-mlp/dataset.ts) as tokens: 9,000 train, 1,000 held out. */
export function tokenSplit(): { train: TokenDigit[]; test: TokenDigit[] } {
  const { train, test } = loadMnistSplit();
  return { train: train.map(toTokens), test: test.map(toTokens) };
}

const PARAMETERS = {
  ln1_scale: [1, WIDTH],
  ln1_bias: [1, WIDTH],
  wq: [WIDTH, WIDTH],
  bq: [1, WIDTH],
  wk: [WIDTH, WIDTH],
  bk: [1, WIDTH],
  wv: [WIDTH, WIDTH],
  bv: [1, WIDTH],
  wo: [WIDTH, WIDTH],
  bo: [1, WIDTH],
  ln2_scale: [1, WIDTH],
  ln2_bias: [1, WIDTH],
  w1: [WIDTH, HIDDEN],
  b1: [1, HIDDEN],
  w2: [HIDDEN, WIDTH],
  b2: [1, WIDTH],
  wc: [WIDTH, CLASSES],
  bc: [1, CLASSES],
} as const;

export type EncoderWeights = Record<keyof typeof PARAMETERS, Mat>;

/** Matrices Xavier-uniform, LayerNorm scales 1, biases 0. */
function initWeights(rng: Rng): EncoderWeights {
  const entries = Object.entries(PARAMETERS).map(([name, [rows, cols]]) => {
    if (rows > 1) {
      const a = Math.sqrt(6 / (rows + cols));
      return [
        name,
        new Mat(
          rows,
          cols,
          Float64Array.from({ length: rows * cols }, () => rng.uniform(-a, a)),
        ),
      ];
    }
    return [name, new Mat(rows, cols, new Float64Array(cols).fill(name.endsWith('_scale') ? 1 : 0))];
  });
  return Object.fromEntries(entries) as EncoderWeights;
}

/** The graph below on one digit's [TOKENS, WIDTH] tokens; returns the [1, CLASSES] scores. */
function forward(tape: Tape, w: EncoderWeights, tokens: number[]): Mat {
  const x = new Mat(TOKENS, WIDTH, Float64Array.from(tokens));
  const linear = (a: Mat, m: Mat, b: Mat) => tape.add(tape.matmul(a, m), b);
  const ln1 = tape.layerNorm(x, w.ln1_scale, w.ln1_bias, LN_EPSILON);
  const [q, k, v] = [linear(ln1, w.wq, w.bq), linear(ln1, w.wk, w.bk), linear(ln1, w.wv, w.bv)];
  const heads = Array.from({ length: HEADS }, (_, h) => {
    const [qh, kh, vh] = [q, k, v].map((m) => tape.cols(m, h * HEAD, HEAD));
    const scores = tape.scale(tape.matmul(qh, tape.transpose(kh)), 1 / Math.sqrt(HEAD));
    return tape.matmul(tape.softmaxRows(scores), vh);
  });
  const res1 = tape.add(x, linear(tape.concatCols(heads), w.wo, w.bo));
  const ln2 = tape.layerNorm(res1, w.ln2_scale, w.ln2_bias, LN_EPSILON);
  const res2 = tape.add(res1, linear(tape.gelu(linear(ln2, w.w1, w.b1)), w.w2, w.b2));
  return linear(tape.meanRows(res2), w.wc, w.bc);
}

export function predict(w: EncoderWeights, digits: TokenDigit[]): number[] {
  return digits.map((d) => argmax(forward(new Tape(), w, d.tokens).data));
}

export function trainEncoder(train: TokenDigit[]): { weights: EncoderWeights; losses: number[] } {
  const rng = seededRng(INIT_SEED);
  const weights = initWeights(rng);
  const adam = new Adam(Object.values(weights), 0.01);
  const losses: number[] = [];
  const order = train.map((_, i) => i);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    if (epoch === 7) adam.rate = 0.003;
    rng.shuffle(order);
    let total = 0;
    for (let start = 0; start < order.length; start += BATCH) {
      const batch = order.slice(start, start + BATCH);
      for (const i of batch) {
        const tape = new Tape();
        const y = forward(tape, weights, train[i].tokens);
        const { loss, grad } = crossEntropy(y, [train[i].label]);
        tape.backward(
          y,
          grad.map((g) => g / batch.length),
        );
        total += loss;
      }
      adam.step();
    }
    losses.push(total / order.length);
  }
  return { weights, losses };
}

const ints = (name: string, values: number[]): InitializerSpec => ({ name, dims: [values.length], data: values, elemType: 'int64' });

export function encoderGraph(w: EncoderWeights): GraphSpec {
  /** Row vectors as [n], matrices as [rows, cols] (MatMul x·W); the classifier as Gemm's transposed [CLASSES, WIDTH]. */
  const param = (name: keyof EncoderWeights): InitializerSpec => {
    const m = w[name];
    return { name, dims: m.rows === 1 ? [m.cols] : [m.rows, m.cols], data: Float32Array.from(m.data) };
  };
  const wc = w.wc;
  const classifier = Float32Array.from({ length: CLASSES * WIDTH }, (_, k) => wc.data[(k % WIDTH) * CLASSES + Math.floor(k / WIDTH)]);
  const nodes: NodeSpec[] = [];
  const op = (opType: string, inputs: string[], output: string, attributes: NodeSpec['attributes'] = {}): string => {
    nodes.push({ opType, name: output, inputs, outputs: [output], attributes });
    return output;
  };
  const linear = (x: string, w: string, b: string, out: string) => op('Add', [op('MatMul', [x, w], `${out}_mm`), b], out);
  /** [1, T, D] → [1, H, T, d] (or [1, H, d, T] for the keys, ready for Q·Kᵀ). */
  const heads = (x: string, out: string, keys = false) => op('Transpose', [op('Reshape', [x, 'heads_shape'], `${out}_split`)], out, { perm: keys ? [0, 2, 3, 1] : [0, 2, 1, 3] });

  const ln1 = op('LayerNormalization', ['x', 'ln1_scale', 'ln1_bias'], 'ln1', { axis: -1, epsilon: LN_EPSILON });
  const q = heads(linear(ln1, 'wq', 'bq', 'q'), 'q_heads');
  const k = heads(linear(ln1, 'wk', 'bk', 'k'), 'k_heads', true);
  const v = heads(linear(ln1, 'wv', 'bv', 'v'), 'v_heads');
  const scores = op('Mul', [op('MatMul', [q, k], 'qk'), 'inv_sqrt_head'], 'scores');
  const attn = op('MatMul', [op('Softmax', [scores], 'attn_weights', { axis: -1 }), v], 'attn_heads');
  const merged = op('Reshape', [op('Transpose', [attn], 'attn_tokens', { perm: [0, 2, 1, 3] }), 'tokens_shape'], 'attn_merged');
  const res1 = op('Add', ['x', linear(merged, 'wo', 'bo', 'attn_out')], 'res1');
  const ln2 = op('LayerNormalization', [res1, 'ln2_scale', 'ln2_bias'], 'ln2', { axis: -1, epsilon: LN_EPSILON });
  const hidden = op('Gelu', [linear(ln2, 'w1', 'b1', 'mlp_in')], 'mlp_gelu');
  const res2 = op('Add', [res1, linear(hidden, 'w2', 'b2', 'mlp_out')], 'res2');
  const pooled = op('ReduceMean', [res2, 'pool_axes'], 'pooled', { keepdims: 0 });
  nodes.push({ opType: 'Gemm', name: 'classifier', inputs: [pooled, 'wc', 'bc'], outputs: ['y'], attributes: { transB: 1 } });

  return {
    name: 'transformer-encoder',
    opset: 20,
    inputs: [{ name: 'x', elemType: 'float32', shape: [1, TOKENS, WIDTH] }],
    outputs: [{ name: 'y', elemType: 'float32', shape: [1, CLASSES] }],
    initializers: [
      ...(['ln1_scale', 'ln1_bias', 'wq', 'bq', 'wk', 'bk', 'wv', 'bv'] as const).map(param),
      { name: 'inv_sqrt_head', dims: [], data: [1 / Math.sqrt(HEAD)] },
      ints('heads_shape', [1, TOKENS, HEADS, HEAD]),
      ints('tokens_shape', [1, TOKENS, WIDTH]),
      ...(['wo', 'bo', 'ln2_scale', 'ln2_bias', 'w1', 'b1', 'w2', 'b2'] as const).map(param),
      ints('pool_axes', [1]),
      { name: 'wc', dims: [CLASSES, WIDTH], data: classifier },
      param('bc'),
    ],
    nodes,
  };
}

/** Trains and writes the ONNX bytes; also what the trainer predicts on the held-out digits. */
export function buildEncoder(): { onnx: Uint8Array; losses: number[]; trainerTest: number[] } {
  const { train, test } = tokenSplit();
  const { weights, losses } = trainEncoder(train);
  return { onnx: writeOnnx(encoderGraph(weights)), losses, trainerTest: predict(weights, test) };
}

/** onnxruntime's classes for the digits. */
export function ortPredict(modelFile: string, digits: TokenDigit[]): Promise<number[]> {
  return ortClasses(
    modelFile,
    digits.map((d) => d.tokens),
    [1, TOKENS, WIDTH],
  );
}

async function main(): Promise<void> {
  const { train, test } = tokenSplit();
  const { onnx, losses, trainerTest } = buildEncoder();
  await writeTrained({
    dir: modelSourceDir('transformer-encoder'),
    onnx,
    shape: [1, TOKENS, WIDTH],
    losses,
    calibration: train.slice(0, CALIBRATION_SAMPLES).map((d) => d.tokens),
    test: test.map((d) => ({ values: d.tokens, label: d.label })),
    trainerTest,
  });
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
