/**
 * The direct backend (src/compiler/direct) against circom on the same models: models/tiny,
 * models/tiny-matmul, a small conv net (Conv + Relu, MaxPool, a 32-input Gemm whose sums are
 * materialised, ArgMax) and one small model per gadget family (Segment, restricted Segment,
 * NonNegative, EqualsZero, Divide, Modulo), and two linear-only models whose public outputs copy
 * private inputs or are linear in them (ops-shape's and ops-spatial's circuits, where circom folds
 * the inputs away). For each: the direct r1cs has circom's constraint, wire and A/B/C non-zero
 * counts (pinned), the report's prediction equals it, the direct witness satisfies the direct r1cs
 * and its public signals are circom's witness's on the same inputs, and a tampered witness (an
 * output +1, a bit flipped) violates it. All of that with the direct backend's circom elimination rule;
 * its default rule (the short one: each bit decomposition spends its sum on its lowest bit) gives the
 * same constraint and wire counts, no more full-length coefficients (none where every output comes out of a
 * gadget; pinned), the same public signals, and refuses the same tampering.
 * snarkjs reads the r1cs, a Groth16 proof of a default direct build verifies with snarkjs, and a model
 * the backend does not cover falls back to circom, saying why.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { artifactPath, readManifest } from '../../src/formats/artifacts';
import { compileModel, CompileResult } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import { computeWitness, loadR1cs, R1cs, readSymEntries, verifyWitness, verifyWitnessFile } from '../../src/compiler/r1cs-check';
import { BN254_R } from '../../src/formats/field';
import { readR1csStats } from '../../src/compiler/r1cs-stats';
import { directWitness } from '../../src/compiler/direct/backend';
import { readWireLabels, readWireLabelsFile, wtnsBytes } from '../../src/compiler/direct/files';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { runSetup } from '../../src/setup/groth16-setup';
import { auditBuild } from '../../src/audit/audit';
import { calibrationFile, inputFile, makeTempDir, modelFile, randomInRange, seededRng, simpleGraph } from '../helpers/onnx-builders';
import { holdCurve, releaseCurve } from '../helpers/setup-fixtures';
import { shapeCircuitOnnx, spatialCircuitOnnx } from '../helpers/linear-circuits';
import { NodeSpec, writeOnnx } from '../../src/onnx/writer';
import type { InputSample } from '../../src/formats/input-document';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

function smallConvNet(): Uint8Array {
  const rng = seededRng(13);
  const w = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-0.5, 0.5));
  return simpleGraph(
    [
      { opType: 'Conv', name: 'conv', inputs: ['x', 'cw', 'cb'], outputs: ['c'], attributes: { kernel_shape: [3, 3] } },
      { opType: 'Relu', name: 'relu', inputs: ['c'], outputs: ['r'] },
      { opType: 'MaxPool', name: 'pool', inputs: ['r'], outputs: ['p'], attributes: { kernel_shape: [2, 2], strides: [2, 2] } },
      { opType: 'Flatten', name: 'flat', inputs: ['p'], outputs: ['f'], attributes: { axis: 1 } },
      { opType: 'Gemm', name: 'fc', inputs: ['f', 'fw', 'fb'], outputs: ['logits'], attributes: { transB: 1 } },
      { opType: 'ArgMax', name: 'argmax', inputs: ['logits'], outputs: ['y'], attributes: { axis: 1, keepdims: 0 } },
    ],
    {
      inputs: [{ name: 'x', elemType: 'float32', shape: [1, 1, 6, 12] }],
      outputs: [{ name: 'y', elemType: 'int64', shape: [1] }],
      initializers: [
        { name: 'cw', dims: [2, 1, 3, 3], data: w(18) },
        { name: 'cb', dims: [2], data: Float32Array.from([0.05, -0.05]) },
        { name: 'fw', dims: [3, 20], data: w(60) },
        { name: 'fb', dims: [3], data: Float32Array.from([0.1, 0, -0.1]) },
      ],
    },
  );
}

const node = (opType: string, inputs: string[], output: string, attributes: NodeSpec['attributes'] = {}): NodeSpec => ({ opType, name: output, inputs, outputs: [output], attributes });

/** Sigmoid and Tanh side by side: Segment layers of several segments (one product each). */
const smoothNet = (): Uint8Array => simpleGraph([node('Sigmoid', ['x'], 's'), node('Tanh', ['s'], 'y')], { xShape: [1, 3], yShape: [1, 3] });

