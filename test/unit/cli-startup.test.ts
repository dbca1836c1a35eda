/**
 * Cold start: a `zkml` command loads only the packages it uses. `--help` and an off-chain `verify`
 * must not pull in ethers, solc, snarkjs or onnxruntime (together about a second of CPU).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, test } from 'node:test';

const MAIN = path.resolve(__dirname, '../../src/cli/main.js');
const HEAVY = ['ethers', 'solc', 'snarkjs', 'onnxruntime-node', '@nestjs/core', 'bullmq', 'pg', 'ioredis'];

/** The heavy packages `zkml <args>` required, in a fresh process. */
function heavyLoaded(args: string[]): string[] {
  const script = `
    const Module = require('module'); const load = Module._load; const seen = new Set();
    const heavy = new Set(${JSON.stringify(HEAVY)});
    Module._load = function (request) { if (heavy.has(request)) seen.add(request); return load.apply(this, arguments); };
    require(${JSON.stringify(MAIN)}).main(${JSON.stringify(args)}).then(() => { process.stdout.write('\\nLOADED ' + JSON.stringify([...seen])); });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  const m = /LOADED (.*)$/.exec(r.stdout);
  assert.ok(m, `no report from the child: ${r.stderr}`);
  return JSON.parse(m[1]) as string[];
}

describe('zkml start-up', () => {
  test('--help loads none of the heavy packages', () => {
    assert.deepEqual(heavyLoaded(['--help']), []);
  });

  test('verify (off-chain) loads none of them before it needs a proof check', () => {
    // No receipt: the command stops at its usage error, after its modules are loaded.
    assert.deepEqual(heavyLoaded(['verify']), []);
  });

  test('compile loads onnxruntime but not the chain or the service', () => {
    assert.deepEqual(heavyLoaded(['compile']), ['onnxruntime-node']);
  });
});
