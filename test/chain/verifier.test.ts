import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, test } from 'node:test';
import { artifactPath, readJson, readManifest, sha256File } from '../../src/formats/artifacts';
import { LocalChain, startAnvil } from '../../src/chain/anvil';
import { compileSolidity, compileSources } from '../../src/chain/solc';
import { verifierContractName } from '../../src/snark/verifier-template';
import { loadVerifierArtifact } from '../../src/chain/verifier-artifact';
import { callVerifyProof, deployVerifier, solidityCallArgs } from '../../src/chain/verifier-contract';
import { ZkmlError } from '../../src/errors';
import { tinyCircuitWithKeys } from '../helpers/setup-fixtures';
import { clone, compileTinyCircuit, ProofAndSignals, proveTiny, removeDir } from '../helpers/tiny-circuit';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

let buildDir: string;
let cacheDir: string;
let good: ProofAndSignals;
let chain: LocalChain;

before(async () => {
  ({ buildDir, cacheDir } = await tinyCircuitWithKeys());
  good = await proveTiny(buildDir, { a: 4, b: 1 });
  chain = await startAnvil();
});
after(async () => {
  await chain?.stop();
  removeDir(buildDir);
  removeDir(cacheDir);
});

test('solc compiles a contract to abi and bytecode', () => {
  const c = compileSolidity('// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\ncontract A { function f() external pure returns (uint) { return 1; } }');
  assert.equal((c.abi[0] as { name: string }).name, 'f');
  assert.match(c.bytecode, /^0x[0-9a-f]+$/);
  assert.match(c.deployedBytecode, /^0x[0-9a-f]+$/);
});

test('a compile error is a CHAIN_ERROR with the first solc message', () => {
  assert.throws(
    () => compileSolidity('pragma solidity ^0.8.0;\ncontract A { function f( }'),
    (err: unknown) => err instanceof ZkmlError && err.code === 'CHAIN_ERROR' && /ParserError/.test(err.message) && !err.message.includes('\n'),
  );
});

test('the verifier artifact is compiled once and cached in Verifier.json', () => {
  const file = artifactPath(buildDir, 'verifierArtifact');
  const first = loadVerifierArtifact(buildDir);
  assert.equal(first.contractName, verifierContractName(sha256File(artifactPath(buildDir, 'vk'))));
  assert.match(first.contractName, /^Groth16Verifier_[0-9a-f]{12}$/);
  assert.match(first.solcVersion, /^0\.8\.37/);
  const mtime = fs.statSync(file).mtimeMs;
  const second = loadVerifierArtifact(buildDir);
  assert.deepEqual(second, first);
  assert.equal(fs.statSync(file).mtimeMs, mtime, 'not rewritten');

  // A cache made from another source is rebuilt.
  fs.writeFileSync(file, JSON.stringify({ ...first, sourceSha256: 'stale', bytecode: '0x00' }));
  assert.deepEqual(loadVerifierArtifact(buildDir), first);
  assert.deepEqual(readJson(file), first);
});

test('a Verifier.sol that no longer matches the manifest is refused', () => {
  const dir = compileTinyCircuit();
  try {
    fs.copyFileSync(artifactPath(buildDir, 'manifest'), artifactPath(dir, 'manifest'));
    fs.writeFileSync(artifactPath(dir, 'verifierSol'), '// changed\n');
    assert.throws(
      () => loadVerifierArtifact(dir),
      (err: unknown) => err instanceof ZkmlError && err.code === 'ARTIFACT_HASH_MISMATCH',
    );
  } finally {
    removeDir(dir);
  }
});

test('solidityCallArgs equals snarkjs exportSolidityCallData (pi_b coordinates swapped)', async () => {
  const args = solidityCallArgs(good.proof, good.publicSignals);
  const fromSnarkjs = JSON.parse(`[${await snarkjs.groth16.exportSolidityCallData(good.proof, good.publicSignals)}]`);
  assert.deepEqual(args, fromSnarkjs);
  assert.equal(BigInt(args[1][0][0]), BigInt(good.proof.pi_b[0][1]));
});

test('deployVerifier and callVerifyProof: true for the proof, false when tampered', async () => {
  const artifact = loadVerifierArtifact(buildDir);
  const address = await deployVerifier(chain.rpcUrl, chain.privateKey, artifact);
  assert.equal(await callVerifyProof(chain.rpcUrl, address, artifact.abi, good.proof, good.publicSignals), true);

  const swapped = clone(good);
  swapped.proof.pi_a = good.proof.pi_c;
  swapped.proof.pi_c = good.proof.pi_a;
  assert.equal(await callVerifyProof(chain.rpcUrl, address, artifact.abi, swapped.proof, swapped.publicSignals), false);
  assert.equal(await callVerifyProof(chain.rpcUrl, address, artifact.abi, good.proof, [(BigInt(good.publicSignals[0]) + 1n).toString(), good.publicSignals[1]]), false);
});

test("two models' verifiers compile in one solc run under their own names and each verifies its own proofs", async () => {
  const second = await tinyCircuitWithKeys();
  try {
    const other = await proveTiny(second.buildDir, { a: 4, b: 1 });
    const builds = [
      { dir: buildDir, proof: good },
      { dir: second.buildDir, proof: other },
    ];
    const sources = builds.map((b) => fs.readFileSync(artifactPath(b.dir, 'verifierSol'), 'utf8'));
    const names = builds.map((b) => verifierContractName(readManifest(b.dir).vkSha256!));
    assert.notEqual(names[0], names[1], 'another key, another name');
    assert.deepEqual(
      builds.map((b) => loadVerifierArtifact(b.dir).contractName),
      names,
      'the name is the one derived from the manifest vkSha256, every time',
    );

    // As a Hardhat/Foundry project would: both files in one compilation.
    const out = compileSources({ 'contracts/ModelA.sol': sources[0], 'contracts/ModelB.sol': sources[1] });
    const contracts = [out['contracts/ModelA.sol'][names[0]], out['contracts/ModelB.sol'][names[1]]];
    const addresses: string[] = [];
    for (const c of contracts) addresses.push(await deployVerifier(chain.rpcUrl, chain.privateKey, c)); // one nonce at a time
    for (const [i, b] of builds.entries()) {
      assert.equal(await callVerifyProof(chain.rpcUrl, addresses[i], contracts[i].abi, b.proof.proof, b.proof.publicSignals), true, `${names[i]} verifies its own proof`);
      const theOther = builds[1 - i].proof;
      assert.equal(await callVerifyProof(chain.rpcUrl, addresses[i], contracts[i].abi, theOther.proof, theOther.publicSignals), false, `${names[i]} refuses the other key's proof`);
    }

    // Under snarkjs's one shared name the same project does not compile: the rename is what fixes it.
    const shared = sources.map((src, i) => src.replace(`contract ${names[i]} {`, 'contract Groth16Verifier {'));
    assert.throws(
      () =>
        compileSources({
          'contracts/ModelA.sol': shared[0],
          'contracts/ModelB.sol': shared[1],
          'contracts/Both.sol': 'pragma solidity ^0.8.0;\nimport "contracts/ModelA.sol";\nimport "contracts/ModelB.sol";\n',
        }),
      (err: unknown) => err instanceof ZkmlError && /DeclarationError|already declared/.test(err.message),
    );
  } finally {
    removeDir(second.buildDir);
    removeDir(second.cacheDir);
  }
});
