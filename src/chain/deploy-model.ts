/**
 * Puts a build on a chain: deploys its Groth16 verifier (or takes a deployed one) and, when asked,
 * registers it in a ZkmlRegistry (an existing one, or one deployed for it). `zkml registry register`
 * and `POST /v1/models/:id/deploy` both go through here.
 */
import { readManifest } from '../formats/artifacts';
import { readCompiled } from '../formats/compiled-model';
import { ZkmlError } from '../errors';
import { publicLayout } from '../formats/public-signals';
import { recordDeployment } from './deployments';
import { buildKeyProvenance, KeyProvenance } from './key-provenance';
import { deployContractTx, registerModel, registryArtifact, registryAt, withWallet } from './registry';
import { loadVerifierArtifact } from './verifier-artifact';
import { getChainId } from './verifier-contract';

export interface ModelDeployment {
  chainId: number;
  /** txHash is absent when an already deployed verifier was used. */
  verifier: { address: string; txHash?: string };
  /** Present when the verifier was registered in a ZkmlRegistry. */
  registry?: {
    address: string;
    /** Present when the registry was deployed for this call. */
    deployTxHash?: string;
    /** The registry's id of the model (decimal). */
    modelId: string;
    registerTxHash: string;
    registerGasUsed: string;
    /** How the key was made, as registered (from the build's manifest and setup.json). */
    keyProvenance: KeyProvenance;
  };
  deployedAt: string;
}

export interface DeployModelOptions {
  rpcUrl: string;
  privateKey: string;
  /** A verifier of this build already on the chain; without it one is deployed. */
  verifier?: string;
  /** Register in the ZkmlRegistry at this address, or in a new one ('new'); without it nothing is registered. */
  registry?: string;
}

export async function deployModel(buildDir: string, opts: DeployModelOptions): Promise<ModelDeployment> {
  const manifest = readManifest(buildDir);
  if (!manifest.vkSha256) throw new ZkmlError('ARTIFACT_MISSING', `${buildDir} has no setup yet: run zkml setup first`);
  const artifact = loadVerifierArtifact(buildDir);
  const layout = publicLayout(readCompiled(buildDir).model);
  const provenance = buildKeyProvenance(buildDir);
  const chainId = await getChainId(opts.rpcUrl);
  return withWallet(opts.rpcUrl, opts.privateKey, async (w): Promise<ModelDeployment> => {
    const verifier = opts.verifier ? { address: opts.verifier } : await deployContractTx(w, artifact);
    if (!opts.verifier) recordDeployment(buildDir, chainId, verifier.address, artifact);
    if (!opts.registry) return { chainId, verifier, deployedAt: new Date().toISOString() };
    const created = opts.registry === 'new' ? await deployContractTx(w, registryArtifact()) : undefined;
    const address = created?.address ?? opts.registry;
    // A transaction to an address without code succeeds and does nothing: refuse it before paying.
    if ((await w.provider!.getCode(address)) === '0x') throw new ZkmlError('CHAIN_ERROR', `no contract at ${address}: give the address of a ZkmlRegistry`);
    const r = await registerModel(registryAt(address, w), {
      verifier: verifier.address,
      modelHash: manifest.onnxSha256,
      vkHash: manifest.vkSha256!,
      layout,
      weightsCommitment: manifest.weightsCommitment,
      provenance,
    });
    return {
      chainId,
      verifier,
      registry: {
        address,
        ...(created ? { deployTxHash: created.txHash } : {}),
        modelId: r.modelId.toString(),
        registerTxHash: r.receipt.hash,
        registerGasUsed: r.gasUsed.toString(),
        keyProvenance: provenance,
      },
      deployedAt: new Date().toISOString(),
    };
  });
}