/**
 * Greater (NonNegative), GatherElements by a run-time index (a restricted Segment whose slopes are
 * equal, EqualsZero bits, products) and OneHot (EqualsZero).
 */
function indexingNet(): Uint8Array {
  return writeOnnx({
    name: 'indexing',
    inputs: [
      { name: 'x', elemType: 'float32', shape: [1, 4] },
      { name: 'ix', elemType: 'int64', shape: [1, 3] },
    ],
    outputs: [
      { name: 'pos', elemType: 'float32', shape: [1, 4] },
      { name: 'picked', elemType: 'float32', shape: [1, 3] },
      { name: 'hot', elemType: 'float32', shape: [1, 3, 4] },
    ],
    initializers: [
      { name: 'zero', dims: [], data: Float32Array.of(0) },
      { name: 'depth', dims: [1], data: [4], elemType: 'int64' },
      { name: 'vals', dims: [2], data: Float32Array.of(-1, 3) },
    ],
    nodes: [node('Greater', ['x', 'zero'], 'b'), node('Cast', ['b'], 'pos', { to: 1 }), node('GatherElements', ['x', 'ix'], 'picked', { axis: 1 }), node('OneHot', ['ix', 'depth', 'vals'], 'hot')],
  });
}

/** x op z on two [1, 3] inputs (Div: a Divide of unknown divisor sign; Mod: a Modulo). */
const binaryNet =
  (op: NodeSpec, elemType: 'float32' | 'int64' = 'float32') =>
  (): Uint8Array =>
    writeOnnx({
      name: op.opType,
      inputs: ['x', 'z'].map((name) => ({ name, elemType, shape: [1, 3] })),
      outputs: [{ name: 'y', elemType, shape: [1, 3] }],
      initializers: [],
      nodes: [op],
    });

type Sampler = (rng: ReturnType<typeof seededRng>) => InputSample;
/** Nonzero values on the 1/k grid (a zero divisor has no witness). */
const nonzero = (rng: ReturnType<typeof seededRng>, k: number) =>
  Float64Array.from({ length: 3 }, () => {
    const v = Math.floor(rng.next() * 15) - 7;
    return (v === 0 ? 3 : v) / k;
  });
const operands =
  (k: number): Sampler =>
  (rng) =>
    new Map([
      ['x', nonzero(rng, k)],
      ['z', nonzero(rng, k)],
    ]);
/** Indices in [-4, 4) (the restricted table: no witness outside). */
const indexingSample: Sampler = (rng) =>
  new Map([
    ['x', Float64Array.from({ length: 4 }, () => (Math.floor(rng.next() * 31) - 15) / 16)],
    ['ix', Float64Array.from({ length: 3 }, () => Math.floor(rng.next() * 8) - 4)],
  ]);

type Case = { name: string; onnx: () => string; bytes?: () => Uint8Array; calibration?: string; settings?: Record<string, unknown>; sample?: Sampler; counts: number[]; short: number[] };

/** A/B coefficients that are not short (|v| ≥ 2^64 as a signed field element): what phase-2 setup pays for. */
function longCoefficients(r1cs: R1cs): number {
  let n = 0;
  for (const c of r1cs.constraints) for (const lc of [c.a, c.b]) for (const v of lc.coeffs) if (v >= 1n << 64n && BN254_R - v >= 1n << 64n) n++;
  return n;
}

