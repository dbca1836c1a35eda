/**
 * Receipts bound to their proofs, on models/tiny built twice: public input and output, and hashed
 * input and output. A valid proof binds only its public signals (and through them the openings):
 *  - every other claim a receipt makes (outputs, public inputs, shapes, the reference figures, the
 *    layout, build hashes, commitments, setup) is checked against them and the build; each edited
 *    claim is refused with RECEIPT_MISMATCH naming the field, by verifyReceipt and by `zkml verify`;
 *  - the receipt is parsed strictly: an unknown or ill-typed field is RECEIPT_INVALID;
 *  - untampered receipts, and a hashed receipt without the holder's parts, still verify.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { verifyReceipt } from '../../src/app/verify-receipt';
import { compileModel } from '../../src/compiler/compile';
import type { ErrorCode } from '../../src/errors';
import { Prover } from '../../src/prover/prover';
import type { Receipt } from '../../src/formats/receipt';
import { runSetup } from '../../src/setup/groth16-setup';
import { holdSnarkjsCurve } from '../../src/snark/curve';
import { failsWith, runZkml, succeeds } from '../helpers/cli';
import { calibrationFile, inputFile, makeTempDir, modelFile } from '../helpers/onnx-builders';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const inputDoc = JSON.parse(fs.readFileSync(inputFile('tiny'), 'utf8'));
type Edit = (r: any) => void;

describe('receipts bound to their proofs (models/tiny)', () => {
  let work: string;
  let publicBuild: string;
  let hashedBuild: string;
  let prover: Prover;
  let pub: Receipt;
  let hashed: Receipt;
  let releaseCurve: () => Promise<void>;

  before(async () => {
    // Dozens of verifications: one curve for all of them, as the service does.
    releaseCurve = holdSnarkjsCurve();
    work = makeTempDir('claims');
    publicBuild = path.join(work, 'public');
    hashedBuild = path.join(work, 'hashed');
    prover = new Prover();
    await compileModel(modelFile('tiny'), publicBuild, { settings: { inputVisibility: 'public' }, calibration: calibrationFile('tiny') });
    await runSetup(publicBuild, {});
    await compileModel(modelFile('tiny'), hashedBuild, { settings: { inputVisibility: 'hashed', outputVisibility: 'hashed' }, calibration: calibrationFile('tiny') });
    await runSetup(hashedBuild, {});
    pub = await prover.prove(publicBuild, inputDoc);
    hashed = await prover.prove(hashedBuild, inputDoc);
  });
  after(async () => {
    await prover?.close();
    await releaseCurve();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  async function refused(build: string, base: Receipt, edit: Edit, code: ErrorCode, field?: string): Promise<void> {
    const r = clone(base);
    edit(r);
    const v = await verifyReceipt(build, r);
    assert.equal(v.valid, false, `${edit.toString()} was accepted`);
    assert.equal(v.code, code, `${edit.toString()}: ${v.reason}`);
    if (field !== undefined) {
      assert.equal(v.field, field, `${edit.toString()}: ${v.reason}`);
      assert.ok(v.reason.includes(field), `the reason names ${field}: ${v.reason}`);
    }
  }

  test('untampered receipts verify: public, hashed with its openings, hashed without the holder parts', async () => {
    assert.equal((await verifyReceipt(publicBuild, pub)).valid, true);
    const full = await verifyReceipt(hashedBuild, hashed);
    assert.equal(full.valid, true, full.reason);
    assert.deepEqual(full.openings?.opened, ['input', 'output']);
    const bare = clone(hashed) as Partial<Receipt>;
    delete bare.openings;
    delete bare.outputs;
    delete bare.reference;
    assert.equal((await verifyReceipt(hashedBuild, bare as Receipt)).valid, true);
    // A bare snarkjs proof claims nothing else; outputs added to it are checked all the same.
    const plain = { proof: pub.proof, publicSignals: pub.publicSignals } as Receipt;
    assert.equal((await verifyReceipt(publicBuild, plain)).valid, true);
    const claimed = await verifyReceipt(publicBuild, { ...plain, outputs: [{ name: 'y', shape: [1, 2], values: [9.5, 0] }] } as Receipt);
    assert.deepEqual([claimed.valid, claimed.code, claimed.field], [false, 'RECEIPT_MISMATCH', 'outputs[0].values']);
  });

  test('public outputs: another class (an edited value, with onnxruntime made to agree), a shape or a name is RECEIPT_MISMATCH', async () => {
    // The attack of the issue: the signals say one class, the receipt another, reference edited to match.
    await refused(
      publicBuild,
      pub,
      (r) => {
        const other = r.outputs[0].values[0] > r.outputs[0].values[1] ? 1 : 0;
        r.outputs[0].values[other] = 9.5;
        r.reference.outputs[0].values[other] = 9.5;
      },
      'RECEIPT_MISMATCH',
      'outputs[0].values',
    );
    await refused(publicBuild, pub, (r) => (r.outputs[0].shape = [2]), 'RECEIPT_MISMATCH', 'outputs[0].shape');
    await refused(publicBuild, pub, (r) => (r.outputs[0].name = 'z'), 'RECEIPT_MISMATCH', 'outputs[0].name');
    await refused(publicBuild, pub, (r) => r.outputs[0].values.push(0), 'RECEIPT_MISMATCH', 'outputs[0].values');
    await refused(publicBuild, pub, (r) => (r.outputs = []), 'RECEIPT_MISMATCH', 'outputs');
    await refused(publicBuild, pub, (r) => (r.publicInputs[0].values[0] += 0.5), 'RECEIPT_MISMATCH', 'publicInputs[0].values');
    await refused(publicBuild, pub, (r) => (r.publicInputs = []), 'RECEIPT_MISMATCH', 'publicInputs');
  });

  test('public outputs: the reference figures must follow from the proven outputs and the build', async () => {
    assert.equal(typeof pub.reference.argmaxAgrees, 'boolean');
    await refused(publicBuild, pub, (r) => (r.reference.maxAbsError = r.reference.maxAbsError + 0.25), 'RECEIPT_MISMATCH', 'reference.maxAbsError');
    await refused(publicBuild, pub, (r) => (r.reference.argmaxAgrees = !r.reference.argmaxAgrees), 'RECEIPT_MISMATCH', 'reference.argmaxAgrees');
    await refused(publicBuild, pub, (r) => (r.reference.argmaxAgrees = null), 'RECEIPT_MISMATCH', 'reference.argmaxAgrees');
    await refused(publicBuild, pub, (r) => (r.reference.tolerance = r.reference.tolerance * 2 + 1), 'RECEIPT_MISMATCH', 'reference.tolerance');
    await refused(publicBuild, pub, (r) => (r.reference.integerReferenceMatches = false), 'RECEIPT_MISMATCH', 'reference.integerReferenceMatches');
    await refused(publicBuild, pub, (r) => r.reference.outputs[0].values.pop(), 'RECEIPT_MISMATCH', 'reference.outputs');
    await refused(publicBuild, pub, (r) => (r.reference.outputs = []), 'RECEIPT_MISMATCH', 'reference.outputs');
    // onnxruntime's values are the prover's word, but the error said about them is recomputed.
    await refused(publicBuild, pub, (r) => (r.reference.outputs[0].values[0] += 1), 'RECEIPT_MISMATCH', 'reference.maxAbsError');
  });

  test('the build, layout, commitments and setup a receipt names are the build’s', async () => {
    await refused(publicBuild, pub, (r) => (r.model.onnxSha256 = 'ab'.repeat(32)), 'RECEIPT_MISMATCH', 'model.onnxSha256');
    await refused(publicBuild, pub, (r) => (r.model.r1csSha256 = 'ab'.repeat(32)), 'RECEIPT_MISMATCH', 'model.r1csSha256');
    await refused(publicBuild, pub, (r) => (r.model.zkeySha256 = 'ab'.repeat(32)), 'RECEIPT_MISMATCH', 'model.zkeySha256');
    await refused(publicBuild, pub, (r) => (r.model.publicLayout[0].scaleBits += 1), 'RECEIPT_MISMATCH', 'model.publicLayout[0]');
    await refused(publicBuild, pub, (r) => r.model.publicLayout.pop(), 'RECEIPT_MISMATCH', 'model.publicLayout');
    await refused(publicBuild, pub, (r) => (r.model.batchSize = 2), 'RECEIPT_MISMATCH', 'model.batchSize');
    await refused(publicBuild, pub, (r) => (r.commitments = { input: '5' }), 'RECEIPT_MISMATCH', 'commitments.input');
    await refused(publicBuild, pub, (r) => (r.setup.ptauPinned = true), 'RECEIPT_MISMATCH', 'setup.ptauPinned');
    await refused(publicBuild, pub, (r) => (r.setup.devSingleContributor = false), 'RECEIPT_MISMATCH', 'setup.devSingleContributor');
    await refused(publicBuild, pub, (r) => (r.setup.phase2 = 'ceremony'), 'RECEIPT_MISMATCH', 'setup.phase2');
  });

  test('hashed outputs: the outputs and reference are bound through the opening, and refused without it', async () => {
    await refused(hashedBuild, hashed, (r) => (r.outputs[0].values[0] += 1), 'COMMITMENT_MISMATCH');
    await refused(hashedBuild, hashed, (r) => (r.reference.maxAbsError += 0.25), 'RECEIPT_MISMATCH', 'reference.maxAbsError');
    await refused(hashedBuild, hashed, (r) => (r.reference.argmaxAgrees = !r.reference.argmaxAgrees), 'RECEIPT_MISMATCH', 'reference.argmaxAgrees');
    await refused(hashedBuild, hashed, (r) => (r.outputs[0].shape = [2]), 'RECEIPT_MISMATCH', 'outputs[0].shape');
    await refused(hashedBuild, hashed, (r) => (r.openings.outputs[0].shape = [2]), 'RECEIPT_MISMATCH', 'openings.outputs[0].shape');
    await refused(hashedBuild, hashed, (r) => (r.openings.inputs[0].shape = [4]), 'RECEIPT_MISMATCH', 'openings.inputs[0].shape');
    await refused(hashedBuild, hashed, (r) => (r.publicInputs = [{ name: 'x', shape: [1, 4], values: [0, 0, 0, 0] }]), 'RECEIPT_MISMATCH', 'publicInputs');
    // Without the opening nothing binds a hashed output: claiming one is refused.
    await refused(hashedBuild, hashed, (r) => delete r.openings, 'RECEIPT_MISMATCH', 'outputs');
    await refused(
      hashedBuild,
      hashed,
      (r) => {
        delete r.openings;
        delete r.outputs;
      },
      'RECEIPT_MISMATCH',
      'reference',
    );
    await refused(
      hashedBuild,
      hashed,
      (r) => {
        delete r.openings;
        delete r.outputs;
        delete r.reference;
        r.commitments.output = '1';
      },
      'RECEIPT_MISMATCH',
      'commitments.output',
    );
  });

  test('strict parsing: a non-array outputs, an ill-typed or unknown field is RECEIPT_INVALID', async () => {
    const edits: Edit[] = [
      (r) => (r.outputs = { y: [3] }),
      (r) => (r.outputs = 'class 9'),
      (r) => (r.outputs[0].values = ['9.5']),
      (r) => (r.reference.maxAbsError = '0'),
      (r) => (r.reference.note = 'trust me'),
      (r) => (r.verified = true),
      (r) => (r.model.extra = 1),
      (r) => (r.format = 'zkml-receipt/2'),
      (r) => (r.model.vkSha256 = 42),
      (r) => (r.setup = null),
      (r) => (r.openings.extra = []),
    ];
    for (const edit of edits) await refused(hashedBuild, hashed, edit, 'RECEIPT_INVALID');
    await refused(publicBuild, pub, (r) => (r.outputs = 'class 9'), 'RECEIPT_INVALID');
  });

  test('zkml verify: the same refusals on the command line, with the field in the message', async () => {
    const cache = path.join(work, 'cli-cache');
    const file = (name: string, base: Receipt, edit: Edit = () => undefined): string => {
      const r = clone(base);
      edit(r);
      const f = path.join(work, name);
      fs.writeFileSync(f, JSON.stringify(r));
      return f;
    };
    succeeds(await runZkml(cache, ['verify', file('pub.json', pub), '--dir', publicBuild]), 'verify public');
    succeeds(await runZkml(cache, ['verify', file('hashed.json', hashed), '--dir', hashedBuild]), 'verify hashed');
    const classEdit = (r: any) => (r.outputs[0].values[r.outputs[0].values[0] > r.outputs[0].values[1] ? 1 : 0] = 9.5);
    assert.match(failsWith(await runZkml(cache, ['verify', file('pub-class.json', pub, classEdit), '--dir', publicBuild]), 'RECEIPT_MISMATCH'), /outputs\[0\]\.values/);
    assert.match(failsWith(await runZkml(cache, ['verify', file('pub-ref.json', pub, (r) => (r.reference.maxAbsError += 1)), '--dir', publicBuild]), 'RECEIPT_MISMATCH'), /reference\.maxAbsError/);
    failsWith(await runZkml(cache, ['verify', file('hashed-obj.json', hashed, (r) => (r.outputs = { y: [3] })), '--dir', hashedBuild]), 'RECEIPT_INVALID');
    assert.match(
      failsWith(await runZkml(cache, ['verify', file('hashed-ref.json', hashed, (r) => (r.reference.argmaxAgrees = !r.reference.argmaxAgrees)), '--dir', hashedBuild]), 'RECEIPT_MISMATCH'),
      /reference\.argmaxAgrees/,
    );
  });
});
