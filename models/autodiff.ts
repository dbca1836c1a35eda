/**
 * A small reverse-mode differentiator over row-major matrices, for the model training scripts
 * (gru-sequence's backprop through time, transformer-encoder's attention block). Each op computes
 * its value at once and records how to push its output gradient back to its inputs; `backward`
 * replays those records newest first. Parameters are matrices whose gradients persist until the
 * optimizer step clears them, so several samples' passes can accumulate into one step.
 * Written here rather than taken from a library: no training dependency is installed, and the ops
 * are the few the shipped models use, each with its ONNX semantics (Gelu with erf, LayerNormalization
 * over the last axis).
 */

export class Mat {
  readonly grad: Float64Array;
  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly data: Float64Array = new Float64Array(rows * cols),
  ) {
    this.grad = new Float64Array(rows * cols);
  }
}

export class Tape {
  private readonly backs: Array<() => void> = [];

  /** Seeds `out`'s gradient (e.g. ∂loss/∂logits) and runs every recorded op backwards. */
  backward(out: Mat, seed: Float64Array): void {
    for (let i = 0; i < seed.length; i++) out.grad[i] += seed[i];
    for (let i = this.backs.length - 1; i >= 0; i--) this.backs[i]();
    this.backs.length = 0;
  }

  /** a·b: [m, k]·[k, n]. */
  matmul(a: Mat, b: Mat): Mat {
    const { rows: m, cols: k } = a;
    const n = b.cols;
    const out = new Mat(m, n);
    for (let i = 0; i < m; i++)
      for (let p = 0; p < k; p++) {
        const av = a.data[i * k + p];
        for (let j = 0; j < n; j++) out.data[i * n + j] += av * b.data[p * n + j];
      }
    this.backs.push(() => {
      for (let i = 0; i < m; i++)
        for (let p = 0; p < k; p++) {
          let ga = 0;
          const av = a.data[i * k + p];
          for (let j = 0; j < n; j++) {
            const g = out.grad[i * n + j];
            ga += g * b.data[p * n + j];
            b.grad[p * n + j] += av * g;
          }
          a.grad[i * k + p] += ga;
        }
    });
    return out;
  }

