/**
 * TreeEnsembleRegressor / TreeEnsembleClassifier → comparisons, path products and one linear sum
 * (docs/logic.md, "Tree ensembles").
 *
 *   bit_n   = [x[feature] <mode> threshold]      one test row per branch node (NonNegative or EqualsZero)
 *   ind(root) = 1; ind(true child) = ind(n)·bit_n (one product; the root's is bit_n itself);
 *   ind(false child) = ind(n) − ind(true child)  (free)
 *   score_t = base_t + Σ_leaves w_leaf,t · ind(leaf)   (free: leaf weights are circuit constants)
 *
 * Exactly one leaf per tree has indicator 1, since the bits are bits. BRANCH_NEQ is BRANCH_EQ with
 * its children swapped. Thresholds become integers at the input's scale so that the integer test
 * equals the float test on the quantized input (logic.ts, constantComparisonRow). The classifier's
 * label is the ArgMax template over the scores (first largest on ties, as onnxruntime), SOFTMAX the
 * Softmax lowering over them.
 *
 * Error per score, against the float model on the true input: the leaf weights' rounding, plus, for
 * every tree one of whose tests may flip (its feature carries quantization error), the spread of
 * that tree's leaf weights.
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import type { CompareTest } from '../../formats/quantized-model';
import { Branch, BranchMode, ensemblePlan } from '../../onnx/ops/tree-ensemble';
import type { LowerContext, RowDraft, VarTensor } from '../context';
import { activationScale } from '../scales';
import { toCoefficient } from './coefficient';
import { constantComparisonRow } from './logic';
import { lowerSoftmax } from './softmax';
import { addProduct, emptyRow } from './terms';

const COMPARISON: Record<BranchMode, string> = {
  BRANCH_LEQ: 'LessOrEqual',
  BRANCH_LT: 'Less',
  BRANCH_GTE: 'GreaterOrEqual',
  BRANCH_GT: 'Greater',
  BRANCH_EQ: 'Equal',
  BRANCH_NEQ: 'Equal',
};

/** An indicator as an affine form over signals: bias + Σ coef·tensor[index]. */
interface Affine {
  bias: bigint;
  terms: Array<[tensor: number, index: number, coef: bigint]>;
}

const signal = (t: number, i: number): Affine => ({ bias: 0n, terms: [[t, i, 1n]] });

