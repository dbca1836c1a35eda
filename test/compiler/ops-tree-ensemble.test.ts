/**
 * ai.onnx.ml TreeEnsembleRegressor / TreeEnsembleClassifier (docs/logic.md, "Tree ensembles"): every
 * branch mode, SUM and AVERAGE, base values, several targets, SOFTMAX; on inputs the quantizer
 * represents exactly (thresholds on the grid make ties), the integer model takes onnxruntime's
 * branches, so its scores differ only by the leaf weights' rounding and its labels are equal; the
 * compiled circuit's witness equals the integer reference, its constraint count is pinned and
 * predicted, and a changed score or label is rejected. Unsupported attributes are refused at
 * ingest naming the node, the op and the attribute.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { onnx } from 'onnx-proto';
import { artifactPath } from '../../src/formats/artifacts';
import { CompileResult, compileModel } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import { verifyWitness, computeWitness, loadR1cs } from '../../src/compiler/r1cs-check';
import { toField } from '../../src/formats/field';
import { loadOnnx } from '../../src/onnx/load';
import { writeOnnx } from '../../src/onnx/writer';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { runFloat } from '../../src/quantize/float-executor';
import type { InputSample } from '../../src/formats/input-document';
import { quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { parseSettings } from '../../src/formats/settings';
import { expectCode, makeTempDir, runOrtFloat, seededRng } from '../helpers/onnx-builders';

const F = 4;
type Attr = number | number[] | string | string[];

/** Three trees over 4 features, every branch mode, thresholds on the 1/8 grid (ties) and off it. */
const TREES = {
  nodes_treeids: [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2],
  nodes_nodeids: [0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 0],
  nodes_featureids: [0, 1, 0, 2, 0, 0, 0, 3, 2, 0, 0, 0, 0],
  nodes_modes: ['BRANCH_LEQ', 'BRANCH_LT', 'LEAF', 'BRANCH_GTE', 'LEAF', 'LEAF', 'LEAF', 'BRANCH_EQ', 'BRANCH_GT', 'LEAF', 'LEAF', 'LEAF', 'LEAF'],
  nodes_values: [0.25, -0.3, 0, 0.5, 0, 0, 0, 0, 0.125, 0, 0, 0, 0],
  nodes_truenodeids: [1, 2, 0, 4, 0, 0, 0, 1, 3, 0, 0, 0, 0],
  nodes_falsenodeids: [3, 5, 0, 6, 0, 0, 0, 2, 4, 0, 0, 0, 0],
  nodes_missing_value_tracks_true: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
};
// Leaves: tree 0 → 2, 4, 5, 6; tree 1 → 2, 3, 4; tree 2 → 0 (a single leaf).
const LEAVES: Array<[tree: number, node: number, weights: [number, number, number]]> = [
  [0, 2, [0.5, -1.25, 0.1]],
  [0, 4, [-0.75, 0.3, 0.9]],
  [0, 5, [1.5, 0.2, -0.4]],
  [0, 6, [0.05, 0.8, 0.3]],
  [1, 2, [-0.2, 0.6, 0.25]],
  [1, 3, [0.7, -0.1, 0.45]],
  [1, 4, [0.15, 0.35, -0.6]],
  [2, 0, [0.1, 0.2, 0.3]],
];

function weights(prefix: 'target' | 'class', targets: number): Record<string, number[]> {
  const rows = LEAVES.flatMap(([t, n, w]) => w.slice(0, targets).map((v, k) => [t, n, k, v]));
  return { [`${prefix}_treeids`]: rows.map((r) => r[0]), [`${prefix}_nodeids`]: rows.map((r) => r[1]), [`${prefix}_ids`]: rows.map((r) => r[2]), [`${prefix}_weights`]: rows.map((r) => r[3]) };
}

function attribute(name: string, v: Attr): onnx.AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(v) });
  if (typeof v === 'number') return onnx.AttributeProto.create({ name, type: T.INT, i: v });
  if (typeof v[0] === 'string') return onnx.AttributeProto.create({ name, type: T.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) });
  const floats = name.endsWith('_values') || name.endsWith('_weights');
  return floats ? onnx.AttributeProto.create({ name, type: T.FLOATS, floats: v as number[] }) : onnx.AttributeProto.create({ name, type: T.INTS, ints: v as number[] });
}

