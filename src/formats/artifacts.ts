/**
 * The build folder: one place that names every artifact and the manifest that chains their hashes
 * (ONNX → settings → circuit source → r1cs → zkey → vk → verifier). Stages read and write through here.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ZkmlError } from '../errors';

export const ARTIFACTS = {
  onnx: 'model.onnx',
  compiled: 'compiled.json',
  circuitDir: 'circuit',
  circuitSource: 'circuit/main.circom',
  r1cs: 'circuit.r1cs',
  wasm: 'circuit.wasm',
  sym: 'circuit.sym',
  report: 'report.json',
  reportText: 'report.txt',
  zkey: 'circuit.zkey',
  vk: 'verification_key.json',
  verifierSol: 'Verifier.sol',
  verifierArtifact: 'Verifier.json',
  setup: 'setup.json',
  /** The published phase-2 ceremony transcript (contributors, hashes, beacon). */
  transcript: 'ceremony-transcript.json',
  /** Working folder of an open ceremony: its state and every accepted zkey. */
  ceremonyDir: 'ceremony',
  manifest: 'manifest.json',
} as const;

export type ArtifactName = keyof typeof ARTIFACTS;

export function artifactPath(buildDir: string, name: ArtifactName): string {
  return path.join(buildDir, ARTIFACTS[name]);
}

/** Read in 16 MiB pieces: a large circuit's r1cs is more than the 2 GiB readFileSync takes. */
export function sha256File(file: string): string {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 24);
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

export function sha256Bytes(data: Uint8Array | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

export interface PtauInfo {
  power: number;
  sha256: string;
  /** blake2b-512 of the whole file: the hash the public ceremonies publish. */
  blake2b512: string;
  /** true for the locally generated single-contributor dev ptau: not for production. */
  devSingleContributor: boolean;
  /** true when blake2b512 equals a published hash in src/setup/ptau-pins.ts. */
  pinned: boolean;
  /** The pinned file's published name, when pinned. */
  pinnedFile?: string;
  source: string;
}

/** How the phase-2 (circuit-specific) randomness was made. */
export interface Phase2Info {
  /** 'local': `zkml setup` on this machine; 'ceremony': a finished multi-party ceremony. */
  kind: 'local' | 'ceremony';
  contributions: number;
  /** sha256 of ceremony-transcript.json, for a ceremony. */
  transcriptSha256?: string;
}

export interface Manifest {
  format: 'zkml-manifest/1';
  onnxSha256: string;
  settingsSha256: string;
  circuitSourceSha256: string;
  r1csSha256: string;
  /** The circuit wasm (witness calculator) of a circom build; a direct build has none. */
  wasmSha256?: string;
  /**
   * 'direct': the r1cs was written by src/compiler/direct and the witness is computed from
   * compiled.json (hashed in compiledSha256); absent: a circom build.
   */
  backend?: 'direct';
  /** A direct build's compiled.json: the layer plan its witness is computed from. */
  compiledSha256?: string;
  /** With private weights: the Poseidon commitment to them (decimal), the public name of this model's weights. */
  weightsCommitment?: string;
  /** Filled by setup. */
  zkeySha256?: string;
  vkSha256?: string;
  verifierSolSha256?: string;
  ptau?: PtauInfo;
  phase2?: Phase2Info;
  /** Filled when a verifier is deployed. */
  deployments?: Array<{ chainId: number; address: string; bytecodeSha256: string }>;
}

/** ENOSPC and quota errors become DISK_FULL (nothing was written); others pass through unchanged. */
export function diskError(err: unknown, file: string): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new ZkmlError('DISK_FULL', `no space left to write ${file}; nothing was half-written`, { file }, { cause: err });
  return err;
}

/**
 * For tools that do not report errno (circom under WASI says only that it failed): a failure in a
 * folder whose file system has (almost) no space left is reported as DISK_FULL.
 */
export function diskFullOr(err: unknown, dir: string): unknown {
  try {
    const s = fs.statfsSync(dir);
    if (s.bavail * s.bsize < 64 * 1024) return new ZkmlError('DISK_FULL', `no space left in ${dir} (${(err as Error)?.message ?? err}); nothing was half-written`, { dir }, { cause: err });
  } catch {
    // statfs unavailable: keep the original error.
  }
  return err;
}

export function readJson<T>(file: string): T {
  if (!fs.existsSync(file)) throw new ZkmlError('ARTIFACT_MISSING', `missing ${file}`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new ZkmlError('ARTIFACT_MISSING', `unreadable JSON in ${file}`, undefined, { cause: err });
  }
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw diskError(err, file);
  }
}

/** The exact text writeJson writes (so a file's sha256 is known before it is written). */
export function jsonFileText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

export function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, jsonFileText(value));
}

export function readManifest(buildDir: string): Manifest {
  return readJson<Manifest>(artifactPath(buildDir, 'manifest'));
}

export function updateManifest(buildDir: string, patch: Partial<Manifest>): Manifest {
  const next = { ...readManifest(buildDir), ...patch };
  writeJson(artifactPath(buildDir, 'manifest'), next);
  return next;
}

/** Checks that an artifact's bytes still match the manifest before it is used. */
export function checkArtifactHash(buildDir: string, name: ArtifactName, expected: string | undefined): void {
  const file = artifactPath(buildDir, name);
  if (!fs.existsSync(file)) throw new ZkmlError('ARTIFACT_MISSING', `missing ${ARTIFACTS[name]} in ${buildDir}`);
  if (expected === undefined) throw new ZkmlError('ARTIFACT_MISSING', `the manifest has no hash for ${ARTIFACTS[name]}`);
  const actual = sha256File(file);
  if (actual !== expected) {
    throw new ZkmlError('ARTIFACT_HASH_MISMATCH', `${ARTIFACTS[name]} has sha256 ${actual.slice(0, 16)}…, the manifest says ${expected.slice(0, 16)}…`);
  }
}
