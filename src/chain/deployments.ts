/**
 * The verifier deployments recorded in a build's manifest (per chain id), so on-chain verification
 * and `POST /v1/models/:id/deploy` reuse a verifier instead of deploying it again. A recorded
 * address is trusted only while the chain still holds this build's verifier code there.
 */
import { readManifest, sha256Bytes, updateManifest } from '../formats/artifacts';
import { ZkmlError } from '../errors';
import type { VerifierArtifact } from './verifier-artifact';
import { getDeployedCode } from './verifier-contract';

/** Whether the contract at the address is this build's verifier (a verifier of another circuit would answer for the wrong key). */
export async function isThisVerifier(rpcUrl: string, address: string, artifact: VerifierArtifact): Promise<boolean> {
  return (await getDeployedCode(rpcUrl, address)).toLowerCase() === artifact.deployedBytecode.toLowerCase();
}

export async function checkIsThisVerifier(rpcUrl: string, address: string, artifact: VerifierArtifact): Promise<void> {
  const code = (await getDeployedCode(rpcUrl, address)).toLowerCase();
  if (code === '0x') throw new ZkmlError('CHAIN_ERROR', `no contract at ${address}`);
  if (code !== artifact.deployedBytecode.toLowerCase()) {
    throw new ZkmlError('CHAIN_ERROR', `the contract at ${address} is not this build's verifier (its code differs from Verifier.sol compiled with solc ${artifact.solcVersion})`);
  }
}

export async function findRecordedDeployment(buildDir: string, rpcUrl: string, chainId: number, artifact: VerifierArtifact): Promise<string | undefined> {
  const bytecodeSha256 = creationCodeSha256(artifact);
  const recorded = (readManifest(buildDir).deployments ?? []).filter((d) => d.chainId === chainId && d.bytecodeSha256 === bytecodeSha256);
  for (const d of recorded) {
    // The chain may have been reset since: trust only code that is still there.
    if (await isThisVerifier(rpcUrl, d.address, artifact)) return d.address;
  }
  return undefined;
}

export function recordDeployment(buildDir: string, chainId: number, address: string, artifact: VerifierArtifact): void {
  const bytecodeSha256 = creationCodeSha256(artifact);
  const others = (readManifest(buildDir).deployments ?? []).filter((d) => !(d.chainId === chainId && d.address.toLowerCase() === address.toLowerCase()));
  updateManifest(buildDir, { deployments: [...others, { chainId, address, bytecodeSha256 }] });
}

function creationCodeSha256(artifact: VerifierArtifact): string {
  return sha256Bytes(Buffer.from(artifact.bytecode.replace(/^0x/, ''), 'hex'));
}
