/**
 * The circuit shape: a rescale that reads a long sum gets the sum in a signal of its own
 * (acc * one === sum), so circom's --O2 leaves it in C of one constraint and the A and B rows stay
 * short. Checked on a compiled 40-input dense layer: the source, the r1cs non-zero counts (against
 * the BigInt r1cs reader), the predicted count, the integer reference, and that the materialised
 * sum and the 1 cannot be changed.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { artifactPath } from '../../src/formats/artifacts';
import { CompileResult, compileModel } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import { emitCircuit, materialisedSums } from '../../src/compiler/emit';
import { computeWitness, loadR1cs, readSymFile, verifyWitness } from '../../src/compiler/r1cs-check';
import { readR1csStats } from '../../src/compiler/r1cs-stats';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { toField } from '../../src/formats/field';
import { runReference } from '../../src/quantize/reference';
import { makeTempDir, randomInRange, seededRng, simpleGraph } from '../helpers/onnx-builders';

const N = 40;
const OUT = 3;

function denseRelu(): Uint8Array {
  const rng = seededRng(40);
  return simpleGraph(
    [
      { opType: 'Gemm', name: 'fc', inputs: ['x', 'w', 'b'], outputs: ['h'], attributes: { transB: 1 } },
      { opType: 'Relu', name: 'relu', inputs: ['h'], outputs: ['y'] },
    ],
    {
      xShape: [1, N],
      yShape: [1, OUT],
      initializers: [
        { name: 'w', dims: [OUT, N], data: Float32Array.from({ length: OUT * N }, () => rng.uniform(-0.5, 0.5)) },
        { name: 'b', dims: [OUT], data: Float32Array.from([0.1, -0.2, 0.05]) },
      ],
    },
  );
}

describe('materialised sums', () => {
  let dir: string;
  let result: CompileResult;
  before(async () => {
    dir = makeTempDir('shape');
    fs.writeFileSync(`${dir}/model.onnx`, denseRelu());
    // circom's --O2 on the emitted shape is what this file checks (the direct backend writes the same r1cs: direct-backend.test.ts).
    result = await compileModel(`${dir}/model.onnx`, `${dir}/build`, { backend: 'circom', settings: { inputRange: [-1, 1] } });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('each long row gets one signal and one constraint; the old shape has neither', () => {
    const model = readCompiled(result.buildDir).model;
    const src = fs.readFileSync(artifactPath(result.buildDir, 'circuitSource'), 'utf8');
    assert.equal(materialisedSums(model), OUT);
    assert.equal([...src.matchAll(/^ {4}a\d+_\d+ \* one === acc;$/gm)].length, OUT);
    assert.match(src, /^ {4}component unit = One\(\);$/m);
    const old = emitCircuit(model, 'model.onnx', { materialiseSums: false });
    assert.doesNotMatch(old, /\* one ===|One\(\)/);
  });

  test('the report predicts the r1cs, and its non-zero counts are the r1cs file', () => {
    assert.equal(result.report.predictedConstraints, result.constraints);
    const r1cs = loadR1cs(artifactPath(result.buildDir, 'r1cs'));
    const count = (m: 'a' | 'b' | 'c') => r1cs.constraints.reduce((n, k) => n + k[m].wires.length, 0);
    const stats = readR1csStats(artifactPath(result.buildDir, 'r1cs'));
    assert.deepEqual(result.report.r1cs, stats);
    assert.deepEqual([stats.constraints, stats.wires, stats.nonZerosA, stats.nonZerosB, stats.nonZerosC], [r1cs.constraints.length, r1cs.nVars, count('a'), count('b'), count('c')]);
    // The 40-term sums sit in C only: an A or B row holds at most one decomposition's bits (and the 1).
    const widest = Math.max(...result.report.layers.map((l) => l.maxBits));
    assert.ok(stats.maxRowAB <= widest + 2, `longest A/B row ${stats.maxRowAB}, widest decomposition ${widest} bits`);
    assert.ok(stats.nonZerosC >= OUT * N);
    assert.ok(result.report.provingCost!.abcCoefficients === stats.nonZerosA + stats.nonZerosB);
    assert.ok(result.report.compile!.circomMs > 0 && result.report.compile!.circomShare > 0 && result.report.compile!.circomShare <= 1);
    assert.ok(result.report.compile!.circomPeakMemoryBytes! > 10 * 2 ** 20, 'circom reports its peak memory');
  });

  test('outputs equal the integer reference; the materialised sums and the 1 cannot be changed', async () => {
    const model = readCompiled(result.buildDir).model;
    const r1cs = loadR1cs(artifactPath(result.buildDir, 'r1cs'));
    const sym = readSymFile(artifactPath(result.buildDir, 'sym'));
    const out = model.outputs[0];
    const wires = [...sym].filter(([name, w]) => w >= 0 && (/\.a\d+_\d+$/.test(name) || /\.unit\.(out|inv)$/.test(name))).map(([, w]) => w);
    // The 1 and its inverse keep their wires; --O2 may fold a sum's signal into its rescale's bits
    // (then the bits sit in A of acc * one === sum), so not every sum keeps one.
    assert.ok(new Set(wires).size >= 2, 'the 1 and its inverse have wires');
    const rng = seededRng(41);
    for (let s = 0; s < 5; s++) {
      const q = quantizeSample(model, randomInRange(model, rng));
      const witness = await computeWitness(circuitInput(model, q), artifactPath(result.buildDir, 'wasm'));
      assert.deepEqual(witness.slice(1, 1 + OUT).map(String), runReference(model, q)[out.tensor].map(toField));
      assert.deepEqual(verifyWitness(r1cs, witness), { ok: true });
      for (const w of wires) {
        for (const delta of [1n, -1n]) {
          const forged = [...witness];
          forged[w] = forged[w] + delta;
          assert.equal(verifyWitness(r1cs, forged).ok, false, `wire ${w} ${delta > 0 ? '+' : '-'}1 accepted`);
        }
      }
    }
  });
});
