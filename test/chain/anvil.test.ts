import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { anvilBinary, ANVIL_DEV_PRIVATE_KEY, startAnvil } from '../../src/chain/anvil';
import { getChainId } from '../../src/chain/verifier-contract';
import { ZkmlError } from '../../src/errors';

test('the anvil binary is found in node_modules', () => {
  assert.ok(fs.existsSync(anvilBinary()));
});

test('two anvils start on distinct free ports, answer eth_chainId, and stop', async () => {
  const [a, b] = await Promise.all([startAnvil(), startAnvil()]);
  try {
    assert.notEqual(a.rpcUrl, b.rpcUrl);
    assert.match(a.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await getChainId(a.rpcUrl), 31337);
    assert.equal(await getChainId(b.rpcUrl), 31337);
    assert.equal(a.privateKey, ANVIL_DEV_PRIVATE_KEY);
  } finally {
    await a.stop();
    await b.stop();
  }
  await assert.rejects(getChainId(a.rpcUrl), (err: unknown) => err instanceof ZkmlError && err.code === 'CHAIN_ERROR');
  await a.stop(); // stopping twice is harmless
});

test('a binary that is not anvil is a CHAIN_ERROR', async () => {
  await assert.rejects(startAnvil({ binary: '/bin/false' }), (err: unknown) => err instanceof ZkmlError && err.code === 'CHAIN_ERROR');
});

test('an anvil dies with the process that started it, even one killed with SIGKILL (no exit hook runs)', async () => {
  const script = `require(${JSON.stringify(require.resolve('../../src/chain/anvil'))}).startAnvil().then((c) => { console.log(c.rpcUrl); setInterval(() => {}, 1000); });`;
  const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const rpcUrl = await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  assert.equal(await getChainId(rpcUrl), 31337);
  const gone = new Promise((r) => parent.once('exit', r));
  parent.kill('SIGKILL');
  await gone;
  const deadline = Date.now() + 5000;
  let answering = true;
  while (answering && Date.now() < deadline) {
    answering = await getChainId(rpcUrl).then(
      () => true,
      () => false,
    );
    if (answering) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(answering, false, `the orphaned anvil still answers on ${rpcUrl}`);
});
