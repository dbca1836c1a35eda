/**
 * The end-to-end check of a trained shipped model (models/<name>): compile model.onnx with the shipped
 * calibration at default settings, pin the constraint count, check that the witness on input.json
 * satisfies the R1CS and equals the integer reference while a changed output wire is refused, then set
 * up (a dev ptau cached for the test run unless ZKML_CACHE_DIR), prove input.json, verify the receipt off-chain
 * and run the soundness audit, which must refuse every mutation of every class.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { auditBuild, AuditReport } from '../../src/audit/audit';
import { compileModel } from '../../src/compiler/compile';
import { computeWitness, loadR1cs, verifyWitness } from '../../src/compiler/r1cs-check';
import { artifactPath, readJson } from '../../src/formats/artifacts';
import { readCompiled } from '../../src/formats/compiled-model';
import { BN254_R } from '../../src/formats/field';
import type { Receipt } from '../../src/formats/receipt';
import { packageRoot } from '../../src/package-root';
import { Prover } from '../../src/prover/prover';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { runReference } from '../../src/quantize/reference';
import { runSetup } from '../../src/setup/groth16-setup';
import { verifyOffchain } from '../../src/verifier/offchain';
import { readEzklInput } from '../../models/ezkl-json';
import { makeTempDir } from './onnx-builders';
import { testRunDir } from './tiny-circuit';

export interface ShippedProof {
  constraints: number;
  receipt: Receipt;
  audit: AuditReport;
}

export async function proveShippedModel(name: string, expectConstraints: number): Promise<ShippedProof> {
  const dir = path.join(packageRoot(), 'models', name);
  const work = makeTempDir(name);
  // One dev ptau per power for the whole test run: the shipped models share their powers.
  const cacheDir = process.env.ZKML_CACHE_DIR || path.join(testRunDir(), 'zkml-cache');
  const prover = new Prover();
  try {
    const compiled = await compileModel(path.join(dir, 'model.onnx'), path.join(work, 'build'), { calibration: path.join(dir, 'calibration.json') });
    assert.equal(compiled.constraints, compiled.report.predictedConstraints, 'predicted constraints = r1cs');
    assert.equal(compiled.constraints, expectConstraints);
    const buildDir = compiled.buildDir;

    const { model, graphInputs } = readCompiled(buildDir);
    const inputDoc = readEzklInput(path.join(dir, 'input.json'));
    const q = quantizeSample(model, new Map([[graphInputs[0].name, Float64Array.from(inputDoc.input_data[0])]]));
    const size = model.tensors[model.outputs[0].tensor].size;
    const r1cs = loadR1cs(artifactPath(buildDir, 'r1cs'));
    const witness = await computeWitness(circuitInput(model, q), artifactPath(buildDir, 'wasm'));
    assert.deepEqual(verifyWitness(r1cs, witness), { ok: true });
    assert.deepEqual(
      witness.slice(1, 1 + size).map((v) => (v > BN254_R / 2n ? v - BN254_R : v)),
      runReference(model, q)[model.outputs[0].tensor],
    );
    for (let wire = 1; wire <= size; wire++) {
      const mutated = witness.slice();
      mutated[wire] = (mutated[wire] + 1n) % BN254_R;
      assert.equal(verifyWitness(r1cs, mutated).ok, false, `output wire ${wire} + 1 is rejected`);
    }

    await runSetup(buildDir, { cacheDir });
    const receipt = await prover.prove(buildDir, inputDoc);
    assert.equal(receipt.reference.integerReferenceMatches, true, 'proved output = integer reference');
    const verdict = await verifyOffchain(receipt, readJson<object>(artifactPath(buildDir, 'vk')));
    assert.equal(verdict.valid, true, 'the proof verifies');

    const audit = await auditBuild(buildDir, inputDoc, { perClass: 150 });
    assert.equal(audit.forgeries, 0, JSON.stringify(audit.classes.filter((c) => c.accepted.length > 0)));
    for (const cls of ['outputs', 'quotient bits', 'remainder bits', 'range-check bits', 'products', 'forged rescale']) {
      assert.ok((audit.classes.find((c) => c.mutationClass === cls)?.tried ?? 0) > 0, `${name}: audit class '${cls}' was tried`);
    }
    return { constraints: compiled.constraints, receipt, audit };
  } finally {
    await prover.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
