/**
 * Production mode (ZKML_MODE=production): proofs only from keys whose every trust assumption is
 * public. That means a pinned public ptau (not the local dev one, not an unpinned file) and a phase-2
 * key from a finished ceremony whose published transcript describes exactly the key in use.
 */
import * as fs from 'node:fs';
import { artifactPath, Manifest, readJson } from '../formats/artifacts';
import { ZkmlError } from '../errors';
import type { CeremonyTranscript } from './ceremony';

export const ZKML_MODES = ['development', 'production'] as const;
export type ZkmlMode = (typeof ZKML_MODES)[number];

/**
 * The value of ZKML_MODE, read by the CLI's and the service's configuration (never here): unset, ''
 * or 'development', or 'production'; anything else is refused (CONFIG_INVALID), not guessed.
 */
export function zkmlMode(value: string | undefined): ZkmlMode {
  if (value === undefined || value === '' || value === 'development') return 'development';
  if (value === 'production') return 'production';
  throw new ZkmlError('CONFIG_INVALID', `ZKML_MODE must be 'development' or 'production', got '${value}'`);
}

/** Why this build may not prove in production; empty when it may. Hashes are checked separately. */
export function productionProblems(buildDir: string, manifest: Manifest): string[] {
  const problems: string[] = [];
  const ptau = manifest.ptau;
  if (!ptau) problems.push('no ptau is recorded in the manifest');
  else if (ptau.devSingleContributor) problems.push('the key comes from the dev ptau (one local contributor)');
  else if (ptau.pinned !== true) problems.push('the ptau is not a pinned public ceremony file (it was allowed as unknown)');

  if (manifest.phase2?.kind !== 'ceremony') {
    problems.push('the phase-2 key was made by a local `zkml setup`, not by a finished ceremony');
  } else {
    const file = artifactPath(buildDir, 'transcript');
    const transcript = fs.existsSync(file) ? readJson<CeremonyTranscript>(file) : undefined;
    if (!transcript || transcript.status !== 'finished') problems.push('the ceremony transcript is missing or the ceremony is not finished');
    else if (transcript.final?.zkeySha256 !== manifest.zkeySha256) problems.push('the ceremony transcript describes a different key than the one in use');
    else if (transcript.contributions.length < 1) problems.push('the ceremony has no contribution');
  }
  return problems;
}

export function assertProductionReady(buildDir: string, manifest: Manifest): void {
  const problems = productionProblems(buildDir, manifest);
  if (problems.length > 0) {
    throw new ZkmlError('PRODUCTION_REFUSED', `production mode refuses ${buildDir}: ${problems.join('; ')}`, { problems });
  }
}
