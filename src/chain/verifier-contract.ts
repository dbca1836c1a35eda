/**
 * Deploying snarkjs's Groth16 verifier contract and calling verifyProof on it with ethers v6.
 */
import { Contract, ContractFactory, InterfaceAbi, JsonRpcProvider, Network, Wallet } from 'ethers';
import { ZkmlError } from '../errors';
import { Groth16Proof } from '../formats/receipt';

const RPC_TIMEOUT_MS = 10_000;

type Pair = [string, string];
/** The four arguments of `verifyProof(uint[2] pA, uint[2][2] pB, uint[2] pC, uint[n] pubSignals)`. */
export type SolidityCallArgs = [Pair, [Pair, Pair], Pair, string[]];

/**
 * The proof and signals as verifyProof expects them: 32-byte hex words, exactly the values of
 * `snarkjs zkey export soliditycalldata`. G2 coordinates are swapped: snarkjs stores Fq2 elements
 * as [c0, c1], the EIP-197 pairing precompile wants [c1, c0].
 */
export function solidityCallArgs(proof: Groth16Proof, publicSignals: string[]): SolidityCallArgs {
  const a = proof.pi_a;
  const b = proof.pi_b;
  const c = proof.pi_c;
  return [
    [word(a[0]), word(a[1])],
    [
      [word(b[0][1]), word(b[0][0])],
      [word(b[1][1]), word(b[1][0])],
    ],
    [word(c[0]), word(c[1])],
    publicSignals.map(word),
  ];
}

export async function deployVerifier(rpcUrl: string, privateKey: string, artifact: { abi: unknown[]; bytecode: string }): Promise<string> {
  return withProvider(rpcUrl, 'deploying the verifier', async (provider) => {
    const wallet = new Wallet(privateKey, provider);
    const factory = new ContractFactory(artifact.abi as InterfaceAbi, artifact.bytecode, wallet);
    const contract = await factory.deploy();
    await contract.waitForDeployment();
    return contract.getAddress();
  });
}

/** verifyProof as a view call; a contract that answers false means the proof does not verify. */
export async function callVerifyProof(rpcUrl: string, address: string, abi: unknown[], proof: Groth16Proof, publicSignals: string[]): Promise<boolean> {
  return withProvider(rpcUrl, 'calling verifyProof', async (provider) => {
    if ((await provider.getCode(address)) === '0x') throw new ZkmlError('CHAIN_ERROR', `no contract at ${address}`);
    const contract = new Contract(address, abi as InterfaceAbi, provider);
    const ok: unknown = await contract.getFunction('verifyProof').staticCall(...solidityCallArgs(proof, publicSignals));
    return ok === true;
  });
}

/** The runtime code at an address, 0x-prefixed ('0x' when none). */
export async function getDeployedCode(rpcUrl: string, address: string): Promise<string> {
  return withProvider(rpcUrl, 'reading contract code', (provider) => provider.getCode(address));
}

/** eth_chainId with a time-out, so an unreachable node fails fast instead of ethers retrying forever. */
export async function getChainId(rpcUrl: string): Promise<number> {
  let body: { result?: unknown; error?: { message?: string } };
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(RPC_TIMEOUT_MS),
    });
    body = (await res.json()) as typeof body;
  } catch (err) {
    throw new ZkmlError('CHAIN_ERROR', `cannot reach ${rpcUrl}: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
  }
  if (typeof body.result !== 'string') throw new ZkmlError('CHAIN_ERROR', `${rpcUrl} did not return a chain id${body.error?.message ? `: ${body.error.message}` : ''}`);
  return Number(BigInt(body.result));
}

/** A provider with a fixed network (no background detection loop), destroyed after use. */
async function withProvider<T>(rpcUrl: string, what: string, fn: (provider: JsonRpcProvider) => Promise<T>): Promise<T> {
  const chainId = await getChainId(rpcUrl);
  const provider = new JsonRpcProvider(rpcUrl, Network.from(chainId), { staticNetwork: true, pollingInterval: 250 });
  try {
    return await fn(provider);
  } catch (err) {
    if (err instanceof ZkmlError) throw err;
    const e = err as { shortMessage?: string; message?: string };
    throw new ZkmlError('CHAIN_ERROR', `${what} failed: ${(e.shortMessage ?? e.message ?? String(err)).split('\n')[0]}`, undefined, { cause: err });
  } finally {
    provider.destroy();
  }
}

function word(decimal: string): string {
  return '0x' + BigInt(decimal).toString(16).padStart(64, '0');
}
