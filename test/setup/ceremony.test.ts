import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { artifactPath, readJson, readManifest, sha256File } from '../../src/formats/artifacts';
import { LocalChain, startAnvil } from '../../src/chain/anvil';
import { loadVerifierArtifact } from '../../src/chain/verifier-artifact';
import { callVerifyProof, deployVerifier } from '../../src/chain/verifier-contract';
import { acceptContribution, CeremonyTranscript, contributeZkey, currentZkey, exportCurrentZkey, finishCeremony, initCeremony, readCeremony } from '../../src/setup/ceremony';
import { withSnarkjsCurve } from '../../src/snark/curve';
import { scanBinFile } from '../../src/snark/bin-file';
import { rejectsWith } from '../helpers/rejects-with';
import { holdCurve, releaseCurve } from '../helpers/setup-fixtures';
import { compileTinyCircuit, makeTempDir, proveTiny, removeDir } from '../helpers/tiny-circuit';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

/** Same shape of circuit (2 constraints, 1 public input, 1 output), different constraints. */
const OTHER_CIRCOM = `pragma circom 2.1.0;
template Other() {
  signal input a;
  signal input b;
  signal output c;
  signal aa;
  aa <== a * a;
  c <== aa * b + a;
}
component main {public [b]} = Other();
`;

const quiet = (): void => undefined;
const quietLogger = { debug: quiet, info: quiet, warn: quiet, error: quiet };
const BEACON = '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

let buildDir: string;
let otherDir: string;
let cacheDir: string;
let work: string;
let chain: LocalChain;

before(async () => {
  buildDir = compileTinyCircuit();
  otherDir = compileTinyCircuit(OTHER_CIRCOM);
  cacheDir = makeTempDir('cache');
  work = makeTempDir('contrib');
  await holdCurve();
});
after(async () => {
  await chain?.stop();
  await releaseCurve();
  for (const d of [buildDir, otherDir, cacheDir, work]) removeDir(d);
});

/** One contributor's round trip: take the current key, contribute on "their machine", hand it back. */
async function contributeAs(name: string): Promise<{ file: string; hash: string }> {
  const handedOut = path.join(work, `${name}-in.zkey`);
  exportCurrentZkey(buildDir, handedOut);
  const file = path.join(work, `${name}-out.zkey`);
  const { hash } = await contributeZkey(handedOut, file, { name, entropy: `${name}'s dice rolls` });
  return { file, hash };
}

test('three contributors and a beacon: the transcript verifies and its proof verifies on-chain', async () => {
  const state = await initCeremony(buildDir, { cacheDir });
  assert.equal(state.status, 'open');
  assert.equal(state.ptau.devSingleContributor, true);
  assert.equal(state.contributions.length, 0);
  await assert.rejects(finishCeremony(buildDir, { beaconHex: BEACON, iterationsExp: 10 }), rejectsWith('CEREMONY_STATE', /at least one/));

  const hashes: string[] = [];
  for (const name of ['alice', 'bob', 'carol']) {
    const { file, hash } = await contributeAs(name);
    const accepted = await acceptContribution(buildDir, file, { name });
    // The hash we record is the one snarkjs printed to the contributor.
    assert.equal(accepted.hash, hash);
    assert.equal(accepted.nameInZkey, name);
    hashes.push(hash);
  }
  assert.equal(currentZkey(buildDir).contributions, 3);

  const finished = await finishCeremony(buildDir, { beaconHex: BEACON, iterationsExp: 10 });
  assert.equal(finished.status, 'finished');
  assert.match(finished.beacon!.contributionHash, /^[0-9a-f]{128}$/);

  const transcript = readJson<CeremonyTranscript & { ptauPath?: string }>(artifactPath(buildDir, 'transcript'));
  assert.deepEqual(
    transcript.contributions.map((c) => c.name),
    ['alice', 'bob', 'carol'],
  );
  assert.deepEqual(
    transcript.contributions.map((c) => c.hash),
    hashes,
  );
  assert.equal(transcript.beacon!.hash, BEACON);
  assert.equal(transcript.ptauPath, undefined, 'the published transcript has no local paths');

  const manifest = readManifest(buildDir);
  assert.deepEqual(manifest.phase2, { kind: 'ceremony', contributions: 3, transcriptSha256: sha256File(artifactPath(buildDir, 'transcript')) });
  assert.equal(manifest.zkeySha256, sha256File(artifactPath(buildDir, 'zkey')));
  assert.equal(manifest.vkSha256, sha256File(artifactPath(buildDir, 'vk')));
  assert.equal(manifest.verifierSolSha256, sha256File(artifactPath(buildDir, 'verifierSol')));

  // snarkjs's independent audit: the final key follows from our r1cs and ptau plus the listed contributions.
  const ok = await withSnarkjsCurve(() => snarkjs.zKey.verifyFromR1cs(artifactPath(buildDir, 'r1cs'), readCeremony(buildDir).ptauPath, artifactPath(buildDir, 'zkey'), quietLogger));
  assert.equal(ok, true);

  const { proof, publicSignals } = await proveTiny(buildDir, { a: 3, b: 5 });
  assert.deepEqual(publicSignals, ['50', '5']);
  chain = await startAnvil();
  const artifact = loadVerifierArtifact(buildDir);
  const address = await deployVerifier(chain.rpcUrl, chain.privateKey, artifact);
  assert.equal(await callVerifyProof(chain.rpcUrl, address, artifact.abi, proof, publicSignals), true);
  assert.equal(await callVerifyProof(chain.rpcUrl, address, artifact.abi, proof, ['51', '5']), false);

  await assert.rejects(acceptContribution(buildDir, path.join(work, 'carol-out.zkey'), { name: 'late' }), rejectsWith('CEREMONY_STATE'));
});

