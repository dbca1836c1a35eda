/**
 * The ZkmlRegistry contract (contracts/ZkmlRegistry.sol): compiled with the pinned solc-js,
 * deployed and called with ethers. A refused submission surfaces as a ZkmlError naming the
 * contract's custom error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Contract, ContractFactory, Interface, InterfaceAbi, JsonRpcProvider, Network, NonceManager, Signer, TransactionReceipt, Wallet } from 'ethers';
import { ZkmlError } from '../errors';
import type { Groth16Proof } from '../formats/receipt';
import type { PublicKind } from '../formats/public-signals';
import { CompiledContract, compileSolidity } from './solc';
import { getChainId, solidityCallArgs } from './verifier-contract';
import { packagePath } from '../package-root';
import { KeyProvenance, provenanceTuple } from './key-provenance';

export const REGISTRY_CONTRACT = 'ZkmlRegistry';

/** The registry's Kind enum, in its order. */
const KIND_INDEX: Record<PublicKind, number> = { output: 0, input: 1, inputCommitment: 2, outputCommitment: 3, weightsCommitment: 4 };

/** The package's contracts/ folder. */
export function contractsDir(): string {
  return packagePath('contracts', 'ZkmlRegistry.sol');
}

const compiled = new Map<string, CompiledContract>();

/** Compiles a contract of contracts/ once per process. */
export function compileContract(file: string, name: string): CompiledContract {
  const key = `${file}:${name}`;
  let c = compiled.get(key);
  if (!c) {
    c = compileSolidity(fs.readFileSync(path.join(contractsDir(), file), 'utf8'), name, file);
    compiled.set(key, c);
  }
  return c;
}

export const registryArtifact = (): CompiledContract => compileContract('ZkmlRegistry.sol', REGISTRY_CONTRACT);

/** A receipt's public layout as the registry's Segment[] ([kind, size, scaleBits] tuples). */
export function registryLayout(layout: ReadonlyArray<{ kind: PublicKind; shape: number[]; scaleBits: number }>): Array<[number, number, number]> {
  return layout.map((e) => [KIND_INDEX[e.kind], e.shape.reduce((a, d) => a * d, 1), e.scaleBits]);
}

/** verifyProof's first three arguments flattened: the registry's `uint256[8] proof`. */
export function proofWords(proof: Groth16Proof): string[] {
  const [a, b, c] = solidityCallArgs(proof, []);
  return [...a, ...b[0], ...b[1], ...c];
}

export interface TxResult {
  gasUsed: bigint;
  receipt: TransactionReceipt;
}

/** Runs fn with a wallet on rpcUrl; reverts become ZkmlError with the custom error's name. */
export async function withWallet<T>(rpcUrl: string, privateKey: string, fn: (wallet: Signer) => Promise<T>): Promise<T> {
  const chainId = await getChainId(rpcUrl);
  const provider = new JsonRpcProvider(rpcUrl, Network.from(chainId), { staticNetwork: true, pollingInterval: 100 });
  try {
    // One nonce counter for the whole session: back-to-back transactions must not reuse a nonce.
    return await fn(new NonceManager(new Wallet(privateKey, provider)));
  } catch (err) {
    if (err instanceof ZkmlError) throw err;
    const e = err as { revert?: { name?: string; args?: unknown[] } | null; data?: string; shortMessage?: string; message?: string };
    // ethers leaves a custom error undecoded when it comes from gas estimation: decode it with the registry ABI.
    if (!e.revert?.name && typeof e.data === 'string' && e.data.length >= 10) {
      const parsed = new Interface(registryArtifact().abi as InterfaceAbi).parseError(e.data);
      if (parsed) e.revert = { name: parsed.name, args: [...parsed.args] };
    }
    if (e.revert?.name)
      throw new ZkmlError(
        e.revert.name === 'ProofRejected' ? 'PROOF_INVALID' : 'CHAIN_ERROR',
        `the registry refused: ${e.revert.name}(${(e.revert.args ?? []).join(', ')})`,
        { revert: e.revert.name },
        { cause: err },
      );
    throw new ZkmlError('CHAIN_ERROR', (e.shortMessage ?? e.message ?? String(err)).split('\n')[0], undefined, { cause: err });
  } finally {
    provider.destroy();
  }
}

