import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { artifactPath, readJson, readManifest, sha256File } from '../../src/formats/artifacts';
import { generateDevPtau } from '../../src/setup/dev-ptau';
import { runSetup } from '../../src/setup/groth16-setup';
import { withSnarkjsCurve } from '../../src/snark/curve';
import { rejectsWith } from '../helpers/rejects-with';
import { compileTinyCircuit, makeTempDir, removeDir } from '../helpers/tiny-circuit';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

let buildDir: string;
let cacheDir: string;

before(() => {
  buildDir = compileTinyCircuit();
  cacheDir = makeTempDir('cache');
});
after(() => {
  removeDir(buildDir);
  removeDir(cacheDir);
});

const quiet = (): void => undefined;
const quietLogger = { debug: quiet, info: quiet, warn: quiet, error: quiet };

test('runSetup with the dev ptau writes zkey, vk, Verifier.sol, setup.json and the manifest hashes', async () => {
  const phases: Array<[string, number]> = [];
  const result = await runSetup(buildDir, { cacheDir, contributions: 2, onProgress: (p, f) => phases.push([p, f]) });

  assert.equal(result.power, 3);
  assert.equal(result.constraints, 2);
  assert.equal(result.nPublic, 2);
  assert.equal(result.devSingleContributor, true);
  assert.equal(result.contributions.length, 2);
  assert.ok(result.ptau.path.startsWith(path.join(cacheDir, 'ptau')));
  for (const file of Object.values(result.paths)) assert.ok(fs.existsSync(file), file);

  const vk = readJson<{ protocol: string; nPublic: number }>(artifactPath(buildDir, 'vk'));
  assert.equal(vk.protocol, 'groth16');
  assert.equal(vk.nPublic, 2);
  // Named after its key: `Groth16Verifier_` and the vk's sha256 prefix, once (snarkjs's own name is gone).
  const sol = fs.readFileSync(artifactPath(buildDir, 'verifierSol'), 'utf8');
  assert.equal(sol.match(/\bcontract \w+/g)?.join(), `contract Groth16Verifier_${sha256File(artifactPath(buildDir, 'vk')).slice(0, 12)}`);

  const setup = readJson<Record<string, any>>(artifactPath(buildDir, 'setup'));
  assert.equal(setup.devSingleContributor, true);
  assert.match(setup.warning, /single contributor/);
  assert.equal(setup.contributions.length, 2);
  assert.match(setup.contributions[0].hash, /^[0-9a-f]{128}$/);
  assert.equal(setup.beacon.iterationsExp, 10);
  assert.equal(setup.ptau.power, 3);

  const manifest = readManifest(buildDir);
  assert.equal(manifest.zkeySha256, sha256File(artifactPath(buildDir, 'zkey')));
  assert.equal(manifest.vkSha256, sha256File(artifactPath(buildDir, 'vk')));
  assert.equal(manifest.verifierSolSha256, sha256File(artifactPath(buildDir, 'verifierSol')));
  assert.equal(manifest.ptau?.devSingleContributor, true);
  assert.equal(manifest.ptau?.power, 3);
  assert.equal(manifest.ptau?.sha256, result.ptau.sha256);
  assert.equal(manifest.ptau?.pinned, false, 'the dev ptau is never pinned');
  assert.match(manifest.ptau?.blake2b512 ?? '', /^[0-9a-f]{128}$/);
  assert.deepEqual(manifest.phase2, { kind: 'local', contributions: 2 });
  assert.equal(setup.ptauPinned, false);
  assert.equal(setup.phase2, 'local');

  assert.deepEqual(
    fs.readdirSync(buildDir).filter((f) => f.endsWith('.tmp')),
    [],
    'intermediate zkeys removed',
  );
  // snarkjs's own audit of the transcript: the zkey follows from this r1cs and ptau plus the recorded contributions.
  const verified = await withSnarkjsCurve(() => snarkjs.zKey.verifyFromR1cs(artifactPath(buildDir, 'r1cs'), result.ptau.path, artifactPath(buildDir, 'zkey'), quietLogger));
  assert.equal(verified, true);
  const names = phases.map(([p]) => p);
  for (const p of ['r1cs', 'ptau', 'zkey new', 'contributions and beacon', 'export', 'done']) assert.ok(names.includes(p), p);
  const fractions = phases.map(([, f]) => f);
  assert.deepEqual(
    fractions,
    [...fractions].sort((a, b) => a - b),
    'progress only goes forward',
  );
  assert.equal(fractions[fractions.length - 1], 1);
});

test('a second setup reuses the cached dev ptau and produces a fresh key', async () => {
  const firstZkey = sha256File(artifactPath(buildDir, 'zkey'));
  const result = await runSetup(buildDir, { cacheDir });
  assert.equal(result.contributions.length, 1);
  assert.notEqual(sha256File(artifactPath(buildDir, 'zkey')), firstZkey, 'fresh entropy gives a different key');
  assert.deepEqual(fs.readdirSync(path.join(cacheDir, 'ptau')), ['dev_3.ptau']);
});

test('a ptau that is too small is PTAU_TOO_SMALL, naming both powers', async () => {
  const small = path.join(cacheDir, 'small.ptau');
  await generateDevPtau(2, small);
  await assert.rejects(runSetup(buildDir, { ptauPath: small }), rejectsWith('PTAU_TOO_SMALL', /power 2.*power 3/));
});

test('a garbage or truncated ptau is PTAU_INVALID', async () => {
  const garbage = path.join(cacheDir, 'garbage.ptau');
  fs.writeFileSync(garbage, Buffer.from('ptau\x01\x00\x00\x00 and then nonsense'));
  await assert.rejects(runSetup(buildDir, { ptauPath: garbage }), rejectsWith('PTAU_INVALID'));

  const cached = fs.readFileSync(path.join(cacheDir, 'ptau', 'dev_3.ptau'));
  const truncated = path.join(cacheDir, 'truncated.ptau');
  fs.writeFileSync(truncated, cached.subarray(0, Math.floor(cached.length / 2)));
  await assert.rejects(runSetup(buildDir, { ptauPath: truncated }), rejectsWith('PTAU_INVALID', /truncated/));
});

test('an r1cs that no longer matches the manifest is refused', async () => {
  const dir = compileTinyCircuit();
  try {
    fs.appendFileSync(artifactPath(dir, 'r1cs'), Buffer.from([0]));
    await assert.rejects(runSetup(dir, { cacheDir }), rejectsWith('ARTIFACT_HASH_MISMATCH'));
  } finally {
    removeDir(dir);
  }
});

test('contributions must be a positive integer', async () => {
  await assert.rejects(runSetup(buildDir, { cacheDir, contributions: 0 }), rejectsWith('OPTION_INVALID'));
});