test('a contribution for a different circuit, a stale base, or a tampered key is CONTRIBUTION_INVALID', async () => {
  await initCeremony(buildDir, { cacheDir });
  const first = await contributeAs('dave');
  await acceptContribution(buildDir, first.file, { name: 'dave' });

  // A contribution made to another circuit's ceremony with the same ptau.
  await initCeremony(otherDir, { cacheDir });
  const foreignIn = path.join(work, 'foreign-in.zkey');
  exportCurrentZkey(otherDir, foreignIn);
  const foreign = path.join(work, 'foreign-out.zkey');
  await contributeZkey(foreignIn, foreign, { name: 'mallory' });
  await assert.rejects(acceptContribution(buildDir, foreign, { name: 'mallory' }), rejectsWith('CONTRIBUTION_INVALID', /different circuit/));

  // Built on the initial key instead of dave's: it would silently drop dave's contribution.
  const stale = path.join(work, 'stale.zkey');
  await contributeZkey(path.join(artifactPath(buildDir, 'ceremonyDir'), '0000.zkey'), stale, { name: 'erin' });
  await assert.rejects(acceptContribution(buildDir, stale, { name: 'erin' }), rejectsWith('CONTRIBUTION_INVALID', /exactly one|descend/));

  // Resubmitting the current key adds nothing.
  await assert.rejects(acceptContribution(buildDir, first.file, { name: 'dave again' }), rejectsWith('CONTRIBUTION_INVALID', /exactly one/));

  // A well-formed contribution whose key points were altered afterwards: only snarkjs's verify sees it.
  const good = await contributeAs('frank');
  const tampered = fs.readFileSync(good.file);
  const h = scanBinFile(good.file, 'zkey', 'INTERNAL').sections.get(9)!; // the H points
  tampered[h.offset + 10] ^= 0x01;
  const tamperedFile = path.join(work, 'tampered.zkey');
  fs.writeFileSync(tamperedFile, tampered);
  await assert.rejects(acceptContribution(buildDir, tamperedFile, { name: 'frank' }), rejectsWith('CONTRIBUTION_INVALID', /verify/));

  // Refusals changed nothing and left nothing behind; the genuine one is still accepted.
  assert.equal(readCeremony(buildDir).contributions.length, 1);
  assert.deepEqual(fs.readdirSync(artifactPath(buildDir, 'ceremonyDir')).sort(), ['0000.zkey', '0001.zkey', 'state.json']);
  const accepted = await acceptContribution(buildDir, good.file, { name: 'frank' });
  assert.equal(accepted.index, 2);
});

test('a modified ceremony key is caught before it is handed out', async () => {
  await initCeremony(buildDir, { cacheDir });
  fs.appendFileSync(path.join(artifactPath(buildDir, 'ceremonyDir'), '0000.zkey'), Buffer.from([0]));
  assert.throws(() => exportCurrentZkey(buildDir, path.join(work, 'x.zkey')), rejectsWith('ARTIFACT_HASH_MISMATCH'));
});

test('bad beacon parameters and a blank contributor name are OPTION_INVALID', async () => {
  await initCeremony(buildDir, { cacheDir });
  const c = await contributeAs('gina');
  await acceptContribution(buildDir, c.file, { name: 'gina' });
  await assert.rejects(finishCeremony(buildDir, { beaconHex: 'xyz', iterationsExp: 10 }), rejectsWith('OPTION_INVALID'));
  await assert.rejects(finishCeremony(buildDir, { beaconHex: BEACON, iterationsExp: 5 }), rejectsWith('OPTION_INVALID'));
  await assert.rejects(contributeZkey(c.file, path.join(work, 'y.zkey'), { name: '' }), rejectsWith('OPTION_INVALID'));
  const notZkey = path.join(work, 'not.zkey');
  fs.writeFileSync(notZkey, 'hello');
  await assert.rejects(contributeZkey(notZkey, path.join(work, 'y.zkey'), { name: 'zed' }), rejectsWith('CONTRIBUTION_INVALID'));
  await assert.rejects(acceptContribution(buildDir, notZkey, { name: 'zed' }), rejectsWith('CONTRIBUTION_INVALID'));
});