// counts: [constraints, wires, A, B, C non-zeros] of circom --O2's r1cs, which the direct r1cs must equal
// under circom's elimination rule; short: [A, B, C non-zeros, full-length A/B coefficients] under the short rule.
const CASES: Case[] = [
  { name: 'tiny', onnx: () => modelFile('tiny'), calibration: calibrationFile('tiny'), counts: [139, 135, 441, 359, 3], short: [445, 290, 3, 0] },
  { name: 'tiny-matmul', onnx: () => modelFile('tiny-matmul'), calibration: calibrationFile('tiny-matmul'), counts: [177, 170, 548, 406, 3], short: [532, 369, 3, 0] },
  { name: 'small conv net', onnx: () => '', bytes: smallConvNet, settings: { inputRange: [-1, 1] }, counts: [3188, 3042, 10860, 10073, 327], short: [10704, 6983, 327, 0] },
  { name: 'sigmoid and tanh (Segment)', onnx: () => '', bytes: smoothNet, settings: { inputRange: [-2, 2] }, counts: [252, 229, 795, 564, 45], short: [804, 564, 45, 0] },
  {
    name: 'indexing (restricted same-slope Segment, NonNegative, EqualsZero)',
    onnx: () => '',
    bytes: indexingNet,
    settings: { inputRange: [-1, 1] },
    sample: indexingSample,
    counts: [194, 182, 447, 328, 105],
    short: [447, 328, 105, 160],
  },
  {
    name: 'Div by a run-time value (Divide)',
    onnx: () => '',
    bytes: binaryNet(node('Div', ['x', 'z'], 'y')),
    settings: { inputRange: [-1, 1] },
    sample: operands(8),
    counts: [177, 169, 498, 345, 15],
    short: [504, 345, 15, 0],
  },
  {
    name: 'fmod by a run-time value (Modulo)',
    onnx: () => '',
    bytes: binaryNet(node('Mod', ['x', 'z'], 'y', { fmod: 1 })),
    settings: { inputRange: [-1, 1] },
    sample: operands(8),
    counts: [174, 163, 483, 333, 15],
    short: [489, 333, 15, 0],
  },
  {
    name: 'fmod by a constant (Modulo, linear q·|d|)',
    onnx: () => '',
    bytes: () => simpleGraph([node('Mod', ['x', 'c'], 'y', { fmod: 1 })], { xShape: [1, 3], yShape: [1, 3], initializers: [{ name: 'c', dims: [], data: Float32Array.of(0.375) }] }),
    settings: { inputRange: [-1, 1] },
    counts: [108, 100, 306, 213, 6],
    short: [309, 213, 6, 0],
  },
  { name: 'integer Mod (Modulo, floor)', onnx: () => '', bytes: binaryNet(node('Mod', ['x', 'z'], 'y'), 'int64'), sample: operands(1), counts: [153, 145, 423, 294, 15], short: [429, 294, 15, 0] },
  // Public outputs that copy private inputs or are linear in them: both fold the inputs into the outputs.
  {
    name: 'input copies and constants (Transpose, Slice, Concat, Pad)',
    onnx: () => '',
    bytes: shapeCircuitOnnx,
    settings: { inputRange: [-1, 1] },
    counts: [136, 137, 330, 240, 32],
    short: [330, 240, 32, 240],
  },
  {
    name: 'outputs linear in the input (ConvTranspose, Resize, TopK, CumSum, DepthToSpace)',
    onnx: () => '',
    bytes: spatialCircuitOnnx,
    settings: { inputRange: [-1, 1] },
    counts: [650, 615, 1698, 1264, 280],
    short: [1698, 1264, 280, 192],
  },
];

/** The first 16 hex digits of the sha256 of each case's direct r1cs and sym (written before the backend's packed rewrite). */
const FILE_SHA256: Record<string, [string, string]> = {
  tiny: ['80d27b9588987eb1', '6f70b9829f81e73a'],
  'tiny-matmul': ['bde5ef9584cc3228', '81ca7a2e4efd341d'],
  'small conv net': ['f531aae6288717a6', '57d546e1fe8bde13'],
  'sigmoid and tanh (Segment)': ['c280ddf80d9a02a4', 'aa31941f058d952a'],
  'indexing (restricted same-slope Segment, NonNegative, EqualsZero)': ['cb221bce564b1316', '19c832f446abd964'],
  'Div by a run-time value (Divide)': ['2b6f516b96802320', 'f0fb956f4f4d3dd5'],
  'fmod by a run-time value (Modulo)': ['d5b672de89dc605f', '8d3a72ff9b71b6fb'],
  'fmod by a constant (Modulo, linear q·|d|)': ['2becbf7555ef3df6', '5b15ad6b470445d7'],
  'integer Mod (Modulo, floor)': ['ee0d2d6ca8aa997a', 'aa552d7850cdc347'],
  'input copies and constants (Transpose, Slice, Concat, Pad)': ['ab7a963b78d51813', 'd09ca391dc689b5c'],
  'outputs linear in the input (ConvTranspose, Resize, TopK, CumSum, DepthToSpace)': ['716025c8e2546862', '79fa719329e85656'],
};

