/**
 * Publishing a finished Groth16 key in a build folder, the same way for a local setup and a
 * ceremony: the verification key and Solidity verifier exported from the final zkey, the three put
 * in place together, setup.json written and the manifest pointed at them.
 */
import * as fs from 'node:fs';
import { artifactPath, jsonFileText, PtauInfo, Phase2Info, sha256Bytes, sha256File, updateManifest, writeFileAtomic, writeJson } from '../formats/artifacts';
import type { CapturingLog } from '../snark/logger';
import { snarkjs } from '../snark/snarkjs';
import { groth16Template, renameVerifierContract, verifierContractName } from '../snark/verifier-template';

export const UNPINNED_WARNING =
  'UNPINNED PTAU. The powers of tau file is not one of the pinned public ceremony files (accepted with ' + '--allow-unknown-ptau); whoever produced it may know its secret and could forge proofs.';
export const DEV_WARNING =
  'DEVELOPMENT SETUP ONLY. The powers of tau were generated on this machine by a single contributor. ' +
  'Anyone who kept its randomness could forge proofs that verify. For production, run setup again with ' +
  '--ptau pointing to a file from a public multi-party ceremony.';

export interface ExportedKey {
  vk: object;
  solidity: string;
}

export interface PublishedKey {
  zkeySha256: string;
  vkSha256: string;
  verifierSolSha256: string;
}

/** The verification key and Solidity verifier of a final zkey (call inside a curve lease). */
export async function exportKey(zkeyFile: string, log: CapturingLog): Promise<ExportedKey> {
  const vk = await snarkjs.zKey.exportVerificationKey(zkeyFile, log);
  const solidity = await snarkjs.zKey.exportSolidityVerifier(zkeyFile, { groth16: groth16Template() }, log);
  // Named after the key (the sha256 of verification_key.json as installKey writes it): one name per model.
  return { vk, solidity: renameVerifierContract(solidity, verifierContractName(sha256Bytes(jsonFileText(vk)))) };
}

/** Moves the final zkey into place and writes its vk and verifier; only now do the build's files change. */
export function installKey(buildDir: string, finalZkey: string, key: ExportedKey): PublishedKey {
  fs.renameSync(finalZkey, artifactPath(buildDir, 'zkey'));
  writeJson(artifactPath(buildDir, 'vk'), key.vk);
  writeFileAtomic(artifactPath(buildDir, 'verifierSol'), key.solidity);
  return {
    zkeySha256: sha256File(artifactPath(buildDir, 'zkey')),
    vkSha256: sha256File(artifactPath(buildDir, 'vk')),
    verifierSolSha256: sha256File(artifactPath(buildDir, 'verifierSol')),
  };
}

/** What setup.json says of a key, in this order; `extra` ends it (timings, or the transcript's name). */
export interface KeyRecord {
  createdAt: string;
  ptau: PtauInfo;
  /** The ptau's file name, shown in setup.json (not in the manifest). */
  ptauFile?: string;
  phase2: Phase2Info;
  power: number;
  constraints: number;
  nPublic: number;
  circuitHash: string;
  contributions: Array<{ name: string; hash: string }>;
  beacon: unknown;
  extra: Record<string, unknown>;
}

/** Writes setup.json and points the manifest at the new key (a new key drops the old deployments). */
export function recordKey(buildDir: string, key: PublishedKey, r: KeyRecord): void {
  writeJson(artifactPath(buildDir, 'setup'), {
    format: 'zkml-setup/1',
    createdAt: r.createdAt,
    devSingleContributor: r.ptau.devSingleContributor,
    ptauPinned: r.ptau.pinned,
    phase2: r.phase2.kind,
    ...(r.ptau.devSingleContributor ? { warning: DEV_WARNING } : r.ptau.pinned ? {} : { warning: UNPINNED_WARNING }),
    power: r.power,
    constraints: r.constraints,
    nPublic: r.nPublic,
    ptau: r.ptauFile ? { ...r.ptau, file: r.ptauFile } : r.ptau,
    circuitHash: r.circuitHash,
    contributions: r.contributions,
    beacon: r.beacon,
    ...r.extra,
  });
  updateManifest(buildDir, { ...key, ptau: r.ptau, phase2: r.phase2, deployments: undefined });
}
