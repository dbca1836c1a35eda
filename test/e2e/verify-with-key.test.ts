/**
 * Verification anywhere: `zkml verify RECEIPT --vk verification_key.json` in a folder holding nothing
 * but the receipt and the key (no build): the proof is checked, the outputs decoded with the
 * receipt's layout, and what the key alone cannot check is said. Tampered signals, a key of another
 * model, a layout that does not cover the signals and a wrong weights commitment are refused.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { verifyReceiptWithKey } from '../../src/app/verify-receipt';
import { compileModel } from '../../src/compiler/compile';
import { readManifest } from '../../src/formats/artifacts';
import type { Receipt } from '../../src/formats/receipt';
import { Prover } from '../../src/prover/prover';
import { runSetup } from '../../src/setup/groth16-setup';
import { failsWith, runZkml, succeeds } from '../helpers/cli';
import { calibrationFile, inputFile, makeTempDir, modelFile } from '../helpers/onnx-builders';

let work: string;
const receipts: Record<'fixed' | 'private', Receipt> = {} as never;
const vks: Record<'fixed' | 'private', object> = {} as never;
let weightsCommitment: string;

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** A folder with only receipt.json and verification_key.json; returns the two paths. */
function lone(name: string, receipt: unknown, vk: object): { receipt: string; vk: string } {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  const files = { receipt: path.join(dir, 'receipt.json'), vk: path.join(dir, 'verification_key.json') };
  fs.writeFileSync(files.receipt, JSON.stringify(receipt));
  fs.writeFileSync(files.vk, JSON.stringify(vk, null, 2) + '\n');
  return files;
}

before(async () => {
  work = makeTempDir('vk-only');
  const prover = new Prover();
  try {
    for (const kind of ['fixed', 'private'] as const) {
      const build = path.join(work, `build-${kind}`);
      await compileModel(modelFile('tiny'), build, { calibration: calibrationFile('tiny'), settings: kind === 'private' ? { weightVisibility: 'private' } : {} });
      await runSetup(build, { cacheDir: path.join(work, 'cache') });
      receipts[kind] = await prover.prove(build, JSON.parse(fs.readFileSync(inputFile('tiny'), 'utf8')));
      vks[kind] = JSON.parse(fs.readFileSync(path.join(build, 'verification_key.json'), 'utf8'));
      if (kind === 'private') weightsCommitment = readManifest(build).weightsCommitment!;
    }
  } finally {
    await prover.close();
  }
});
after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const zkml = (...args: string[]) => runZkml(path.join(work, 'cache'), args);

describe('zkml verify --vk: the key alone', () => {
  test('valid: the decoded outputs are the receipt’s, and the unchecked claims are listed', async () => {
    const f = lone('ok', receipts.fixed, vks.fixed);
    const out = succeeds(await zkml('verify', f.receipt, '--vk', f.vk), 'verify --vk');
    assert.match(out, /^valid off-chain with the key alone/);
    const y = receipts.fixed.outputs[0];
    assert.ok(out.includes(`output 'y' [${y.shape.join(',')}]: ${y.values.join(', ')}`), out);
    assert.match(out, /checked: the key is the one the receipt names/);
    assert.match(out, /not checked: the receipt's public layout/);
    assert.match(out, /not checked: the key's provenance/);
  });

  test('a tampered public signal fails the pairing', async () => {
    const bad = clone(receipts.fixed);
    bad.publicSignals[1] = String(BigInt(bad.publicSignals[1]) + 1n);
    const f = lone('tampered', bad, vks.fixed);
    failsWith(await zkml('verify', f.receipt, '--vk', f.vk), 'PROOF_INVALID');
  });

  test('the key of another model does not verify the proof', async () => {
    const f = lone('other-key', receipts.fixed, vks.private);
    failsWith(await zkml('verify', f.receipt, '--vk', f.vk), ['SIGNAL_COUNT_MISMATCH', 'PROOF_INVALID']);
  });

  test('a layout that does not cover the signals is refused before any pairing', async () => {
    const bad = clone(receipts.fixed);
    bad.model.publicLayout[0].shape = [1, 3];
    const f = lone('layout', bad, vks.fixed);
    const msg = failsWith(await zkml('verify', f.receipt, '--vk', f.vk), 'SIGNAL_COUNT_MISMATCH');
    assert.match(msg, /layout describes 3 public signals, it carries 2/);
    const none = clone(receipts.fixed) as Partial<Receipt>;
    delete none.model;
    const g = lone('no-layout', none, vks.fixed);
    failsWith(await zkml('verify', g.receipt, '--vk', g.vk), 'RECEIPT_INVALID');
  });

  test('private weights: the commitment is checked when given, listed as unchecked otherwise', async () => {
    const f = lone('private', receipts.private, vks.private);
    const out = succeeds(await zkml('verify', f.receipt, '--vk', f.vk), 'verify --vk');
    assert.match(out, /not checked: that the weights commitment is the model's published one/);
    const given = succeeds(await zkml('verify', f.receipt, '--vk', f.vk, '--weights-commitment', weightsCommitment), 'verify --vk --weights-commitment');
    assert.match(given, /checked: the weights commitment among the signals is the given one/);
    failsWith(await zkml('verify', f.receipt, '--vk', f.vk, '--weights-commitment', String(BigInt(weightsCommitment) + 1n)), 'WEIGHTS_COMMITMENT_MISMATCH');
  });

  test('a reformatted key still verifies, and the name check is then reported as not done', async () => {
    const v = await verifyReceiptWithKey(receipts.fixed, JSON.parse(JSON.stringify(vks.fixed)) as object);
    assert.equal(v.valid, true);
    const compact = lone('compact', receipts.fixed, vks.fixed);
    fs.writeFileSync(compact.vk, JSON.stringify(vks.fixed));
    const out = succeeds(await zkml('verify', compact.receipt, '--vk', compact.vk), 'verify --vk (compact key)');
    // The CLI parses the key, so the canonical form is recomputed: the name still matches.
    assert.match(out, /checked: the key is the one the receipt names/);
    const renamed = clone(receipts.fixed);
    renamed.model.vkSha256 = '00'.repeat(32);
    const r = await verifyReceiptWithKey(renamed, vks.fixed);
    assert.equal(r.valid, true, 'the pairing decides');
    assert.ok(r.notChecked.some((c) => /the key is the one the receipt names/.test(c)));
  });

  test('--onchain needs the build', async () => {
    const f = lone('onchain', receipts.fixed, vks.fixed);
    failsWith(await zkml('verify', f.receipt, '--vk', f.vk, '--onchain'), 'USAGE');
  });
});