describe('direct backend = circom', () => {
  let dir: string;
  before(async () => {
    dir = makeTempDir('direct');
    CASES.forEach((c, i) => {
      if (!c.bytes) return;
      const file = path.join(dir, `case${i}.onnx`);
      fs.writeFileSync(file, c.bytes());
      c.onnx = () => file;
    });
    await holdCurve();
  });
  after(async () => {
    await releaseCurve();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    test(`${c.name}: same counts, same public signals, tampering refused`, async () => {
      const build = async (backend: 'direct' | 'circom', rule: 'circom' | 'short' = 'circom'): Promise<CompileResult> =>
        compileModel(c.onnx(), path.join(dir, c.name, rule === 'short' ? 'short' : backend), {
          backend,
          directElimination: rule,
          settings: c.settings,
          ...(c.calibration ? { calibration: c.calibration } : {}),
        });
      const circom = await build('circom');
      const direct = await build('direct');
      const short = await build('direct', 'short');
      assert.equal(direct.report.backend, 'direct');
      assert.equal(circom.report.backend, 'circom');
      assert.equal(fs.existsSync(artifactPath(direct.buildDir, 'wasm')), false, 'a direct build has no wasm');
      assert.equal(readManifest(direct.buildDir).backend, 'direct');

      const stats = (r: CompileResult) => readR1csStats(artifactPath(r.buildDir, 'r1cs'));
      const d = stats(direct);
      assert.deepEqual(d, stats(circom));
      assert.deepEqual([d.constraints, d.wires, d.nonZerosA, d.nonZerosB, d.nonZerosC], c.counts);
      if (c.name === 'small conv net') {
        assert.ok(direct.report.layers.some((l) => l.layer === 'materialised sums'));
        assert.ok(readCompiled(direct.buildDir).model.layers.some((l) => l.argmax));
      }
      assert.equal(direct.report.predictedConstraints, d.constraints);
      assert.deepEqual(direct.report.r1cs, d);
      // The bytes too: the backend's data structures may change, its files may not (docs/attention.md).
      const digest = (file: 'r1cs' | 'sym') =>
        crypto
          .createHash('sha256')
          .update(fs.readFileSync(artifactPath(direct.buildDir, file)))
          .digest('hex')
          .slice(0, 16);
      assert.deepEqual([digest('r1cs'), digest('sym')], FILE_SHA256[c.name]);

      const model = readCompiled(direct.buildDir).model;
      const r1cs = loadR1cs(artifactPath(direct.buildDir, 'r1cs'));
      const labels = readWireLabels(fs.readFileSync(artifactPath(direct.buildDir, 'r1cs')));
      assert.deepEqual(readWireLabelsFile(artifactPath(direct.buildDir, 'r1cs')), labels);
      const nPublic = r1cs.nOutputs + r1cs.nPubInputs;
      const sym = readSymEntries(artifactPath(direct.buildDir, 'sym'));
      const bitWires = sym.filter((e) => e.witness > 0 && /\.bits\[\d+\]$/.test(e.name)).map((e) => e.witness);
      assert.ok(bitWires.length > 10);
      const rng = seededRng(5);
      // The short rule: the same system up to which wire each decomposition eliminates.
      const s1 = stats(short);
      assert.deepEqual([s1.constraints, s1.wires], [d.constraints, d.wires]);
      const shortR1cs = loadR1cs(artifactPath(short.buildDir, 'r1cs'));
      assert.deepEqual([s1.nonZerosA, s1.nonZerosB, s1.nonZerosC, longCoefficients(shortR1cs)], c.short);
      assert.ok(longCoefficients(shortR1cs) <= longCoefficients(r1cs), 'no more full-length A/B coefficients than circom');
      const shortLabels = readWireLabels(fs.readFileSync(artifactPath(short.buildDir, 'r1cs')));
      for (let s = 0; s < 3; s++) {
        const input = circuitInput(model, quantizeSample(model, c.sample ? c.sample(rng) : randomInRange(model, rng)));
        const w = directWitness(model, input, labels);
        const reference = await computeWitness(input, artifactPath(circom.buildDir, 'wasm'));
        assert.deepEqual(w.slice(0, 1 + nPublic), reference.slice(0, 1 + nPublic));
        assert.deepEqual(verifyWitness(r1cs, w), { ok: true });
        const ws = directWitness(model, input, shortLabels);
        assert.deepEqual(ws.slice(0, 1 + nPublic), reference.slice(0, 1 + nPublic));
        assert.deepEqual(verifyWitness(shortR1cs, ws), { ok: true });
        const wsOut = [...ws];
        wsOut[1] = wsOut[1] + 1n;
        assert.equal(verifyWitness(shortR1cs, wsOut).ok, false, 'short rule: an output +1 is refused');
        const output = [...w];
        output[1] = output[1] + 1n;
        assert.equal(verifyWitness(r1cs, output).ok, false, 'an output +1 is refused');
        // The streamed check (for r1cs files too large to load) agrees.
        assert.deepEqual(verifyWitnessFile(artifactPath(direct.buildDir, 'r1cs'), w), { ok: true });
        assert.deepEqual(verifyWitnessFile(artifactPath(direct.buildDir, 'r1cs'), output), verifyWitness(r1cs, output));
        for (const wire of [bitWires[s], bitWires[bitWires.length - 1 - s]]) {
          const flipped = [...w];
          flipped[wire] = 1n - flipped[wire];
          assert.equal(verifyWitness(r1cs, flipped).ok, false, `bit wire ${wire} flipped is refused`);
        }
      }
    });
  }

  test('snarkjs reads the direct r1cs; a Groth16 proof of a direct build verifies; the audit refuses every mutation', async () => {
    const buildDir = path.join(dir, 'tiny', 'short');
    const info = await snarkjs.r1cs.info(artifactPath(buildDir, 'r1cs'));
    assert.equal(info.nConstraints, 139);
    assert.equal(info.nOutputs, 2);
    await runSetup(buildDir, { cacheDir: path.join(dir, 'cache') });
    const model = readCompiled(buildDir).model;
    const input = circuitInput(model, quantizeSample(model, randomInRange(model, seededRng(9))));
    const w = directWitness(model, input, readWireLabels(fs.readFileSync(artifactPath(buildDir, 'r1cs'))));
    const { proof, publicSignals } = await snarkjs.groth16.prove(artifactPath(buildDir, 'zkey'), { type: 'mem', data: wtnsBytes(w) });
    const vk = JSON.parse(fs.readFileSync(artifactPath(buildDir, 'vk'), 'utf8'));
    assert.equal(await snarkjs.groth16.verify(vk, publicSignals, proof), true);
    assert.equal(await snarkjs.groth16.verify(vk, [String(BigInt(publicSignals[0]) + 1n), ...publicSignals.slice(1)], proof), false);
    const audit = await auditBuild(buildDir, JSON.parse(fs.readFileSync(inputFile('tiny'), 'utf8')));
    assert.equal(audit.forgeries, 0);
    assert.ok(audit.classes.reduce((n, k) => n + k.tried, 0) > 100);
  });

  test('a model the backend does not cover falls back to circom and says why', async () => {
    const onnx = path.join(dir, 'sigmoid.onnx');
    fs.writeFileSync(onnx, simpleGraph([{ opType: 'Sigmoid', name: 'sig', inputs: ['x'], outputs: ['y'] }], { xShape: [1, 2], yShape: [1, 2] }));
    const r = await compileModel(onnx, path.join(dir, 'sigmoid'), { settings: { inputRange: [-2, 2], outputVisibility: 'hashed' } });
    assert.equal(r.report.backend, 'circom');
    assert.match(r.report.backendFallback ?? '', /hashed inputs\/outputs/);
    assert.ok(fs.existsSync(artifactPath(r.buildDir, 'wasm')));
    assert.match(fs.readFileSync(artifactPath(r.buildDir, 'reportText'), 'utf8'), /backend: +circom \(direct backend not used: /);
  });
});