export function lowerTreeEnsemble(node: IrNode, ctx: LowerContext): void {
  if (ctx.settings.weightVisibility === 'private') {
    throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}): tree ensembles with private weights are not supported (thresholds and leaf values are circuit constants)`, {
      node: node.name,
      opType: node.opType,
    });
  }
  const x = ctx.variable(node.inputs[0])!;
  const [samples, features] = x.shape.length === 2 ? x.shape : [1, x.shape[0]];
  const plan = ensemblePlan(node, features);

  // 1. One test per branch node and sample, in two test layers (acc ≥ 0, acc = 0).
  type Ref = { layer: CompareTest; row: number };
  const tests: Record<CompareTest, RowDraft[]> = { nonNegative: [], zero: [] };
  const refs: Ref[][][] = []; // [sample][tree][node]
  for (let s = 0; s < samples; s++) {
    refs.push(
      plan.trees.map((tree) =>
        tree.nodes.map((nd) => {
          if (nd.kind === 'leaf') return { layer: 'zero', row: -1 };
          const r = constantComparisonRow(ctx, node, COMPARISON[nd.mode], x, s * features + nd.feature, nd.threshold);
          tests[r.test].push(r.row);
          return { layer: r.test, row: tests[r.test].length - 1 };
        }),
      ),
    );
  }
  const bitTensor: Partial<Record<CompareTest, VarTensor>> = {};
  for (const test of ['nonNegative', 'zero'] as const) {
    if (tests[test].length > 0) bitTensor[test] = ctx.addLayer(node, `${node.name}/tests_${test}`, [tests[test].length], tests[test], 0, 0, false, undefined, test);
  }
  const bitOf = (r: Ref): [VarTensor, number] => [bitTensor[r.layer]!, r.row];

  // 2. Indicators, level by level: the true children's products, then the false children that are branches.
  const indicator: Array<Array<Array<Affine | undefined>>> = refs.map((perTree) => perTree.map((nodes) => nodes.map(() => undefined)));
  let level: Array<[s: number, t: number, n: number]> = [];
  for (let s = 0; s < samples; s++) plan.trees.forEach((_, t) => level.push([s, t, 0]));
  for (let depth = 0; level.length > 0; depth++) {
    const branches = level.filter(([, t, n]) => plan.trees[t].nodes[n].kind === 'branch');
    // True children: ind(n)·bit_n, or bit_n at the root.
    const products: RowDraft[] = [];
    const productOf = new Map<string, number>();
    for (const [s, t, n] of branches) {
      const ind = indicator[s][t][n];
      if (!ind) continue; // the root
      const [bits, b] = bitOf(refs[s][t][n]);
      const [it, ii] = ind.terms[0];
      const row = emptyRow();
      addProduct(ctx, row, { id: it, shape: [ctx.tensors[it].size], scaleBits: 0 }, ii, bits, b);
      productOf.set(`${s}/${t}/${n}`, products.length);
      products.push(row);
    }
    const productTensor = products.length > 0 ? ctx.addLayer(node, `${node.name}/paths_${depth}`, [products.length], products, 0, 0, false) : undefined;
    // False children that branch further are materialized (a linear row, free); leaves stay affine.
    const materialize: RowDraft[] = [];
    const pending: Array<[s: number, t: number, n: number, row: number]> = [];
    const next: Array<[number, number, number]> = [];
    for (const [s, t, n] of branches) {
      const nd = plan.trees[t].nodes[n] as Branch;
      const [onTrue, onFalse] = nd.mode === 'BRANCH_NEQ' ? [nd.onFalse, nd.onTrue] : [nd.onTrue, nd.onFalse];
      const [bits, b] = bitOf(refs[s][t][n]);
      const parent = indicator[s][t][n];
      const trueInd = parent ? signal(productTensor!.id, productOf.get(`${s}/${t}/${n}`)!) : signal(bits.id, b);
      const falseInd: Affine = parent ? { bias: 0n, terms: [parent.terms[0], [trueInd.terms[0][0], trueInd.terms[0][1], -1n]] } : { bias: 1n, terms: [[bits.id, b, -1n]] };
      indicator[s][t][onTrue] = trueInd;
      if (plan.trees[t].nodes[onFalse].kind === 'branch') {
        const row = emptyRow();
        row.bias = falseInd.bias;
        row.terms.push(...falseInd.terms);
        pending.push([s, t, onFalse, materialize.length]);
        materialize.push(row);
      } else {
        indicator[s][t][onFalse] = falseInd;
      }
      next.push([s, t, onTrue], [s, t, onFalse]);
    }
    if (materialize.length > 0) {
      const m = ctx.addLayer(node, `${node.name}/paths_${depth}_false`, [materialize.length], materialize, 0, 0, false);
      // A materialized indicator is a bit too (ind − ind·bit), which interval arithmetic cannot see.
      ctx.bounds[m.id] = ctx.bounds[m.id].map(() => ({ lo: 0n, hi: 1n }));
      for (const [s, t, n, row] of pending) indicator[s][t][n] = signal(m.id, row);
    }
    level = next;
  }
  // A tree that is a single leaf always takes it.
  for (let s = 0; s < samples; s++) plan.trees.forEach((tree, t) => (indicator[s][t][0] ??= { bias: 1n, terms: [] }));

  // 3. Scores: base + Σ weight·ind(leaf), at a scale fitting their largest magnitude.
  const divisor = plan.average ? plan.trees.length : 1;
  const maxAbs = Math.max(
    ...Array.from(
      { length: plan.targets },
      (_, k) =>
        Math.abs(plan.base[k]) +
        plan.trees.reduce((a, tree) => a + Math.max(0, ...tree.nodes.flatMap((nd) => (nd.kind === 'leaf' ? nd.weights.filter(([id]) => id === k).map(([, w]) => Math.abs(w / divisor)) : []))), 0),
    ),
  );
  const scale = activationScale(maxAbs, ctx.settings);
  const rows: RowDraft[] = [];
  for (let s = 0; s < samples; s++) {
    for (let k = 0; k < plan.targets; k++) {
      const row = emptyRow();
      const qBase = toCoefficient(plan.base[k], scale);
      row.bias = qBase;
      row.error = Math.abs(Number(qBase) / 2 ** scale - plan.base[k]);
      plan.trees.forEach((tree, t) => {
        let lo = 0;
        let hi = 0;
        let rounding = 0;
        tree.nodes.forEach((nd, n) => {
          if (nd.kind !== 'leaf') return;
          const w = nd.weights.reduce((a, [id, v]) => (id === k ? a + v / divisor : a), 0);
          lo = Math.min(lo, w);
          hi = Math.max(hi, w);
          const q = toCoefficient(w, scale);
          rounding = Math.max(rounding, Math.abs(Number(q) / 2 ** scale - w));
          if (q === 0n) return;
          const ind = indicator[s][t][n]!;
          row.bias += q * ind.bias;
          for (const [ti, ii, c] of ind.terms) row.terms.push([ti, ii, q * c]);
        });
        const mayFlip = tree.nodes.some((nd) => nd.kind === 'branch' && ctx.error(x, s * features + nd.feature) > 0);
        row.error += rounding + (mayFlip ? hi - lo : 0);
      });
      rows.push(mergeTerms(row));
    }
  }
  if (!plan.classifier) {
    ctx.addLayer(node, node.outputs[0], [samples, plan.targets], rows, scale, 0, false);
    return;
  }
  const [labelName, probName] = node.outputs;
  const scoresName = plan.softmax ? `${node.name}/scores` : probName;
  const scores = ctx.addLayer(node, scoresName, [samples, plan.targets], rows, scale, 0, false);
  if (plan.softmax && probName) lowerSoftmax({ name: `${node.name}/softmax`, opType: 'Softmax', inputs: [scoresName], outputs: [probName], attributes: { axis: -1 } }, ctx);
  if (!labelName) return;
  // Label: the ArgMax template over each sample's scores, then labelBase + labelStep·index (free).
  const argRows = Array.from({ length: samples }, (_, s) => {
    const row = emptyRow();
    for (let k = 0; k < plan.targets; k++) row.terms.push([scores.id, s * plan.targets + k, 1n]);
    row.error = plan.targets - 1;
    return row;
  });
  const identity = plan.labelBase === 0 && plan.labelStep === 1;
  const index = ctx.addLayer(node, identity ? labelName : `${node.name}/argmax`, [samples], argRows, 0, 0, false, { selectLast: false });
  if (identity) return;
  const labelRows = Array.from({ length: samples }, (_, s) => {
    const row = emptyRow();
    row.bias = BigInt(plan.labelBase);
    row.terms.push([index.id, s, BigInt(plan.labelStep)]);
    row.error = Math.abs(plan.labelStep) * (plan.targets - 1);
    return row;
  });
  ctx.addLayer(node, labelName, [samples], labelRows, 0, 0, false);
}

/** One term per signal (a leaf indicator's terms repeat its ancestors'). */
function mergeTerms(row: RowDraft): RowDraft {
  const merged = new Map<string, [number, number, bigint]>();
  for (const [t, i, c] of row.terms) {
    const key = `${t}/${i}`;
    const prev = merged.get(key);
    merged.set(key, [t, i, (prev?.[2] ?? 0n) + c]);
  }
  row.terms = [...merged.values()].filter(([, , c]) => c !== 0n);
  return row;
}