/** Deploys a contract and waits for it; returns its address and the deployment transaction's hash. */
export async function deployContractTx(wallet: Signer, artifact: { abi: unknown[]; bytecode: string }, args: unknown[] = []): Promise<{ address: string; txHash: string }> {
  const contract = await new ContractFactory(artifact.abi as InterfaceAbi, artifact.bytecode, wallet).deploy(...args);
  await contract.waitForDeployment();
  return { address: await contract.getAddress(), txHash: contract.deploymentTransaction()!.hash };
}

export async function deployContract(wallet: Signer, artifact: { abi: unknown[]; bytecode: string }, args: unknown[] = []): Promise<string> {
  return (await deployContractTx(wallet, artifact, args)).address;
}

export function registryAt(address: string, wallet: Signer): Contract {
  return new Contract(address, registryArtifact().abi as InterfaceAbi, wallet);
}

export interface RegisterArgs {
  verifier: string;
  /** 64 hex digits (manifest onnxSha256 / vkSha256). */
  modelHash: string;
  vkHash: string;
  layout: ReadonlyArray<{ kind: PublicKind; shape: number[]; scaleBits: number }>;
  /** With private weights: the published commitment (manifest weightsCommitment) every proof must carry. */
  weightsCommitment?: string;
  /** How the key was made: `buildKeyProvenance(buildDir)` (src/chain/key-provenance.ts). */
  provenance: KeyProvenance;
}

export async function registerModel(registry: Contract, args: RegisterArgs): Promise<{ modelId: bigint } & TxResult> {
  const tx = await registry.getFunction('registerModel')(
    args.verifier,
    `0x${args.modelHash}`,
    `0x${args.vkHash}`,
    registryLayout(args.layout),
    args.weightsCommitment ?? 0,
    provenanceTuple(args.provenance),
  );
  const receipt = (await tx.wait()) as TransactionReceipt;
  const event = receipt.logs.map((l) => registry.interface.parseLog(l)).find((e) => e?.name === 'ModelRegistered');
  if (!event) throw new ZkmlError('CHAIN_ERROR', `no ModelRegistered event from ${await registry.getAddress()}: is it a ZkmlRegistry?`);
  return { modelId: event.args.modelId as bigint, gasUsed: receipt.gasUsed, receipt };
}

export interface Accepted extends TxResult {
  nullifier: string;
  outputs: bigint[];
  commitments: bigint[];
}

export async function submitInference(registry: Contract, modelId: bigint | number, proof: Groth16Proof | string[], publicSignals: readonly string[]): Promise<Accepted> {
  const words = Array.isArray(proof) ? proof : proofWords(proof);
  const tx = await registry.getFunction('submitInference')(modelId, publicSignals, words);
  const receipt = (await tx.wait()) as TransactionReceipt;
  const event = receipt.logs.map((l) => registry.interface.parseLog(l)).find((e) => e?.name === 'InferenceAccepted');
  if (!event) throw new ZkmlError('CHAIN_ERROR', 'the registry accepted no inference');
  return { nullifier: event.args.nullifier as string, outputs: [...(event.args.outputs as bigint[])], commitments: [...(event.args.commitments as bigint[])], gasUsed: receipt.gasUsed, receipt };
}

const VERIFY_GAS_LIMIT = 5_000_000n;

/** Calls verifyProof in a transaction (not a view call), for its gas. Reverts if the proof is refused. */
export async function verifyProofTx(wallet: Signer, verifier: string, abi: unknown[], proof: Groth16Proof, publicSignals: string[]): Promise<TxResult> {
  const contract = new Contract(verifier, abi as InterfaceAbi, wallet);
  const args = solidityCallArgs(proof, publicSignals);
  if ((await contract.getFunction('verifyProof').staticCall(...args)) !== true) throw new ZkmlError('PROOF_INVALID', 'the verifier rejected the proof');
  // An explicit limit: the verifier answers false (it does not revert) when the pairing precompile runs
  // out of gas, so eth_estimateGas would settle on a limit at which the proof is refused.
  const tx = await wallet.sendTransaction({ to: verifier, data: contract.interface.encodeFunctionData('verifyProof', args), gasLimit: VERIFY_GAS_LIMIT });
  const receipt = (await tx.wait()) as TransactionReceipt;
  return { gasUsed: receipt.gasUsed, receipt };
}
