import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Contract, Interface, InterfaceAbi, keccak256, Signer, toUtf8Bytes } from 'ethers';
import { LocalChain, startAnvil } from '../../src/chain/anvil';
import { ERC7992_CONTRACT, erc7992Arguments } from '../../src/chain/erc7992';
import { buildKeyProvenance } from '../../src/chain/key-provenance';
import { compileContract, deployContract, proofWords, registerModel, registryArtifact, registryAt, withWallet } from '../../src/chain/registry';
import { loadVerifierArtifact } from '../../src/chain/verifier-artifact';
import { readManifest } from '../../src/formats/artifacts';
import type { PublicKind } from '../../src/formats/public-signals';
import { tinyCircuitWithKeys } from '../helpers/setup-fixtures';
import { clone, ProofAndSignals, proveTiny, removeDir } from '../helpers/tiny-circuit';

let buildDir: string;
let cacheDir: string;
let chain: LocalChain;
let good: ProofAndSignals;
let registry: string;
let adapter: string;
const ids: Record<string, bigint> = {};
/** The tiny circuit's signals [c, b]: b as a public input, or read as an input commitment. */
const LAYOUTS: Record<string, Array<{ kind: PublicKind; shape: number[]; scaleBits: number }>> = {
  publicInput: [
    { kind: 'output', shape: [1], scaleBits: 0 },
    { kind: 'input', shape: [1], scaleBits: 0 },
  ],
  committed: [
    { kind: 'output', shape: [1], scaleBits: 0 },
    { kind: 'inputCommitment', shape: [1], scaleBits: 0 },
  ],
};
const artifact = () => compileContract('Erc7992Verifier.sol', ERC7992_CONTRACT);
const run = <T>(fn: (w: Signer) => Promise<T>): Promise<T> => withWallet(chain.rpcUrl, chain.privateKey, fn);
/** The adapter's and the registry's errors: a refused proof reverts with the registry's own error. */
const errors = new Interface([...(artifact().abi as InterfaceAbi as unknown[]), ...(registryArtifact().abi as unknown[])].filter((f) => (f as { type: string }).type === 'error') as InterfaceAbi);
const revertOf = (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => undefined,
    (e: { data?: string }) => errors.parseError(e.data!)?.name,
  );

before(async () => {
  ({ buildDir, cacheDir } = await tinyCircuitWithKeys());
  good = await proveTiny(buildDir, { a: 4, b: 1 });
  chain = await startAnvil();
  await run(async (w) => {
    registry = await deployContract(w, registryArtifact());
    adapter = await deployContract(w, artifact(), [registry]);
    const verifier = await deployContract(w, loadVerifierArtifact(buildDir));
    const m = readManifest(buildDir);
    for (const [name, layout] of Object.entries(LAYOUTS)) {
      ids[name] = (await registerModel(registryAt(registry, w), { verifier, modelHash: '00'.repeat(32), vkHash: m.vkSha256!, layout, provenance: buildKeyProvenance(buildDir) })).modelId;
    }
  });
});
after(async () => {
  await chain?.stop();
  removeDir(buildDir);
  removeDir(cacheDir);
});

test('ERC-165: the verifier interface and the storage extension, by their computed ids', async () => {
  const id = (signatures: string[]): string => {
    const sel = signatures.map((s) => BigInt(keccak256(toUtf8Bytes(s)).slice(0, 10)));
    return (
      '0x' +
      sel
        .reduce((a, b) => a ^ b, 0n)
        .toString(16)
        .padStart(8, '0')
    );
  };
  const verifierId = id(['verifyInference(uint256,bytes32,bytes,bytes)', 'proofSystemOf(uint256)', 'registry()']);
  const storageId = id(['verifyAndStoreInference(uint256,bytes32,bytes,bytes)', 'getInference(bytes32)']);
  await run(async (w) => {
    const a = new Contract(adapter, artifact().abi as InterfaceAbi, w);
    for (const [iid, expected] of [
      ['0x01ffc9a7', true],
      [verifierId, true],
      [storageId, true],
      ['0xffffffff', false],
      ['0x12345678', false],
    ] as const)
      assert.equal(await a.getFunction('supportsInterface')(iid), expected, iid);
    assert.equal(await a.getFunction('registry')(), registry);
    assert.equal(await a.getFunction('proofSystemOf')(ids.publicInput), keccak256(toUtf8Bytes('groth16-bn254-v1')).slice(0, 10));
    assert.equal(await revertOf(a.getFunction('proofSystemOf')(99n)), 'UnknownModel');
  });
});

