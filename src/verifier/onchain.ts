/**
 * On-chain verification: the build's Solidity verifier answers verifyProof for a receipt, on a
 * given chain or on a throw-away local anvil.
 */
import { artifactPath, checkArtifactHash, readJson, readManifest } from '../formats/artifacts';
import { startAnvil } from '../chain/anvil';
import { checkIsThisVerifier, findRecordedDeployment, recordDeployment } from '../chain/deployments';
import { loadVerifierArtifact } from '../chain/verifier-artifact';
import { callVerifyProof, deployVerifier, getChainId } from '../chain/verifier-contract';
import { ZkmlError } from '../errors';
import { checkProofAndSignals, ProofAndSignals, vkPublicCount } from './checks';
import { Verdict } from '../formats/verdict';

export interface OnchainOptions {
  /** A node to use; without it a local anvil is started and stopped. */
  rpcUrl?: string;
  /** Pays for the deployment; defaults to anvil's dev account on the local anvil. */
  privateKey?: string;
  /**
   * An already deployed verifier of this build. Without it, a deployment recorded in the manifest
   * for this chain is reused when its code is still there, else a new one is deployed.
   */
  address?: string;
}

export interface OnchainResult extends Verdict {
  /** Absent when the receipt was refused before any chain call. */
  address?: string;
  chainId?: number;
  rpcUrl?: string;
  /** True when this call deployed the verifier. */
  deployed?: boolean;
}

export async function verifyOnchain(buildDir: string, receipt: ProofAndSignals, opts: OnchainOptions = {}): Promise<OnchainResult> {
  // The same checks as off-chain come first: the contract would only say "false" to a non-canonical signal.
  const manifest = readManifest(buildDir);
  checkArtifactHash(buildDir, 'vk', manifest.vkSha256);
  const nPublic = vkPublicCount(readJson<object>(artifactPath(buildDir, 'vk')));
  try {
    checkProofAndSignals(receipt, nPublic);
  } catch (err) {
    if (err instanceof ZkmlError) return { valid: false, code: err.code, reason: err.message };
    throw err;
  }

  const artifact = loadVerifierArtifact(buildDir);
  const local = opts.rpcUrl ? undefined : await startAnvil();
  try {
    const rpcUrl = opts.rpcUrl ?? local!.rpcUrl;
    const chainId = await getChainId(rpcUrl);

    let address = opts.address;
    if (address) await checkIsThisVerifier(rpcUrl, address, artifact);
    else if (!local) address = await findRecordedDeployment(buildDir, rpcUrl, chainId, artifact);

    const deployed = !address;
    if (!address) {
      const privateKey = opts.privateKey ?? local?.privateKey;
      if (!privateKey) throw new ZkmlError('PRIVATE_KEY_REQUIRED', 'deploying the verifier needs a private key (or pass the address of a deployed verifier)');
      address = await deployVerifier(rpcUrl, privateKey, artifact);
      if (!local) recordDeployment(buildDir, chainId, address, artifact);
    }

    const ok = await callVerifyProof(rpcUrl, address, artifact.abi, receipt.proof, receipt.publicSignals);
    return ok
      ? { valid: true, reason: `the verifier at ${address} accepted the proof`, address, chainId, rpcUrl, deployed }
      : { valid: false, code: 'PROOF_INVALID', reason: `the verifier at ${address} rejected the proof`, address, chainId, rpcUrl, deployed };
  } finally {
    await local?.stop();
  }
}
