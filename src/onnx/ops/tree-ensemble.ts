/**
 * ai.onnx.ml TreeEnsembleRegressor and TreeEnsembleClassifier (opsets 1–3 of the domain, the
 * attribute-list form): the ensemble is parsed once into trees of branch nodes and leaves, checked
 * (every id resolves, every tree is a tree), and evaluated in float here; the lowering
 * (src/quantize/lower/tree-ensemble.ts) reads the same plan.
 *
 * Supported: every branch mode (BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, BRANCH_EQ,
 * BRANCH_NEQ), aggregate_function SUM and AVERAGE, post_transform NONE (and SOFTMAX for the
 * classifier), base_values, int64 class labels forming an arithmetic progression (0, 1, 2, ...).
 * nodes_missing_value_tracks_true only matters for a NaN feature, and inputs are finite (the input
 * checks refuse NaN), so it is accepted and has no effect; nodes_hitrates is a hint. Anything else
 * (MIN/MAX, LOGISTIC, PROBIT, SOFTMAX_ZERO, string labels, the *_as_tensor attributes, a binary
 * classifier with one score column) is refused at ingest naming the node, the op and the attribute.
 */
import { ZkmlError } from '../../errors';
import type { AttrValue, FloatTensor, IrNode } from '../../formats/graph';
import { OpFamily, requireInputs, unsupportedAttr } from './op-family';

export const TREE_REGRESSOR = 'ai.onnx.ml:TreeEnsembleRegressor';
export const TREE_CLASSIFIER = 'ai.onnx.ml:TreeEnsembleClassifier';

export type BranchMode = 'BRANCH_LEQ' | 'BRANCH_LT' | 'BRANCH_GTE' | 'BRANCH_GT' | 'BRANCH_EQ' | 'BRANCH_NEQ';
const MODES: readonly string[] = ['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ'];

export interface Branch {
  kind: 'branch';
  mode: BranchMode;
  feature: number;
  threshold: number;
  /** Children, as positions in the tree's node list. */
  onTrue: number;
  onFalse: number;
}

export interface Leaf {
  kind: 'leaf';
  /** [target or class, weight] pairs. */
  weights: Array<[number, number]>;
}

export interface TreePlan {
  /** The tree's nodes; position 0 is the root. */
  nodes: Array<Branch | Leaf>;
}

export interface EnsemblePlan {
  classifier: boolean;
  features: number;
  /** Regressor: n_targets; classifier: the number of classes. */
  targets: number;
  trees: TreePlan[];
  average: boolean;
  base: number[];
  softmax: boolean;
  /** Classifier: label = labelBase + labelStep · argmax. */
  labelBase: number;
  labelStep: number;
}

/** The deepest tree accepted: a deeper one is a crafted input, not a model. */
export const MAX_TREE_DEPTH = 64;

const COMMON = [
  'nodes_falsenodeids',
  'nodes_featureids',
  'nodes_missing_value_tracks_true',
  'nodes_modes',
  'nodes_nodeids',
  'nodes_treeids',
  'nodes_truenodeids',
  'nodes_values',
  'nodes_hitrates',
  'post_transform',
  'base_values',
];
const REGRESSOR = [...COMMON, 'aggregate_function', 'n_targets', 'target_ids', 'target_nodeids', 'target_treeids', 'target_weights'];
const CLASSIFIER = [...COMMON, 'class_ids', 'class_nodeids', 'class_treeids', 'class_weights', 'classlabels_int64s'];

function ints(node: IrNode, name: string, required = true): number[] {
  const v = node.attributes[name];
  if (v === undefined && !required) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) throw unsupportedAttr(node, name, v);
  return v as number[];
}

function strings(node: IrNode, name: string): string[] {
  const v = node.attributes[name];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw unsupportedAttr(node, name, v);
  return v as string[];
}

