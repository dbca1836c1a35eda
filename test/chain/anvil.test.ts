import assert from 'node:assert/strict';
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