/** A one-node ai.onnx.ml model (the writer knows only the default domain, so the node is set here). */
function treeModel(op: 'TreeEnsembleRegressor' | 'TreeEnsembleClassifier', attrs: Record<string, Attr>, targets: number): Uint8Array {
  const classifier = op === 'TreeEnsembleClassifier';
  const outputs = classifier
    ? [
        { name: 'label', elemType: 'int64' as const, shape: [1] },
        { name: 'probabilities', elemType: 'float32' as const, shape: [1, targets] },
      ]
    : [{ name: 'y', elemType: 'float32' as const, shape: [1, targets] }];
  const model = onnx.ModelProto.decode(writeOnnx({ name: 'trees', inputs: [{ name: 'x', elemType: 'float32', shape: [1, F] }], outputs, nodes: [] }));
  model.opsetImport = [onnx.OperatorSetIdProto.create({ domain: 'ai.onnx.ml', version: 3 })];
  model.graph!.node = [
    onnx.NodeProto.create({
      name: 'trees',
      opType: op,
      domain: 'ai.onnx.ml',
      input: ['x'],
      output: outputs.map((o) => o.name),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    }),
  ];
  return onnx.ModelProto.encode(model).finish();
}

const regressor = (extra: Record<string, Attr> = {}) =>
  treeModel('TreeEnsembleRegressor', { ...TREES, ...weights('target', 2), n_targets: 2, base_values: [0.5, -0.25], post_transform: 'NONE', ...extra }, 2);
const classifier = (extra: Record<string, Attr> = {}) => treeModel('TreeEnsembleClassifier', { ...TREES, ...weights('class', 3), classlabels_int64s: [0, 1, 2], post_transform: 'NONE', ...extra }, 3);

/** Inputs on a 1/8 grid in [-1, 1): exact at the input scale, and they meet the grid thresholds. */
function gridSample(rng: ReturnType<typeof seededRng>): InputSample {
  return new Map([['x', Float64Array.from({ length: F }, () => (Math.floor(rng.next() * 16) - 8) / 8)]]);
}

const settings = { inputRange: [-1, 1] as [number, number] };

async function compareWithOrt(bytes: Uint8Array): Promise<void> {
  const graph = loadOnnx(bytes);
  const rng = seededRng(3);
  const samples = Array.from({ length: 60 }, () => gridSample(rng));
  const model = quantizeGraph(graph, parseSettings(settings), samples);
  const ort = await runOrtFloat(bytes, graph.inputs, samples);
  samples.forEach((s, k) => {
    const float = runFloat(graph, s);
    const ints = runReference(model, quantizeSample(model, s));
    for (const o of model.outputs) {
      const want = Array.from(ort[k].get(o.name)!, Number);
      float.get(o.name)!.data.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `float ${o.name}[${i}]: ${v} vs ${want[i]}`));
      const got = ints[o.tensor].map((v) => Number(v) / 2 ** o.scaleBits);
      if (o.name === 'label') assert.deepEqual(got, want, `label, sample ${k}`);
      // Same branches: only the leaf weights' rounding (3 trees, half a step each) and the softmax error remain.
      else
        got.forEach((v, i) =>
          assert.ok(Math.abs(v - want[i]) <= Math.min(o.errorBound, 3 * 2 ** -(o.scaleBits + 1) + (o.name === 'probabilities' ? 0.05 : 0)) + 1e-6, `${o.name}[${i}]: ${v} vs ${want[i]}`),
        );
    }
  });
}