function malformed(node: IrNode, why: string): ZkmlError {
  return new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (${node.opType}): ${why}`, { node: node.name, opType: node.opType });
}

function stringAttr(node: IrNode, name: string, fallback: string, allowed: readonly string[]): string {
  const v: AttrValue | undefined = node.attributes[name];
  const s = v === undefined ? fallback : v;
  if (typeof s !== 'string' || !allowed.includes(s)) throw unsupportedAttr(node, name, v);
  return s;
}

/** Parses and checks the ensemble of a TreeEnsembleRegressor / TreeEnsembleClassifier node. */
export function ensemblePlan(node: IrNode, features: number): EnsemblePlan {
  const classifier = node.opType === TREE_CLASSIFIER;
  const allowed = classifier ? CLASSIFIER : REGRESSOR;
  for (const name of Object.keys(node.attributes)) if (!allowed.includes(name)) throw unsupportedAttr(node, name, node.attributes[name]);
  const softmax = stringAttr(node, 'post_transform', 'NONE', classifier ? ['NONE', 'SOFTMAX'] : ['NONE']) === 'SOFTMAX';
  const average = !classifier && stringAttr(node, 'aggregate_function', 'SUM', ['SUM', 'AVERAGE']) === 'AVERAGE';

  const treeIds = ints(node, 'nodes_treeids');
  const nodeIds = ints(node, 'nodes_nodeids');
  const featureIds = ints(node, 'nodes_featureids');
  const values = ints(node, 'nodes_values');
  const modes = strings(node, 'nodes_modes');
  const trueIds = ints(node, 'nodes_truenodeids');
  const falseIds = ints(node, 'nodes_falsenodeids');
  const n = treeIds.length;
  for (const [name, list] of Object.entries({
    nodes_nodeids: nodeIds,
    nodes_featureids: featureIds,
    nodes_values: values,
    nodes_modes: modes,
    nodes_truenodeids: trueIds,
    nodes_falsenodeids: falseIds,
  })) {
    if (list.length !== n) throw malformed(node, `${name} has ${list.length} entries, nodes_treeids ${n}`);
  }
  const prefix = classifier ? 'class' : 'target';
  const wTrees = ints(node, `${prefix}_treeids`);
  const wNodes = ints(node, `${prefix}_nodeids`);
  const wIds = ints(node, `${prefix}_ids`);
  const wValues = ints(node, `${prefix}_weights`);
  if (wNodes.length !== wTrees.length || wIds.length !== wTrees.length || wValues.length !== wTrees.length) throw malformed(node, `the ${prefix}_* lists differ in length`);

  let targets: number;
  let labelBase = 0;
  let labelStep = 1;
  if (classifier) {
    if (node.attributes.classlabels_int64s === undefined) throw unsupportedAttr(node, 'classlabels_strings', 'strings');
    const labels = ints(node, 'classlabels_int64s');
    targets = labels.length;
    if (targets < 2) throw unsupportedAttr(node, 'classlabels_int64s', labels);
    labelBase = labels[0];
    labelStep = labels[1] - labels[0];
    if (labels.some((l, i) => l !== labelBase + i * labelStep)) throw unsupportedAttr(node, 'classlabels_int64s', labels);
    const used = new Set(wIds);
    if (targets === 2 && used.size < 2) {
      throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}' (${node.opType}): a binary classifier with one score column is not supported`, {
        node: node.name,
        opType: node.opType,
        attribute: 'class_ids',
      });
    }
  } else {
    targets = typeof node.attributes.n_targets === 'number' ? node.attributes.n_targets : 1;
    if (!Number.isInteger(targets) || targets < 1) throw unsupportedAttr(node, 'n_targets', targets);
  }
  if (wIds.some((t) => !Number.isInteger(t) || t < 0 || t >= targets)) throw malformed(node, `a ${prefix}_ids entry is outside [0, ${targets})`);
  const base = node.attributes.base_values === undefined ? new Array<number>(targets).fill(0) : (node.attributes.base_values as number[]);
  if (!Array.isArray(base) || base.length !== targets) throw unsupportedAttr(node, 'base_values', node.attributes.base_values);

  // Group node records by tree, in order of first appearance.
  const byTree = new Map<number, number[]>();
  treeIds.forEach((t, k) => byTree.set(t, [...(byTree.get(t) ?? []), k]));
  const trees: TreePlan[] = [];
  const position = new Map<string, [tree: number, pos: number]>();
  for (const [treeId, records] of byTree) {
    const posOf = new Map<number, number>();
    records.forEach((k, p) => {
      if (posOf.has(nodeIds[k])) throw malformed(node, `tree ${treeId} has node id ${nodeIds[k]} twice`);
      posOf.set(nodeIds[k], p);
    });
    const children = new Set(records.flatMap((j) => (modes[j] === 'LEAF' ? [] : [trueIds[j], falseIds[j]])));
    const root = records.findIndex((k) => !children.has(nodeIds[k]));
    if (root < 0) throw malformed(node, `tree ${treeId} has no root`);
    // Re-order so that the root is first, checking that every node is reached exactly once.
    const order: number[] = [];
    const seen = new Set<number>();
    const visit = (p: number, depth: number) => {
      if (seen.has(p)) throw malformed(node, `tree ${treeId} is not a tree (node id ${nodeIds[records[p]]} is reached twice)`);
      if (depth > MAX_TREE_DEPTH) throw malformed(node, `tree ${treeId} is deeper than ${MAX_TREE_DEPTH}`);
      seen.add(p);
      order.push(p);
      const k = records[p];
      if (modes[k] === 'LEAF') return;
      for (const child of [trueIds[k], falseIds[k]]) {
        const c = posOf.get(child);
        if (c === undefined) throw malformed(node, `tree ${treeId} node ${nodeIds[k]} points to the missing node id ${child}`);
        visit(c, depth + 1);
      }
    };
    visit(root, 0);
    if (order.length !== records.length) throw malformed(node, `tree ${treeId} has nodes its root does not reach`);
    const newPos = new Map(order.map((p, i) => [p, i]));
    const nodes = order.map((p): Branch | Leaf => {
      const k = records[p];
      position.set(`${treeId}/${nodeIds[k]}`, [trees.length, newPos.get(p)!]);
      if (modes[k] === 'LEAF') return { kind: 'leaf', weights: [] };
      if (!MODES.includes(modes[k])) throw unsupportedAttr(node, 'nodes_modes', modes[k]);
      if (!Number.isInteger(featureIds[k]) || featureIds[k] < 0 || featureIds[k] >= features) throw malformed(node, `feature ${featureIds[k]} is outside the input's ${features} features`);
      if (!Number.isFinite(values[k])) throw malformed(node, `tree ${treeId} node ${nodeIds[k]} has the threshold ${values[k]}`);
      return { kind: 'branch', mode: modes[k] as BranchMode, feature: featureIds[k], threshold: values[k], onTrue: newPos.get(posOf.get(trueIds[k])!)!, onFalse: newPos.get(posOf.get(falseIds[k])!)! };
    });
    trees.push({ nodes });
  }
  wTrees.forEach((t, k) => {
    const at = position.get(`${t}/${wNodes[k]}`);
    if (!at) throw malformed(node, `${prefix}_nodeids names the missing node ${t}/${wNodes[k]}`);
    const leaf = trees[at[0]].nodes[at[1]];
    if (leaf.kind !== 'leaf') throw malformed(node, `${prefix}_nodeids names the branch node ${t}/${wNodes[k]}`);
    if (!Number.isFinite(wValues[k])) throw malformed(node, `a ${prefix}_weights entry is ${wValues[k]}`);
    leaf.weights.push([wIds[k], wValues[k]]);
  });
  return { classifier, features, targets, trees, average, base, softmax, labelBase, labelStep };
}

