/**
 * The compile stage end to end on real models: deterministic circom source and r1cs, public input
 * declarations, predicted constraint counts, the circuit computing exactly the integer reference,
 * and witness mutation on the generated circuit (the soundness check).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { artifactPath } from '../../src/formats/artifacts';
import { readR1csHeader } from '../../src/snark/r1cs-header';
import { CompileResult, compileModel } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import { chunkRows, emitCircuit, MAX_TEMPLATE_COST } from '../../src/compiler/emit';
import { verifyWitness, computeWitness, loadR1cs, readSymEntries } from '../../src/compiler/r1cs-check';
import { ZkmlError } from '../../src/errors';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { BN254_R, toField } from '../../src/formats/field';
import type { QuantizedModel, Row } from '../../src/formats/quantized-model';
import { quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { parseSettings } from '../../src/formats/settings';
import { calibrationFile, loadShipped, makeTempDir, modelFile, randomInRange, seededRng } from '../helpers/onnx-builders';

describe('emitCircuit', () => {
  const { graph, calibration } = loadShipped('tiny');

  test('the same model always yields the same source, and quantizing again changes nothing', () => {
    const settings = parseSettings({});
    const a = quantizeGraph(graph, settings, calibration);
    const b = quantizeGraph(graph, settings, calibration);
    assert.equal(emitCircuit(a, 'model.onnx'), emitCircuit(a, 'model.onnx'));
    assert.equal(emitCircuit(a, 'model.onnx'), emitCircuit(b, 'model.onnx'));
  });

  test('inputs are listed in main {public [...]} only for inputVisibility public', () => {
    const pub = emitCircuit(quantizeGraph(graph, parseSettings({ inputVisibility: 'public' }), calibration), 'm');
    const priv = emitCircuit(quantizeGraph(graph, parseSettings({ inputVisibility: 'private' }), calibration), 'm');
    assert.match(pub, /^component main \{public \[x0\]\} = Model\(\);$/m);
    assert.match(priv, /^component main = Model\(\);$/m);
    assert.doesNotMatch(priv, /public \[/);
    // Either way the input is range-checked.
    for (const src of [pub, priv]) assert.match(src, /rc0\[i\] = RangeCheck\(8, -128\);/);
  });

  test('each layer is a template that Model instantiates and wires; Model keeps inputs x<id> and outputs y<j>', () => {
    const model = quantizeGraph(graph, parseSettings({}), calibration);
    const src = emitCircuit(model, 'm');
    const templates = [...src.matchAll(/^template (\w+)\(\) \{$/gm)].map((m) => m[1]);
    assert.deepEqual(templates, [...model.layers.map((_, i) => `Layer${i}`), 'Model']);
    model.layers.forEach((layer, i) => {
      assert.match(src, new RegExp(`^    component l${i} = Layer${i}\\(\\);$`, 'm'));
      assert.match(src, new RegExp(`^    for \\(var i = 0; i < ${layer.rows.length}; i\\+\\+\\) x${layer.out}\\[i\\] <== l${i}\\.out\\[i\\];$`, 'm'));
    });
    assert.match(src, /^ {4}signal input x0\[4\];/m);
    assert.match(src, /^ {4}signal output y0\[2\];/m);
  });

  test('rows are cut into consecutive parts within the budget; a row above it stays alone', () => {
    const row = (terms: number): Row => ({ bias: 0n, terms: Array.from({ length: terms }, (_, i) => [0, i, 1n] as [number, number, bigint]), products: [] });
    // rowCost = 4 + terms.
    assert.deepEqual(chunkRows([row(6), row(6), row(6)], 20), [
      [0, 2],
      [2, 3],
    ]);
    assert.deepEqual(chunkRows([row(6), row(40), row(1)], 20), [
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    assert.deepEqual(chunkRows([], 20), []);
    const rows = Array.from({ length: 5000 }, (_, i) => row(1 + (i % 40)));
    const parts = chunkRows(rows);
    assert.ok(parts.length > 1);
    assert.equal(parts[0][0], 0);
    assert.equal(parts[parts.length - 1][1], rows.length);
    parts.forEach(([a, b], k) => {
      if (k > 0) assert.equal(a, parts[k - 1][1], 'consecutive');
      const cost = rows.slice(a, b).reduce((n, r) => n + 4 + r.terms.length, 0);
      assert.ok(cost <= MAX_TEMPLATE_COST, `part ${k} costs ${cost}`);
    });
  });
});

describe('compiled circuits', () => {
  const built: string[] = [];
  let tinyA: CompileResult;
  let tinyB: CompileResult;
  let matmul: CompileResult;

  before(async () => {
    const compile = async (name: 'tiny' | 'tiny-matmul') => {
      const dir = makeTempDir(`emit-${name}`);
      built.push(dir);
      return compileModel(modelFile(name), dir, { calibration: calibrationFile(name) });
    };
    tinyA = await compile('tiny');
    tinyB = await compile('tiny');
    matmul = await compile('tiny-matmul');
  });
  after(() => {
    for (const dir of built) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('compiling the same ONNX + settings twice gives byte-identical main.circom, r1cs, sym and manifest hashes', () => {
    // The default (direct) backend writes no wasm: the witness comes from compiled.json.
    assert.equal(tinyA.manifest.backend, 'direct');
    for (const name of ['circuitSource', 'r1cs', 'sym', 'compiled'] as const) {
      const a = fs.readFileSync(artifactPath(tinyA.buildDir, name));
      const b = fs.readFileSync(artifactPath(tinyB.buildDir, name));
      assert.ok(a.equals(b), `${name} differs between two builds`);
    }
    const { onnxSha256, settingsSha256, circuitSourceSha256, r1csSha256 } = tinyA.manifest;
    assert.deepEqual(
      { onnxSha256, settingsSha256, circuitSourceSha256, r1csSha256 },
      {
        onnxSha256: tinyB.manifest.onnxSha256,
        settingsSha256: tinyB.manifest.settingsSha256,
        circuitSourceSha256: tinyB.manifest.circuitSourceSha256,
        r1csSha256: tinyB.manifest.r1csSha256,
      },
    );
  });

  test('the report predicts the r1cs constraint count exactly (tiny and tiny-matmul)', () => {
    for (const r of [tinyA, matmul]) {
      const info = readR1csHeader(artifactPath(r.buildDir, 'r1cs'), 'CIRCOM_FAILED');
      assert.equal(r.report.predictedConstraints, info.nConstraints, `${r.buildDir}`);
      assert.equal(r.report.constraints, info.nConstraints);
      assert.equal(r.constraints, info.nConstraints);
      assert.equal(r.publicSignals, info.nOutputs + info.nPubInputs);
      const report = JSON.parse(fs.readFileSync(artifactPath(r.buildDir, 'report'), 'utf8'));
      assert.equal(report.predictedConstraints, info.nConstraints);
    }
  });

  for (const which of ['tiny', 'tiny-matmul'] as const) {
    test(`${which}: the circuit's outputs equal the integer reference on 20 random inputs and the edges`, async () => {
      const r = which === 'tiny' ? tinyA : matmul;
      const model = readCompiled(r.buildDir).model;
      const r1cs = loadR1cs(artifactPath(r.buildDir, 'r1cs'));
      const out = model.outputs[0];
      const nOut = model.tensors[out.tensor].size;
      assert.equal(r1cs.nOutputs, nOut);
      const rng = seededRng(which.length);
      const samples = Array.from({ length: 20 }, () => randomInRange(model, rng));
      samples.push(randomInRange(model, rng, 1), randomInRange(model, rng, 1)); // corners of the input box
      for (const sample of samples) {
        const q = quantizeSample(model, sample);
        const witness = await computeWitness(circuitInput(model, q), artifactPath(r.buildDir, 'wasm'));
        const expected = runReference(model, q)[out.tensor].map(toField);
        assert.deepEqual(witness.slice(1, 1 + nOut).map(String), expected, `input ${[...q.values()].join(';')}`);
        assert.deepEqual(verifyWitness(r1cs, witness), { ok: true });
      }
    });
  }

  test('tiny: an input outside its range makes witness generation fail', async () => {
    const model = readCompiled(tinyA.buildDir).model;
    const x = model.inputs[0];
    // The witness calculator prints its failed assert on the console: keep the test output clean.
    const { log, error } = console;
    console.log = console.error = () => undefined;
    try {
      for (const bad of [x.hi + 1n, x.lo - 1n]) {
        const input = { [`x${x.tensor}`]: [toField(bad), '0', '0', '0'] };
        await assert.rejects(computeWitness(input, artifactPath(tinyA.buildDir, 'wasm')), (e: unknown) => e instanceof ZkmlError && e.code === 'WITNESS_FAILED');
      }
    } finally {
      Object.assign(console, { log, error });
    }
  });

  test('tiny: changing any single wire of a valid witness (an output, an input, any intermediate) violates a constraint', async () => {
    const model: QuantizedModel = readCompiled(tinyA.buildDir).model;
    const r1cs = loadR1cs(artifactPath(tinyA.buildDir, 'r1cs'));
    const names = new Map<number, string>();
    for (const e of readSymEntries(artifactPath(tinyA.buildDir, 'sym'))) if (e.witness >= 0 && !names.has(e.witness)) names.set(e.witness, e.name);
    const rng = seededRng(77);
    for (let s = 0; s < 3; s++) {
      const q = quantizeSample(model, randomInRange(model, rng));
      const witness = await computeWitness(circuitInput(model, q), artifactPath(tinyA.buildDir, 'wasm'));
      assert.deepEqual(verifyWitness(r1cs, witness), { ok: true });
      let intermediates = 0;
      for (let wire = 0; wire < witness.length; wire++) {
        for (const delta of [1n, BN254_R - 1n, 1n << 64n]) {
          const mutated = [...witness];
          mutated[wire] = (mutated[wire] + delta) % BN254_R;
          const check = verifyWitness(r1cs, mutated);
          assert.equal(check.ok, false, `wire ${wire} (${names.get(wire) ?? '?'}) + ${delta} still satisfies every constraint`);
        }
        if (wire > r1cs.nOutputs + r1cs.nPubInputs + r1cs.nPrvInputs) intermediates++;
      }
      assert.ok(intermediates > 50, `${intermediates} intermediate wires mutated`);
      assert.match(names.get(1) ?? '', /^main\.y0\[0\]$/, 'wire 1 is the first output');
    }
  });

  test('the build folder holds every artifact the manifest names', () => {
    for (const r of [tinyA, matmul]) {
      for (const name of ['onnx', 'compiled', 'circuitSource', 'r1cs', 'sym', 'report', 'reportText', 'manifest'] as const) {
        assert.ok(fs.existsSync(artifactPath(r.buildDir, name)), `${name} in ${r.buildDir}`);
      }
      // A direct build has no wasm (and says so); a circom build has one.
      assert.equal(fs.existsSync(artifactPath(r.buildDir, 'wasm')), r.manifest.backend !== 'direct');
      assert.equal(r.manifest.compiledSha256 !== undefined, r.manifest.backend === 'direct');
      assert.ok(!fs.existsSync(path.join(artifactPath(r.buildDir, 'circuitDir'), 'build')), 'circom scratch folder removed');
    }
  });
});