describe('tree ensembles', () => {
  test('regressor (SUM, two targets, base values): the integer model takes onnxruntime branches, ties included', () => compareWithOrt(regressor()));
  test('regressor (AVERAGE)', () => compareWithOrt(regressor({ aggregate_function: 'AVERAGE' })));
  test('regressor with BRANCH_NEQ (BRANCH_EQ with its children swapped)', () => compareWithOrt(regressor({ nodes_modes: TREES.nodes_modes.map((m) => (m === 'BRANCH_EQ' ? 'BRANCH_NEQ' : m)) })));
  test('classifier (NONE): the same labels and scores as onnxruntime', () => compareWithOrt(classifier()));
  test('classifier (SOFTMAX)', () => compareWithOrt(classifier({ post_transform: 'SOFTMAX' })));

  describe('classifier circuit', () => {
    let dir: string;
    let result: CompileResult;
    before(async () => {
      dir = makeTempDir('trees');
      fs.writeFileSync(`${dir}/model.onnx`, classifier());
      result = await compileModel(`${dir}/model.onnx`, `${dir}/build`, { settings });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('the witness equals the integer reference; the count is pinned and predicted; a changed label or score is rejected', async () => {
      const build = `${dir}/build`;
      const model = readCompiled(build).model;
      assert.equal(result.report.predictedConstraints, result.constraints);
      // Pinned: 4 inputs × 8 bits (32) + 5 branch tests (4 · NonNegative(8) = 36, one EqualsZero = 2)
      // + 3 path products (the roots' are free) + ArgMax(3, 12) over the scores (42); the sums are free.
      assert.equal(result.constraints, 115);
      assert.match(fs.readFileSync(artifactPath(build, 'circuitSource'), 'utf8'), /ArgMax\(3, 12, 0\)/);
      const r1cs = loadR1cs(artifactPath(build, 'r1cs'));
      const rng = seededRng(4);
      const labels = new Set<bigint>();
      for (let s = 0; s < 10; s++) {
        const q = quantizeSample(model, gridSample(rng));
        const values = runReference(model, q);
        const witness = await computeWitness(circuitInput(model, q), artifactPath(build, 'wasm'));
        const outs = model.outputs.flatMap((o) => values[o.tensor]);
        outs.forEach((v, i) => assert.equal(witness[1 + i].toString(), toField(v)));
        labels.add(outs[0]);
        assert.deepEqual(verifyWitness(r1cs, witness), { ok: true });
        for (let i = 0; i < outs.length; i++) {
          const forged = [...witness];
          forged[1 + i] = forged[1 + i] + 1n;
          assert.equal(verifyWitness(r1cs, forged).ok, false, `output ${i} + 1 accepted`);
        }
      }
      assert.ok(labels.size >= 2, `several labels won (${[...labels]})`);
    });
  });

  test('refuses unsupported attributes at ingest, naming the node, the op and the attribute', () => {
    const cases: Array<[Uint8Array, RegExp]> = [
      [regressor({ aggregate_function: 'MAX' }), /aggregate_function/],
      [regressor({ post_transform: 'LOGISTIC' }), /post_transform/],
      [classifier({ post_transform: 'PROBIT' }), /post_transform/],
      [regressor({ target_weights_as_tensor: [1] }), /target_weights_as_tensor/],
      [classifier({ classlabels_int64s: [3, 1, 7] }), /classlabels_int64s/],
    ];
    for (const [bytes, attr] of cases) {
      const err = expectCode(() => loadOnnx(bytes), 'ONNX_UNSUPPORTED_ATTRIBUTE');
      assert.match(err.message, /'trees'/);
      assert.match(err.message, /TreeEnsemble/);
      assert.match(err.message, attr);
    }
    const privateWeights = loadOnnx(regressor());
    assert.match(expectCode(() => quantizeGraph(privateWeights, parseSettings({ ...settings, weightVisibility: 'private' })), 'ONNX_UNSUPPORTED_OP').message, /'trees'.*private weights/);
    const broken = regressor({ nodes_truenodeids: [1, 2, 0, 4, 0, 0, 0, 1, 9, 0, 0, 0, 0] });
    assert.match(expectCode(() => loadOnnx(broken), 'ONNX_MALFORMED').message, /'trees'.*missing node id 9/);
    const cyclic = regressor({ nodes_falsenodeids: [3, 5, 0, 1, 0, 0, 0, 2, 4, 0, 0, 0, 0] });
    assert.match(expectCode(() => loadOnnx(cyclic), 'ONNX_MALFORMED').message, /reached twice|no root/);
  });
});
