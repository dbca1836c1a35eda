/**
 * `zkml ceremony` end to end through the real CLI on the tiny hand-written circuit: init (a local ptau
 * is refused until allowed as unknown), export, contribute, accept (a wrong file is refused), finish,
 * status; then the published transcript and a proof check out.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { artifactPath, readJson, readManifest } from '../../src/artifacts';
import type { CeremonyTranscript } from '../../src/setup/ceremony';
import { generateDevPtau } from '../../src/setup/dev-ptau';
import { REPO_ROOT } from '../helpers/onnx-builders';
import { compileTinyCircuit, makeTempDir, proveTiny, removeDir } from '../helpers/tiny-circuit';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let work: string;
let build: string;
let ptau: string;

function zkml(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ZKML_CACHE_DIR: path.join(work, 'cache'), ZKML_QUIET: '1' };
    delete env.ZKML_DEBUG;
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'zkml.js'), ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

function ok(r: Run, what: string): string {
  assert.equal(r.code, 0, `${what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

function fails(r: Run, code: string): string {
  assert.equal(r.code, code === 'USAGE' ? 2 : 1, `expected ${code}, got exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const m = /^error ([A-Z_]+): (.+)\n$/.exec(r.stderr);
  assert.ok(m, `one line 'error CODE: message', got: ${r.stderr}`);
  assert.equal(m[1], code, r.stderr);
  return m[2];
}

before(async () => {
  work = makeTempDir('ceremony-cli');
  build = compileTinyCircuit();
  ptau = path.join(work, 'local.ptau');
  await generateDevPtau(3, ptau);
});
after(async () => {
  removeDir(work);
  removeDir(build);
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
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
  assert.deepEqual(transcript.contributions.map((c) => [c.name, c.hash]), [['alice', hashes[0]]]);
  assert.equal(transcript.ptau.pinned, false);
  assert.equal(readManifest(build).phase2?.kind, 'ceremony');

  const { proof, publicSignals } = await proveTiny(build, { a: 2, b: 7 });
  assert.equal(await snarkjs.groth16.verify(readJson(artifactPath(build, 'vk')), publicSignals, proof), true);
  const receipt = path.join(work, 'receipt.json');
  fs.writeFileSync(receipt, JSON.stringify({ proof, publicSignals }));
  assert.match(ok(await zkml('verify', receipt, '--dir', build), 'verify'), /valid off-chain: .*\nkey: UNPINNED ptau .*; phase-2 ceremony with 1 contribution\(s\)/);
});
