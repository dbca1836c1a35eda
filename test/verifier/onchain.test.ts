import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readManifest } from '../../src/formats/artifacts';
import { LocalChain, startAnvil } from '../../src/chain/anvil';
import { ZkmlError } from '../../src/errors';
import { BN254_Q, BN254_R } from '../../src/formats/field';
import { verifyOnchain } from '../../src/verifier/onchain';
import { tinyCircuitWithKeys } from '../helpers/setup-fixtures';
import { clone, ProofAndSignals, proveTiny, removeDir } from '../helpers/tiny-circuit';

let buildDir: string;
let cacheDir: string;
let good: ProofAndSignals;
let chain: LocalChain;
let address: string;

before(async () => {
  ({ buildDir, cacheDir } = await tinyCircuitWithKeys());
  good = await proveTiny(buildDir, { a: 2, b: 7 });
  chain = await startAnvil();
});
after(async () => {
  await chain?.stop();
  removeDir(buildDir);
  removeDir(cacheDir);
});

test('without an rpc, a local anvil is started, the verifier deployed, and the proof accepted', async () => {
  const r = await verifyOnchain(buildDir, good);
  assert.equal(r.valid, true, r.reason);
  assert.equal(r.chainId, 31337);
  assert.equal(r.deployed, true);
  assert.match(r.address ?? '', /^0x[0-9a-fA-F]{40}$/);
  assert.equal(readManifest(buildDir).deployments, undefined, 'a throw-away chain is not recorded');
});

test('on a given rpc the deployment is recorded in the manifest', async () => {
  const r = await verifyOnchain(buildDir, good, { rpcUrl: chain.rpcUrl, privateKey: chain.privateKey });
  assert.equal(r.valid, true, r.reason);
  address = r.address!;
  const deployments = readManifest(buildDir).deployments ?? [];
  assert.equal(deployments.length, 1);
  assert.equal(deployments[0].chainId, 31337);
  assert.equal(deployments[0].address, address);
  assert.match(deployments[0].bytecodeSha256, /^[0-9a-f]{64}$/);

  // The next verification on the same chain reuses the recorded verifier instead of deploying again.
  const again = await verifyOnchain(buildDir, good, { rpcUrl: chain.rpcUrl });
  assert.equal(again.valid, true, again.reason);
  assert.equal(again.deployed, false);
  assert.equal(again.address, address);
});

test('without a key or a usable deployment on a given rpc, it is PRIVATE_KEY_REQUIRED', async () => {
  const other = await startAnvil(); // a fresh chain: the recorded address has no code there
  try {
    await assert.rejects(verifyOnchain(buildDir, good, { rpcUrl: other.rpcUrl }), (err: unknown) => err instanceof ZkmlError && err.code === 'PRIVATE_KEY_REQUIRED');
  } finally {
    await other.stop();
  }
});

test('the deployed verifier rejects tampered proofs and signals', async () => {
  const at = { rpcUrl: chain.rpcUrl, address };
  const again = await verifyOnchain(buildDir, good, at);
  assert.equal(again.valid, true, again.reason);
  assert.equal(again.deployed, false);

  const negatedA = clone(good);
  negatedA.proof.pi_a[1] = (BN254_Q - BigInt(good.proof.pi_a[1])).toString();
  const badB = clone(good);
  badB.proof.pi_b[0][0] = (BigInt(good.proof.pi_b[0][0]) + 1n).toString();
  const badSignal = clone(good);
  badSignal.publicSignals[0] = (BigInt(good.publicSignals[0]) + 1n).toString();

  for (const receipt of [negatedA, badB, badSignal]) {
    const r = await verifyOnchain(buildDir, receipt, at);
    assert.equal(r.valid, false);
    assert.equal(r.code, 'PROOF_INVALID', r.reason);
    assert.equal(r.address, address, 'the contract was asked');
  }
});

test('a signal >= r or a wrong count is refused before any chain call', async () => {
  const atR = clone(good);
  atR.publicSignals[1] = BN254_R.toString();
  // An unreachable rpc proves no call is made.
  const unreachable = { rpcUrl: 'http://127.0.0.1:1', address };
  const r = await verifyOnchain(buildDir, atR, unreachable);
  assert.equal(r.code, 'SIGNAL_NOT_IN_FIELD');
  assert.equal(r.address, undefined);

  const count = await verifyOnchain(buildDir, { ...clone(good), publicSignals: ['1'] }, unreachable);
  assert.equal(count.code, 'SIGNAL_COUNT_MISMATCH');
});

test("an address that is not this build's verifier is a CHAIN_ERROR", async () => {
  const eoa = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
  await assert.rejects(verifyOnchain(buildDir, good, { rpcUrl: chain.rpcUrl, address: eoa }), (err: unknown) => {
    assert.ok(err instanceof ZkmlError);
    assert.equal(err.code, 'CHAIN_ERROR');
    assert.match(err.message, /no contract/);
    return true;
  });
});

test('an unreachable rpc is a CHAIN_ERROR', async () => {
  await assert.rejects(verifyOnchain(buildDir, good, { rpcUrl: 'http://127.0.0.1:1', address }), (err: unknown) => {
    assert.ok(err instanceof ZkmlError);
    assert.equal(err.code, 'CHAIN_ERROR');
    return true;
  });
});