/** Whether a branch sends feature value v to its true child. */
export function branchTaken(mode: BranchMode, v: number, t: number): boolean {
  switch (mode) {
    case 'BRANCH_LEQ':
      return v <= t;
    case 'BRANCH_LT':
      return v < t;
    case 'BRANCH_GTE':
      return v >= t;
    case 'BRANCH_GT':
      return v > t;
    case 'BRANCH_EQ':
      return v === t;
    case 'BRANCH_NEQ':
      return v !== t;
  }
}

/** The leaf a tree sends one sample (its features) to. */
export function leafOf(tree: TreePlan, x: ArrayLike<number>): Leaf {
  let p = 0;
  for (;;) {
    const nd = tree.nodes[p];
    if (nd.kind === 'leaf') return nd;
    p = branchTaken(nd.mode, x[nd.feature], nd.threshold) ? nd.onTrue : nd.onFalse;
  }
}

function inputShape(node: IrNode, shape: number[]): [number, number] {
  if (shape.length === 2) return [shape[0], shape[1]];
  if (shape.length === 1) return [1, shape[0]];
  throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (${node.opType}): the input must be [N, features], not [${shape}]`, { node: node.name });
}

export const treeEnsembleFamily: OpFamily = {
  ops: [TREE_REGRESSOR, TREE_CLASSIFIER],
  inferShapes(node, shapes) {
    requireInputs(node, shapes, 1);
    const [n, f] = inputShape(node, shapes[0]);
    const plan = ensemblePlan(node, f);
    return plan.classifier ? [[n], [n, plan.targets]] : [[n, plan.targets]];
  },
  evalFloat(node, [x]): FloatTensor[] {
    const [n, f] = inputShape(node, x.shape);
    const plan = ensemblePlan(node, f);
    const scores = new Float64Array(n * plan.targets);
    const labels = new Float64Array(n);
    for (let s = 0; s < n; s++) {
      const row = x.data.subarray(s * f, (s + 1) * f);
      const acc = plan.base.slice();
      for (const tree of plan.trees) for (const [t, w] of leafOf(tree, row).weights) acc[t] += plan.average ? w / plan.trees.length : w;
      // ONNX adds base_values after averaging; AVERAGE divides the tree sum only.
      let out = acc;
      if (plan.softmax) {
        const m = Math.max(...acc);
        const e = acc.map((v) => Math.exp(v - m));
        const z = e.reduce((a, b) => a + b, 0);
        out = e.map((v) => v / z);
      }
      scores.set(out, s * plan.targets);
      let best = 0;
      for (let t = 1; t < acc.length; t++) if (acc[t] > acc[best]) best = t;
      labels[s] = plan.labelBase + plan.labelStep * best;
    }
    const probs = { shape: [n, plan.targets], data: scores };
    return plan.classifier ? [{ shape: [n], data: labels }, probs] : [probs];
  },
};
