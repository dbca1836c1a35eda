/**
 * What the prover checks before it proves: artifact hashes at load and before each proof (a mismatch
 * stops the model), and in production mode the trust of the setup. Receipts say how the key was made.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { artifactPath, readManifest } from '../../src/formats/artifacts';
import { compileModel } from '../../src/compiler/compile';
import { checkBuildIntegrity } from '../../src/prover/integrity';
import { Prover } from '../../src/prover/prover';
import { acceptContribution, contributeZkey, exportCurrentZkey, finishCeremony, initCeremony } from '../../src/setup/ceremony';
import { generateDevPtau } from '../../src/setup/dev-ptau';
import { runSetup } from '../../src/setup/groth16-setup';
import { productionProblems, zkmlMode } from '../../src/setup/production';
import { PinnedPtau } from '../../src/setup/ptau-pins';
import { hashFile } from '../../src/setup/ptau-store';
import { calibrationFile, inputFile, makeTempDir, modelFile } from '../helpers/onnx-builders';
import { rejectsWith } from '../helpers/rejects-with';
import { holdCurve, releaseCurve } from '../helpers/setup-fixtures';

let work: string;
let build: string;
let ptau: string;
let dev: Prover;
let prod: Prover;
const input = JSON.parse(fs.readFileSync(inputFile('tiny'), 'utf8'));

before(async () => {
  work = makeTempDir('trust');
  build = path.join(work, 'build');
  await compileModel(modelFile('tiny'), build, { calibration: calibrationFile('tiny') });
  ptau = path.join(work, 'own-ceremony.ptau');
  await generateDevPtau(8, ptau);
  dev = new Prover({ mode: 'development' });
  prod = new Prover({ mode: 'production' });
  await holdCurve();
});
after(async () => {
  await releaseCurve();
  await dev?.close();
  await prod?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

test('ZKML_MODE: development by default, production on request, anything else refused', () => {
  assert.equal(zkmlMode(undefined), 'development');
  assert.equal(zkmlMode(''), 'development');
  assert.equal(zkmlMode('production'), 'production');
  assert.throws(() => zkmlMode('prod'), rejectsWith('CONFIG_INVALID'));
});

test('dev ptau: receipts say single-contributor and local phase 2; production refuses to prove', async () => {
  await runSetup(build, { cacheDir: path.join(work, 'cache') });
  const receipt = await dev.prove(build, input);
  assert.deepEqual(receipt.setup, { devSingleContributor: true, ptauPower: 8, ptauPinned: false, ptauBlake2b512: readManifest(build).ptau!.blake2b512, phase2: 'local', phase2Contributions: 1 });
  await assert.rejects(prod.prove(build, input), rejectsWith('PRODUCTION_REFUSED', /dev ptau.*not by a finished ceremony/));
});

test('an unknown ptau is refused without the flag, and marked unpinned in manifest and receipt with it', async () => {
  await assert.rejects(runSetup(build, { ptauPath: ptau }), rejectsWith('PTAU_UNKNOWN'));
  await runSetup(build, { ptauPath: ptau, allowUnknownPtau: true });
  const m = readManifest(build);
  assert.equal(m.ptau!.pinned, false);
  assert.equal(m.ptau!.devSingleContributor, false);
  const receipt = await dev.prove(build, input);
  assert.equal(receipt.setup.ptauPinned, false);
  assert.equal(receipt.setup.devSingleContributor, false);
  await assert.rejects(prod.prove(build, input), rejectsWith('PRODUCTION_REFUSED', /not a pinned public ceremony file/));
});

test('a finished ceremony on a pinned ptau proves in production; receipts point at the transcript', async () => {
  const pin: PinnedPtau = { power: 8, bytes: fs.statSync(ptau).size, file: 'own-ceremony.ptau', blake2b512: (await hashFile(ptau)).blake2b512 };
  await initCeremony(build, { ptauPath: ptau, pins: [pin] });
  // An open ceremony does not replace the key in use: production still refuses the local setup.
  await assert.rejects(prod.prove(build, input), rejectsWith('PRODUCTION_REFUSED'));
  const handed = path.join(work, 'c0.zkey');
  exportCurrentZkey(build, handed);
  await contributeZkey(handed, path.join(work, 'c1.zkey'), { name: 'alice' });
  await acceptContribution(build, path.join(work, 'c1.zkey'), { name: 'alice' });
  await finishCeremony(build, { beaconHex: 'ab'.repeat(32), iterationsExp: 10 });
  assert.deepEqual(productionProblems(build, readManifest(build)), []);

  const receipt = await prod.prove(build, input);
  const m = readManifest(build);
  assert.deepEqual(receipt.setup, {
    devSingleContributor: false,
    ptauPower: 8,
    ptauPinned: true,
    ptauFile: 'own-ceremony.ptau',
    ptauBlake2b512: pin.blake2b512,
    phase2: 'ceremony',
    phase2Contributions: 1,
    transcriptSha256: m.phase2!.transcriptSha256,
  });
});

test('a tampered zkey stops the model before it proves, until its files check out again or the manifest changes', async () => {
  await dev.prove(build, input); // loaded and warm
  const zkey = artifactPath(build, 'zkey');
  const original = fs.readFileSync(zkey);
  const tampered = Buffer.from(original);
  tampered[tampered.length >> 1] ^= 0x01;
  fs.writeFileSync(zkey, tampered);
  await assert.rejects(dev.prove(build, input), rejectsWith('ARTIFACT_HASH_MISMATCH', /model stopped: circuit\.zkey/));
  // Still tampered: still stopped, at the check and not by chance.
  await assert.rejects(dev.prove(build, input), rejectsWith('ARTIFACT_HASH_MISMATCH', /model stopped/));
  // Repaired in place: every file checks out against the manifest again, so the model resumes.
  fs.writeFileSync(zkey, original);
  assert.equal((await dev.prove(build, input)).format, 'zkml-receipt/1');
  // Tampered again, then a new setup (a new manifest): it starts again with the new key.
  fs.writeFileSync(zkey, tampered);
  await assert.rejects(dev.prove(build, input), rejectsWith('ARTIFACT_HASH_MISMATCH', /model stopped: circuit\.zkey/));
  await runSetup(build, { cacheDir: path.join(work, 'cache') });
  assert.equal((await dev.prove(build, input)).format, 'zkml-receipt/1');
});

test('checkBuildIntegrity names each tampered artifact: compiled.json (the direct witness source), r1cs, vk, Verifier.sol, transcript', async () => {
  // A finished ceremony has a transcript to protect too.
  await initCeremony(build, { ptauPath: ptau, allowUnknownPtau: true });
  exportCurrentZkey(build, path.join(work, 'd0.zkey'));
  await contributeZkey(path.join(work, 'd0.zkey'), path.join(work, 'd1.zkey'), { name: 'bob' });
  await acceptContribution(build, path.join(work, 'd1.zkey'), { name: 'bob' });
  await finishCeremony(build, { beaconHex: 'cd'.repeat(32), iterationsExp: 10 });
  checkBuildIntegrity(build);

  // A direct build (the default) computes its witness from compiled.json and the r1cs instead of a wasm.
  for (const name of ['compiled', 'r1cs', 'vk', 'verifierSol', 'transcript'] as const) {
    const file = artifactPath(build, name);
    const original = fs.readFileSync(file);
    fs.appendFileSync(file, ' ');
    assert.throws(() => checkBuildIntegrity(build), rejectsWith('ARTIFACT_HASH_MISMATCH', new RegExp(path.basename(file).replace('.', '\\.'))), name);
    fs.writeFileSync(file, original);
  }
  fs.rmSync(artifactPath(build, 'vk'));
  assert.throws(() => checkBuildIntegrity(build), rejectsWith('ARTIFACT_MISSING'));
});
