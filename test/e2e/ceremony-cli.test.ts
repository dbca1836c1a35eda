/**
 * `zkml ceremony` end to end through the real CLI on the tiny hand-written circuit: init (a local ptau
 * is refused until allowed as unknown), export, contribute, accept (a wrong file is refused), finish,
 * status; then the published transcript and a proof check out.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { artifactPath, readJson, readManifest } from '../../src/formats/artifacts';
import type { CeremonyTranscript } from '../../src/setup/ceremony';
import { CliRun, failsWith as fails, runZkml, succeeds as ok } from '../helpers/cli';
import { releaseCurve, tempDevPtau } from '../helpers/setup-fixtures';
import { compileTinyCircuit, proveTiny, removeDir } from '../helpers/tiny-circuit';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

let work: string;
let build: string;
let ptau: string;

const zkml = (...args: string[]): Promise<CliRun> => runZkml(path.join(work, 'cache'), args);

before(async () => {
  ({ dir: work, ptau } = await tempDevPtau('ceremony-cli'));
  build = compileTinyCircuit();
});
after(async () => {
  removeDir(work);
  removeDir(build);
  await releaseCurve();
});

test('zkml ceremony: init, export, contribute, accept, finish, status', async () => {
  fails(await zkml('ceremony', 'accept', 'x.zkey', '--dir', build), 'USAGE');
  fails(await zkml('ceremony', 'init', '--dir', build, '--ptau', ptau), 'PTAU_UNKNOWN');
  assert.match(ok(await zkml('ceremony', 'init', '--dir', build, '--ptau', ptau, '--allow-unknown-ptau'), 'init'), /UNPINNED ptau/);

  // One contributor here (each CLI run pays for loading snarkjs); test/setup/ceremony.test.ts runs three.
  const hashes: string[] = [];
  for (const name of ['alice']) {
    const handed = path.join(work, `${name}-in.zkey`);
    const back = path.join(work, `${name}-out.zkey`);
    ok(await zkml('ceremony', 'export', '--dir', build, '--out', handed), 'export');
    const out = ok(await zkml('ceremony', 'contribute', handed, back, '--name', name, '--entropy', 'coin flips'), 'contribute');
    const hash = /\n([0-9a-f]{128})\n$/.exec(out)?.[1];
    assert.ok(hash, out);
    hashes.push(hash);
    assert.match(ok(await zkml('ceremony', 'accept', back, '--dir', build, '--name', name), 'accept'), new RegExp(hash));
  }
  // Alice's file again adds nothing to the current key (which already holds it).
  fails(await zkml('ceremony', 'accept', path.join(work, 'alice-out.zkey'), '--dir', build, '--name', 'replay'), 'CONTRIBUTION_INVALID');

  ok(await zkml('ceremony', 'finish', '--dir', build, '--beacon', 'aa'.repeat(32), '--iterations', '10'), 'finish');
  const status = ok(await zkml('ceremony', 'status', '--dir', build), 'status');
  assert.match(status, /ceremony finished/);
  for (const h of hashes) assert.ok(status.includes(h));

  const transcript = readJson<CeremonyTranscript>(artifactPath(build, 'transcript'));
  assert.deepEqual(
    transcript.contributions.map((c) => [c.name, c.hash]),
    [['alice', hashes[0]]],
  );
  assert.equal(transcript.ptau.pinned, false);
  assert.equal(readManifest(build).phase2?.kind, 'ceremony');

  const { proof, publicSignals } = await proveTiny(build, { a: 2, b: 7 });
  assert.equal(await snarkjs.groth16.verify(readJson(artifactPath(build, 'vk')), publicSignals, proof), true);
  const receipt = path.join(work, 'receipt.json');
  fs.writeFileSync(receipt, JSON.stringify({ proof, publicSignals }));
  assert.match(ok(await zkml('verify', receipt, '--dir', build), 'verify'), /valid off-chain: .*\nkey: UNPINNED ptau .*; phase-2 ceremony with 1 contribution\(s\)/);
});
