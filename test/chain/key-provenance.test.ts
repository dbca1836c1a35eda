import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Contract, Signer } from 'ethers';
import { LocalChain, startAnvil } from '../../src/chain/anvil';
import { buildKeyProvenance, KeyProvenance, provenanceMismatches, readKeyProvenance } from '../../src/chain/key-provenance';
import { compileContract, deployContract, proofWords, registerModel, RegisterArgs, registryArtifact, registryAt, withWallet } from '../../src/chain/registry';
import { loadVerifierArtifact } from '../../src/chain/verifier-artifact';
import { ZkmlError } from '../../src/errors';
import { readManifest } from '../../src/formats/artifacts';
import { tinyCircuitWithKeys } from '../helpers/setup-fixtures';
import { ProofAndSignals, proveTiny, removeDir } from '../helpers/tiny-circuit';

let buildDir: string;
let cacheDir: string;
let chain: LocalChain;
let registry: string;
let verifier: string;
let good: ProofAndSignals;
const run = <T>(fn: (w: Signer) => Promise<T>): Promise<T> => withWallet(chain.rpcUrl, chain.privateKey, fn);

/** The tiny circuit's signals [c, b], b read as an input commitment so the example consumer can key on it. */
const args = (provenance: KeyProvenance): RegisterArgs => {
  const m = readManifest(buildDir);
  return {
    verifier,
    modelHash: m.onnxSha256 ?? '00'.repeat(32),
    vkHash: m.vkSha256!,
    layout: [
      { kind: 'output', shape: [1], scaleBits: 0 },
      { kind: 'inputCommitment', shape: [1], scaleBits: 0 },
    ],
    provenance,
  };
};
const register = (p: KeyProvenance): Promise<bigint> => run(async (w) => (await registerModel(registryAt(registry, w), args(p))).modelId);
/** What a registrant could claim for the same key: a pinned ptau and a 3-contribution ceremony. */
const claimedCeremony = (): KeyProvenance => ({ ...buildKeyProvenance(buildDir), ptau: 'pinned', ptauPower: 8, phase2: 'ceremony', contributions: 3, transcriptHash: 'ab'.repeat(32) });

before(async () => {
  ({ buildDir, cacheDir } = await tinyCircuitWithKeys());
  good = await proveTiny(buildDir, { a: 4, b: 1 });
  chain = await startAnvil();
  await run(async (w) => {
    registry = await deployContract(w, registryArtifact());
    verifier = await deployContract(w, loadVerifierArtifact(buildDir));
  });
});
after(async () => {
  await chain?.stop();
  removeDir(buildDir);
  removeDir(cacheDir);
});

test("the build's provenance: a dev ptau and one local phase-2 contribution, from the manifest and setup.json", () => {
  const p = buildKeyProvenance(buildDir);
  const m = readManifest(buildDir);
  assert.equal(p.ptau, 'dev');
  assert.equal(p.ptauPower, m.ptau!.power);
  assert.equal(p.phase2, 'local');
  assert.equal(p.contributions, 1);
  assert.equal(p.ptauBlake2b512, m.ptau!.blake2b512);
  assert.equal(p.circuitHash, m.r1csSha256);
  assert.equal(p.transcriptHash, '0'.repeat(64));
  assert.match(p.beaconHash, /^[0-9a-f]{64}$/);
});

test('registration records the provenance; it reads back equal and matches the build', async () => {
  const id = await register(buildKeyProvenance(buildDir));
  await run(async (w) => {
    const reg = registryAt(registry, w);
    assert.deepEqual(await readKeyProvenance(reg, id), buildKeyProvenance(buildDir));
    assert.deepEqual(await provenanceMismatches(reg, id, buildDir), []);
    assert.equal(await reg.getFunction('isCeremonyKey')(id, 1), false, 'a dev key is not a ceremony key');
    assert.equal((await reg.getFunction('model')(id)).registrant, await w.getAddress(), 'attributed to the registrant');
  });
});

test('a claim the build does not support is recorded as claimed and caught by provenanceMismatches', async () => {
  const id = await register(claimedCeremony());
  await run(async (w) => {
    const reg = registryAt(registry, w);
    assert.equal(await reg.getFunction('isCeremonyKey')(id, 3), true);
    assert.equal(await reg.getFunction('isCeremonyKey')(id, 4), false, 'fewer contributions than required');
    const powerDiffers = buildKeyProvenance(buildDir).ptauPower !== 8;
    assert.deepEqual(await provenanceMismatches(reg, id, buildDir), ['ptau', ...(powerDiffers ? ['ptauPower'] : []), 'phase2', 'contributions', 'transcriptHash']);
  });
});

test('self-contradicting provenance is refused with BadProvenance naming the field', async () => {
  const base = buildKeyProvenance(buildDir);
  const cases: Array<[KeyProvenance, string]> = [
    [{ ...base, phase2: 'ceremony' }, 'transcriptHash'], // a ceremony without a transcript
    [{ ...base, transcriptHash: 'ab'.repeat(32) }, 'transcriptHash'], // a local setup with one
    [{ ...base, contributions: 0 }, 'contributions'],
    [{ ...base, ptauPower: 29 }, 'ptauPower'], // beyond BN254's 2^28 roots of unity
    [{ ...base, ptau: 'pinned', ptauPower: 7 }, 'ptauPower'], // no pinned file is that small
    [{ ...base, ptauBlake2b512: '0'.repeat(128) }, 'ptauBlake2b512'],
    [{ ...base, circuitHash: '0'.repeat(64) }, 'circuitHash'],
  ];
  for (const [p, field] of cases) {
    await assert.rejects(register(p), (e: unknown) => e instanceof ZkmlError && e.details?.revert === 'BadProvenance' && e.message.includes(field), field);
  }
});

test('the example consumer with requireCeremonyKey refuses a dev key and settles a ceremony key', async () => {
  const devId = await register(buildKeyProvenance(buildDir));
  const ceremonyId = await register(claimedCeremony());
  const artifact = compileContract('examples/ThresholdConsumer.sol', 'ThresholdConsumer');
  await run(async (w) => {
    const consumer = async (modelId: bigint, minContributions: number): Promise<Contract> =>
      new Contract(await deployContract(w, artifact, [registry, modelId, 0, minContributions]), artifact.abi as never, w);
    // The custom error settle reverts with, from a call (a failed transaction would leave a nonce gap in the NonceManager).
    const revertName = (c: Contract): Promise<string | undefined> =>
      c
        .getFunction('settle')
        .staticCall(good.publicSignals, proofWords(good.proof))
        .then(
          () => undefined,
          (e: { revert?: { name: string }; data?: string }) => e.revert?.name ?? c.interface.parseError(e.data!)?.name,
        );
    assert.equal(await revertName(await consumer(devId, 1)), 'NotACeremonyKey');
    const lenient = await consumer(devId, 0);
    await (await lenient.getFunction('settle')(good.publicSignals, proofWords(good.proof))).wait();
    assert.equal(await lenient.getFunction('approved')(good.publicSignals[1]), true);

    const ceremony = await consumer(ceremonyId, 3);
    await (await ceremony.getFunction('settle')(good.publicSignals, proofWords(good.proof))).wait();
    assert.equal(await ceremony.getFunction('approved')(good.publicSignals[1]), true);
    assert.equal(await revertName(await consumer(ceremonyId, 4)), 'NotACeremonyKey', 'fewer contributions than required');
  });
});