test('verifyInference: the right arguments verify (event, nothing stored); a wrong input commitment, output or proof reverts', async () => {
  await run(async (w) => {
    const a = new Contract(adapter, artifact().abi as InterfaceAbi, w);
    for (const name of Object.keys(LAYOUTS)) {
      const args = erc7992Arguments(ids[name], LAYOUTS[name], good.proof, good.publicSignals);
      assert.equal(await a.getFunction('inputCommitmentOf')(ids[name], good.publicSignals), args.inputCommitment, 'the off-chain and on-chain input commitments agree');
      const receipt = await (await a.getFunction('verifyInference')(ids[name], args.inputCommitment, args.output, args.proof)).wait();
      const event = receipt.logs.map((l: never) => a.interface.parseLog(l)).find((e: { name?: string } | null) => e?.name === 'InferenceVerified');
      assert.equal(event.args.inputCommitment, args.inputCommitment);
      assert.equal(event.args.output, args.output);
      const verify = (ic: string, output: string, proof: string) => a.getFunction('verifyInference').staticCall(ids[name], ic, output, proof);
      assert.equal(await revertOf(verify('0x' + '11'.repeat(32), args.output, args.proof)), 'InputCommitmentMismatch', name);
      const otherOutput = erc7992Arguments(ids[name], LAYOUTS[name], good.proof, [String(BigInt(good.publicSignals[0]) + 1n), good.publicSignals[1]]).output;
      assert.equal(await revertOf(verify(args.inputCommitment, otherOutput, args.proof)), 'OutputMismatch', name);
      const swapped = clone(good);
      swapped.proof.pi_a = good.proof.pi_c;
      swapped.proof.pi_c = good.proof.pi_a;
      assert.equal(await revertOf(verify(args.inputCommitment, args.output, erc7992Arguments(ids[name], LAYOUTS[name], swapped.proof, good.publicSignals).proof)), 'ProofRejected', name);
    }
    // A committed input is the signal itself; a public one is hashed with the model id.
    assert.equal(BigInt(erc7992Arguments(ids.committed, LAYOUTS.committed, good.proof, good.publicSignals).inputCommitment), BigInt(good.publicSignals[1]));
    assert.equal(await registryAt(registry, w).getFunction('isAccepted')(ids.publicInput, good.publicSignals), false, 'verifyInference records nothing');
  });
});

test('verifyAndStoreInference: accepted in the registry, stored under keccak256(modelId, inputCommitment, output), a replay refused', async () => {
  await run(async (w) => {
    const a = new Contract(adapter, artifact().abi as InterfaceAbi, w);
    const args = erc7992Arguments(ids.publicInput, LAYOUTS.publicInput, good.proof, good.publicSignals);
    const store = a.getFunction('verifyAndStoreInference');
    const inferenceId: string = await store.staticCall(ids.publicInput, args.inputCommitment, args.output, args.proof);
    await (await store(ids.publicInput, args.inputCommitment, args.output, args.proof)).wait();
    assert.equal(inferenceId, keccak256('0x' + ids.publicInput.toString(16).padStart(64, '0') + args.inputCommitment.slice(2) + args.output.slice(2)));
    assert.deepEqual([...(await a.getFunction('getInference')(inferenceId))], [ids.publicInput, args.inputCommitment, args.output]);
    assert.equal(await registryAt(registry, w).getFunction('isAccepted')(ids.publicInput, good.publicSignals), true);
    assert.equal(await revertOf(store.staticCall(ids.publicInput, args.inputCommitment, args.output, args.proof)), 'AlreadyAccepted');
    assert.equal(await revertOf(a.getFunction('getInference')('0x' + '22'.repeat(32))), 'UnknownInference');
    // The registry's view verify still answers for an accepted result (it checks, it does not record).
    const [outputs] = await registryAt(registry, w).getFunction('verify')(ids.publicInput, good.publicSignals, proofWords(good.proof));
    assert.deepEqual([...outputs], [BigInt(good.publicSignals[0])]);
  });
});
