/**
 * Build integrity: every artifact a proof depends on (onnx, wasm, r1cs, zkey, vk, Verifier.sol and a
 * ceremony transcript) must still hash to what the manifest says, at startup and before each proof.
 * A file is re-hashed whenever its stat fingerprint changes; ctime is part of it and cannot be set
 * back by user tools (unlike mtime), so an unchanged fingerprint means unchanged bytes in practice.
 */
import * as fs from 'node:fs';
import { ArtifactName, artifactPath, ARTIFACTS, Manifest, readManifest, sha256File } from '../formats/artifacts';
import { ZkmlError } from '../errors';

/** Remembers the hash of each file per stat fingerprint, so an unchanged file is not re-read. */
export class HashCache {
  private readonly entries = new Map<string, { fingerprint: string; sha256: string }>();

  sha256(file: string): string {
    const st = fs.statSync(file, { bigint: true });
    const fingerprint = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const hit = this.entries.get(file);
    if (hit && hit.fingerprint === fingerprint) return hit.sha256;
    const sha256 = sha256File(file);
    this.entries.set(file, { fingerprint, sha256 });
    return sha256;
  }
}

/** The artifacts a proof relies on, with the hash the manifest holds for each. */
export function provingArtifacts(manifest: Manifest): Array<[ArtifactName, string | undefined]> {
  const list: Array<[ArtifactName, string | undefined]> = [
    ['onnx', manifest.onnxSha256],
    // A direct build computes its witness from compiled.json instead of a circuit wasm.
    manifest.backend === 'direct' ? ['compiled', manifest.compiledSha256] : ['wasm', manifest.wasmSha256],
    ['r1cs', manifest.r1csSha256],
    ['zkey', manifest.zkeySha256],
    ['vk', manifest.vkSha256],
    ['verifierSol', manifest.verifierSolSha256],
  ];
  if (manifest.phase2?.kind === 'ceremony') list.push(['transcript', manifest.phase2.transcriptSha256]);
  return list;
}

/** Throws ARTIFACT_MISSING or ARTIFACT_HASH_MISMATCH naming the first artifact that does not match. */
export function checkBuildIntegrity(buildDir: string, manifest: Manifest = readManifest(buildDir), cache: HashCache = new HashCache()): void {
  if (!manifest.zkeySha256) throw new ZkmlError('ARTIFACT_MISSING', `${buildDir} has no setup yet: run zkml setup or a ceremony first`);
  for (const [name, expected] of provingArtifacts(manifest)) {
    const file = artifactPath(buildDir, name);
    if (!fs.existsSync(file)) throw new ZkmlError('ARTIFACT_MISSING', `missing ${ARTIFACTS[name]} in ${buildDir}`);
    if (expected === undefined) throw new ZkmlError('ARTIFACT_MISSING', `the manifest has no hash for ${ARTIFACTS[name]}`);
    const actual = cache.sha256(file);
    if (actual !== expected) {
      throw new ZkmlError('ARTIFACT_HASH_MISMATCH', `${ARTIFACTS[name]} has sha256 ${actual.slice(0, 16)}…, the manifest says ${expected.slice(0, 16)}…`, {
        artifact: ARTIFACTS[name],
        actual,
        expected,
      });
    }
  }
}
