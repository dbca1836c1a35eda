/**
 * The soundness audit on whole models: every shipped model's circuit refuses every mutation of
 * every class, and the same audit, run on the same model compiled with a circomlib-ml-style rescale
 * (remainder bounded by an assert only), finds forged outputs. So the audit can fail.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { artifactPath, ARTIFACTS } from '../../src/formats/artifacts';
import { auditBuild, auditCircuit, AuditReport } from '../../src/audit/audit';
import { compileCircom } from '../../src/compiler/circom2';
import { compileModel } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { readInput } from '../../src/formats/input-document';
import { calibrationFile, inputFile, makeTempDir, modelFile, ShippedModel } from '../helpers/onnx-builders';

const SHIPPED: ShippedModel[] = ['tiny', 'tiny-matmul', 'mnist-mlp'];

/** Requantize and RequantizeRelu with our parameters, written the circomlib-ml way: free remainder. */
const ASSERTED_REQUANTIZE = `pragma circom 2.1.0;
template Requantize(k, n, lo) {
    signal input in;
    signal output out;
    signal r;
    var h = k > 0 ? 1 << (k - 1) : 0;
    out <-- (in + h) \\ (1 << k);
    r <-- (in + h) % (1 << k);
    assert(r < (1 << k));
    out * (1 << k) + r === in + h;
}
template RequantizeRelu(k, m) {
    signal input in;
    signal output out;
    signal q;
    signal r;
    var h = k > 0 ? 1 << (k - 1) : 0;
    q <-- (in + h) \\ (1 << k);
    r <-- (in + h) % (1 << k);
    assert(r < (1 << k));
    q * (1 << k) + r === in + h;
    out <-- q > 0 ? q : 0;
    out * (out - q) === 0;
}
`;

function tried(report: AuditReport, cls: string): number {
  return report.classes.find((c) => c.mutationClass === cls)?.tried ?? 0;
}

describe('soundness audit of compiled models', () => {
  let work: string;
  before(() => {
    work = makeTempDir('audit');
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  for (const name of SHIPPED) {
    test(`${name}: every mutation class is tried and every mutation refused`, async () => {
      const build = path.join(work, name);
      await compileModel(modelFile(name), build, { calibration: calibrationFile(name) });
      const report = await auditBuild(build, JSON.parse(fs.readFileSync(inputFile(name), 'utf8')), { perClass: 400 });
      assert.equal(report.forgeries, 0, JSON.stringify(report.classes.filter((c) => c.accepted.length > 0)));
      for (const cls of ['outputs', 'quotient bits', 'remainder bits', 'range-check bits', 'forged rescale']) {
        assert.ok(tried(report, cls) > 0, `${name}: class '${cls}' was tried`);
      }
    });
  }

  test('tiny with hashed input and output, two inferences per proof: every mutation refused, commitments included', async () => {
    const build = path.join(work, 'tiny-hashed-batch');
    await compileModel(modelFile('tiny'), build, { calibration: calibrationFile('tiny'), settings: { inputVisibility: 'hashed', outputVisibility: 'hashed', batchSize: 2 } });
    const one = JSON.parse(fs.readFileSync(inputFile('tiny'), 'utf8')).input_data[0];
    const report = await auditBuild(build, { input_data: [one, one.map((v: number) => -v)] }, { perClass: 400 });
    assert.equal(report.forgeries, 0, JSON.stringify(report.classes.filter((c) => c.accepted.length > 0)));
    for (const cls of ['quotient bits', 'remainder bits', 'range-check bits', 'other']) assert.ok(tried(report, cls) > 0, `class '${cls}' was tried`);
  });

  test('tiny with private weights, hashed input, two inferences per proof: every mutation refused, weight products included', async () => {
    const build = path.join(work, 'tiny-private-weights');
    await compileModel(modelFile('tiny'), build, { calibration: calibrationFile('tiny'), settings: { weightVisibility: 'private', inputVisibility: 'hashed', batchSize: 2 } });
    const one = JSON.parse(fs.readFileSync(inputFile('tiny'), 'utf8')).input_data[0];
    const report = await auditBuild(build, { input_data: [one, one.map((v: number) => -v)] }, { perClass: 400 });
    assert.equal(report.forgeries, 0, JSON.stringify(report.classes.filter((c) => c.accepted.length > 0)));
    // The weights are inputs (held fixed); their products with activations and their range-check bits are wires.
    for (const cls of ['products', 'quotient bits', 'remainder bits', 'range-check bits']) assert.ok(tried(report, cls) > 0, `class '${cls}' was tried`);
  });

  test('the same audit finds forgeries when the rescale remainder is only asserted', async () => {
    const build = path.join(work, 'weak');
    await compileModel(modelFile('tiny'), build, { calibration: calibrationFile('tiny') });
    // Same generated circuit, same gadget parameters; only the rescale template is swapped.
    const circuitDir = path.join(build, ARTIFACTS.circuitDir);
    fs.writeFileSync(path.join(circuitDir, 'requantize.circom'), ASSERTED_REQUANTIZE);
    const weak = await compileCircom({ workDir: circuitDir, mainFile: path.basename(ARTIFACTS.circuitSource), outDir: 'weak' });

    const compiled = readCompiled(build);
    const sample = readInput(JSON.parse(fs.readFileSync(inputFile('tiny'), 'utf8')), compiled.graphInputs);
    const input = circuitInput(compiled.model, quantizeSample(compiled.model, sample));
    const report = await auditCircuit(compiled.model, weak, input, { perClass: 400 });
    const forged = report.classes.find((c) => c.mutationClass === 'forged rescale');
    assert.ok(forged && forged.accepted.length > 0, `forged rescales accepted: ${JSON.stringify(report.classes)}`);
    // Every output row is a rescale, and every one of them can be forged.
    assert.equal(forged.accepted.length, forged.tried);
    assert.ok(report.forgeries >= forged.tried);
    // The sound build of the same model refuses all of them (checked above); its artifacts are untouched.
    assert.ok(fs.existsSync(artifactPath(build, 'r1cs')));
  });
});
