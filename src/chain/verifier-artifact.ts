/**
 * The build's compiled Solidity verifier, cached in Verifier.json next to Verifier.sol so solc
 * runs once per verifier source rather than on every on-chain verification.
 */
import * as fs from 'node:fs';
import { artifactPath, checkArtifactHash, readManifest, sha256File, writeJson } from '../formats/artifacts';
import { ZkmlError } from '../errors';
import { declaredContractName } from '../snark/verifier-template';
import { compileSolidity, solcVersion } from './solc';

export interface VerifierArtifact {
  contractName: string;
  abi: unknown[];
  bytecode: string;
  deployedBytecode: string;
  solcVersion: string;
  sourceSha256: string;
}

/** Returns the cached artifact when it was compiled from the current Verifier.sol, else compiles it. */
export function loadVerifierArtifact(buildDir: string): VerifierArtifact {
  // Verifier.sol must be the one setup produced for this build's zkey.
  checkArtifactHash(buildDir, 'verifierSol', readManifest(buildDir).verifierSolSha256);
  const solFile = artifactPath(buildDir, 'verifierSol');
  const sourceSha256 = sha256File(solFile);

  const cached = readCached(artifactPath(buildDir, 'verifierArtifact'));
  if (cached && cached.sourceSha256 === sourceSha256) return cached;

  const source = fs.readFileSync(solFile, 'utf8');
  // Groth16Verifier_<vk hash> since keys are named per model; `Groth16Verifier` in older builds.
  const contractName = declaredContractName(source);
  if (!contractName) throw new ZkmlError('ARTIFACT_MISSING', `${solFile} declares no contract`);
  const compiled = compileSolidity(source, contractName, 'Verifier.sol');
  const artifact: VerifierArtifact = { contractName, ...compiled, solcVersion: solcVersion(), sourceSha256 };
  writeJson(artifactPath(buildDir, 'verifierArtifact'), artifact);
  return artifact;
}

/** A missing or unreadable cache is simply rebuilt. */
function readCached(file: string): VerifierArtifact | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    const a = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<VerifierArtifact>;
    const complete = Array.isArray(a.abi) && typeof a.bytecode === 'string' && typeof a.deployedBytecode === 'string' && typeof a.sourceSha256 === 'string';
    return complete ? (a as VerifierArtifact) : undefined;
  } catch {
    return undefined;
  }
}