  transpose(a: Mat): Mat {
    const out = new Mat(a.cols, a.rows);
    for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j];
    this.backs.push(() => {
      for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) a.grad[i * a.cols + j] += out.grad[j * a.rows + i];
    });
    return out;
  }

  /** a + b, b either a's shape or one row broadcast over a's rows (a bias). */
  add(a: Mat, b: Mat): Mat {
    const out = new Mat(a.rows, a.cols);
    const n = a.cols;
    const broadcast = b.rows === 1 && a.rows !== 1;
    for (let i = 0; i < out.data.length; i++) out.data[i] = a.data[i] + b.data[broadcast ? i % n : i];
    this.backs.push(() => {
      for (let i = 0; i < out.data.length; i++) {
        a.grad[i] += out.grad[i];
        b.grad[broadcast ? i % n : i] += out.grad[i];
      }
    });
    return out;
  }

  /** a − b, same shapes. */
  sub(a: Mat, b: Mat): Mat {
    return this.add(a, this.scale(b, -1));
  }

  /** Element-wise a ⊙ b. */
  mul(a: Mat, b: Mat): Mat {
    const out = new Mat(a.rows, a.cols);
    for (let i = 0; i < out.data.length; i++) out.data[i] = a.data[i] * b.data[i];
    this.backs.push(() => {
      for (let i = 0; i < out.data.length; i++) {
        a.grad[i] += out.grad[i] * b.data[i];
        b.grad[i] += out.grad[i] * a.data[i];
      }
    });
    return out;
  }

  scale(a: Mat, s: number): Mat {
    return this.map(
      a,
      (x) => s * x,
      () => s,
    );
  }

  sigmoid(a: Mat): Mat {
    return this.map(
      a,
      (x) => 1 / (1 + Math.exp(-x)),
      (_x, y) => y * (1 - y),
    );
  }

  tanh(a: Mat): Mat {
    return this.map(a, Math.tanh, (_x, y) => 1 - y * y);
  }

  /** ONNX Gelu, approximate 'none': x·Φ(x). */
  gelu(a: Mat): Mat {
    const phi = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    const cdf = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2));
    return this.map(
      a,
      (x) => x * cdf(x),
      (x) => cdf(x) + x * phi(x),
    );
  }

  /** Element-wise f with derivative df(x, f(x)). */
  private map(a: Mat, f: (x: number) => number, df: (x: number, y: number) => number): Mat {
    const out = new Mat(a.rows, a.cols);
    for (let i = 0; i < out.data.length; i++) out.data[i] = f(a.data[i]);
    this.backs.push(() => {
      for (let i = 0; i < out.data.length; i++) a.grad[i] += out.grad[i] * df(a.data[i], out.data[i]);
    });
    return out;
  }

  /** Softmax along each row. */
  softmaxRows(a: Mat): Mat {
    const { rows, cols } = a;
    const out = new Mat(rows, cols);
    for (let i = 0; i < rows; i++) {
      const row = a.data.subarray(i * cols, (i + 1) * cols);
      const max = Math.max(...row);
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += out.data[i * cols + j] = Math.exp(row[j] - max);
      for (let j = 0; j < cols; j++) out.data[i * cols + j] /= sum;
    }
    this.backs.push(() => {
      for (let i = 0; i < rows; i++) {
        let dot = 0;
        for (let j = 0; j < cols; j++) dot += out.grad[i * cols + j] * out.data[i * cols + j];
        for (let j = 0; j < cols; j++) a.grad[i * cols + j] += out.data[i * cols + j] * (out.grad[i * cols + j] - dot);
      }
    });
    return out;
  }

  /** ONNX LayerNormalization over each row (the last axis), scale and bias one row each. */
  layerNorm(a: Mat, scale: Mat, bias: Mat, epsilon: number): Mat {
    const { rows, cols } = a;
    const out = new Mat(rows, cols);
    const normed = new Float64Array(rows * cols);
    const inv = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let mean = 0;
      for (let j = 0; j < cols; j++) mean += a.data[i * cols + j] / cols;
      let variance = 0;
      for (let j = 0; j < cols; j++) variance += (a.data[i * cols + j] - mean) ** 2 / cols;
      inv[i] = 1 / Math.sqrt(variance + epsilon);
      for (let j = 0; j < cols; j++) {
        normed[i * cols + j] = (a.data[i * cols + j] - mean) * inv[i];
        out.data[i * cols + j] = normed[i * cols + j] * scale.data[j] + bias.data[j];
      }
    }
    this.backs.push(() => {
      for (let i = 0; i < rows; i++) {
        let sumG = 0;
        let sumGN = 0;
        for (let j = 0; j < cols; j++) {
          const g = out.grad[i * cols + j];
          scale.grad[j] += g * normed[i * cols + j];
          bias.grad[j] += g;
          const gn = g * scale.data[j];
          sumG += gn;
          sumGN += gn * normed[i * cols + j];
        }
        for (let j = 0; j < cols; j++) {
          const gn = out.grad[i * cols + j] * scale.data[j];
          a.grad[i * cols + j] += (inv[i] / cols) * (cols * gn - sumG - normed[i * cols + j] * sumGN);
        }
      }
    });
    return out;
  }

  /** Columns [start, start + n). */
  cols(a: Mat, start: number, n: number): Mat {
    const out = new Mat(a.rows, n);
    for (let i = 0; i < a.rows; i++) for (let j = 0; j < n; j++) out.data[i * n + j] = a.data[i * a.cols + start + j];
    this.backs.push(() => {
      for (let i = 0; i < a.rows; i++) for (let j = 0; j < n; j++) a.grad[i * a.cols + start + j] += out.grad[i * n + j];
    });
    return out;
  }

  /** The matrices side by side (same row counts). */
  concatCols(parts: Mat[]): Mat {
    const rows = parts[0].rows;
    const out = new Mat(
      rows,
      parts.reduce((s, p) => s + p.cols, 0),
    );
    let offset = 0;
    const offsets = parts.map((p) => ((offset += p.cols), offset - p.cols));
    parts.forEach((p, k) => {
      for (let i = 0; i < rows; i++) for (let j = 0; j < p.cols; j++) out.data[i * out.cols + offsets[k] + j] = p.data[i * p.cols + j];
    });
    this.backs.push(() => {
      parts.forEach((p, k) => {
        for (let i = 0; i < rows; i++) for (let j = 0; j < p.cols; j++) p.grad[i * p.cols + j] += out.grad[i * out.cols + offsets[k] + j];
      });
    });
    return out;
  }

  /** The mean of the rows: [1, cols]. */
  meanRows(a: Mat): Mat {
    const out = new Mat(1, a.cols);
    for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[j] += a.data[i * a.cols + j] / a.rows;
    this.backs.push(() => {
      for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) a.grad[i * a.cols + j] += out.grad[j] / a.rows;
    });
    return out;
  }
}

/** erf to about 1e-7 (Abramowitz and Stegun 7.1.26): enough for training; the shipped model's Gelu is onnxruntime's. */
export function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

/**
 * Mean softmax cross-entropy of logit rows against labels, and its gradient with respect to the
 * logits (softmax − one-hot, divided by the row count).
 */
export function crossEntropy(logits: Mat, labels: number[]): { loss: number; grad: Float64Array } {
  const { rows, cols } = logits;
  const grad = new Float64Array(rows * cols);
  let loss = 0;
  for (let i = 0; i < rows; i++) {
    const row = logits.data.subarray(i * cols, (i + 1) * cols);
    const max = Math.max(...row);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(row[j] - max);
    loss += (Math.log(sum) + max - row[labels[i]]) / rows;
    for (let j = 0; j < cols; j++) grad[i * cols + j] = (Math.exp(row[j] - max) / sum - (j === labels[i] ? 1 : 0)) / rows;
  }
  return { loss, grad };
}

/** Adam (β1 0.9, β2 0.999, ε 1e-8) over a fixed list of parameters; `step` consumes and clears their gradients. */
export class Adam {
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private t = 0;
  constructor(
    private readonly params: Mat[],
    public rate: number,
  ) {
    this.m = params.map((p) => new Float64Array(p.data.length));
    this.v = params.map((p) => new Float64Array(p.data.length));
  }

  step(): void {
    this.t++;
    const c1 = 1 - 0.9 ** this.t;
    const c2 = 1 - 0.999 ** this.t;
    this.params.forEach((p, k) => {
      const m = this.m[k];
      const v = this.v[k];
      for (let i = 0; i < p.data.length; i++) {
        const g = p.grad[i];
        m[i] = 0.9 * m[i] + 0.1 * g;
        v[i] = 0.999 * v[i] + 0.001 * g * g;
        p.data[i] -= (this.rate * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + 1e-8);
        p.grad[i] = 0;
      }
    });
  }
}

/** The index of the largest value (the first on ties). */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}
