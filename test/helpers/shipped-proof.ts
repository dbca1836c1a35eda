/**
 * The end-to-end check of a trained shipped model (models/<name>): compile model.onnx with the shipped
 * calibration at default settings, pin the constraint count, check that the witness on input.json
 * satisfies the R1CS and equals the integer reference while a changed output wire is refused, measure
 * the dequantized output's error against onnxruntime, and run the soundness audit, which must refuse
 * every mutation of every class. In the slow tier (helpers/slow-tier.ts) also set up (a dev ptau
 * cached for the test run unless ZKML_CACHE_DIR), prove input.json and verify the receipt off-chain.
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
import { SLOW } from './slow-tier';
import { createOrtSession, runOrt } from '../../src/onnx/runtime';
import { compareOutputs } from '../../src/formats/receipt';
import type { QuantizedModel } from '../../src/formats/quantized-model';
import type { ValueInfo } from '../../src/formats/graph';

export interface ShippedProof {
  constraints: number;
  /** max |dequantized integer reference − onnxruntime| on input.json. */
  maxAbsError: number;
  /** The verified receipt of input.json: slow tier only. */
  receipt?: Receipt;
  audit: AuditReport;
}

/** What the shipped-model check covers in this tier, for a test title. */
export const SHIPPED_CHECK = `pinned constraints, witness = integer reference, ${SLOW ? 'a proof verifies, ' : ''}the audit refuses every mutation`;

export async function proveShippedModel(name: string, expectConstraints: number): Promise<ShippedProof> {
  const dir = path.join(packageRoot(), 'models', name);
  const work = makeTempDir(name);
  // One dev ptau per power for the whole test run: the shipped models share their powers.
  const cacheDir = process.env.ZKML_CACHE_DIR || path.join(testRunDir(), 'zkml-cache');
  try {
    const compiled = await compileModel(path.join(dir, 'model.onnx'), path.join(work, 'build'), { calibration: path.join(dir, 'calibration.json') });
    assert.equal(compiled.constraints, compiled.report.predictedConstraints, 'predicted constraints = r1cs');
    assert.equal(compiled.constraints, expectConstraints);
    const buildDir = compiled.buildDir;

    const { model, graphInputs } = readCompiled(buildDir);
    const inputDoc = readEzklInput(path.join(dir, 'input.json'));
    const sample = new Map([[graphInputs[0].name, Float64Array.from(inputDoc.input_data[0])]]);
    const q = quantizeSample(model, sample);
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

    const maxAbsError = await errorAgainstOnnxruntime(buildDir, model, graphInputs, sample, q);

    let receipt: Receipt | undefined;
    if (SLOW) {
      const prover = new Prover();
      try {
        await runSetup(buildDir, { cacheDir });
        receipt = await prover.prove(buildDir, inputDoc);
      } finally {
        await prover.close();
      }
      assert.equal(receipt.reference.integerReferenceMatches, true, 'proved output = integer reference');
      assert.equal(receipt.reference.maxAbsError, maxAbsError, "the receipt's error against onnxruntime");
      const verdict = await verifyOffchain(receipt, readJson<object>(artifactPath(buildDir, 'vk')));
      assert.equal(verdict.valid, true, 'the proof verifies');
    }

    const audit = await auditBuild(buildDir, inputDoc, { perClass: 150 });
    assert.equal(audit.forgeries, 0, JSON.stringify(audit.classes.filter((c) => c.accepted.length > 0)));
    for (const cls of ['outputs', 'quotient bits', 'remainder bits', 'range-check bits', 'products', 'forged rescale']) {
      assert.ok((audit.classes.find((c) => c.mutationClass === cls)?.tried ?? 0) > 0, `${name}: audit class '${cls}' was tried`);
    }
    return { constraints: compiled.constraints, maxAbsError, receipt, audit };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The receipt's error measure without a proof: the dequantized integer reference (of q, the quantized sample) against onnxruntime on sample. */
async function errorAgainstOnnxruntime(buildDir: string, model: QuantizedModel, graphInputs: ValueInfo[], sample: Map<string, Float64Array>, q: Map<number, bigint[]>): Promise<number> {
  const session = await createOrtSession(fs.readFileSync(artifactPath(buildDir, 'onnx')));
  try {
    const ort = await runOrt(session, graphInputs, sample);
    const reference = runReference(model, q);
    const circuit = model.outputs.map((o) => ({ name: o.name, shape: o.shape, values: reference[o.tensor].map((v) => Number(v) / 2 ** o.scaleBits) }));
    return compareOutputs(circuit, ort).maxAbsError;
  } finally {
    await session.release();
  }
}
