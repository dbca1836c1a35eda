/**
 * Groth16 setup for a compiled build folder: ptau → zkey → phase-2 contribution(s) → random beacon →
 * circuit.zkey, verification_key.json, Verifier.sol, setup.json, and the manifest hashes.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  artifactPath,
  diskFullOr,
  checkArtifactHash,
  readManifest,
  sha256File,
  updateManifest,
  writeFileAtomic,
  writeJson,
} from '../artifacts';
import { ZkmlError } from '../errors';
import { scanBinFile } from './ptau-file';
import { ProgressFn, R1csSize, requiredPtauPower, resolvePtau, ResolvedPtau } from './ptau-store';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

const BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const BEACON_ITERATIONS_EXP = 10;
export const UNPINNED_WARNING =
  'UNPINNED PTAU. The powers of tau file is not one of the pinned public ceremony files (accepted with ' +
  '--allow-unknown-ptau); whoever produced it may know its secret and could forge proofs.';
export const DEV_WARNING =
  'DEVELOPMENT SETUP ONLY. The powers of tau were generated on this machine by a single contributor. ' +
  'Anyone who kept its randomness could forge proofs that verify. For production, run setup again with ' +
  '--ptau pointing to a file from a public multi-party ceremony.';

export interface SetupOptions {
  /** A prepared ptau from a public ceremony; without it a cached dev ptau is used. */
  ptauPath?: string;
  cacheDir?: string;
  /** Called at each phase with the overall progress in [0, 1]. */
  onProgress?: ProgressFn;
  /** Phase-2 contributions with fresh random entropy before the beacon (default 1). */
  contributions?: number;
  /** Accept a ptauPath that is not a pinned public file (recorded as unpinned). */
  allowUnknownPtau?: boolean;
}

export interface SetupContribution {
  name: string;
  /** blake2b-512 contribution hash as snarkjs prints it (hex, no spaces). */
  hash: string;
}

export interface SetupTimings {
  ptauMs: number;
  zkeyNewMs: number;
  contributionsMs: number;
  beaconMs: number;
  exportMs: number;
  totalMs: number;
}

export interface SetupResult {
  power: number;
  constraints: number;
  nPublic: number;
  ptau: ResolvedPtau;
  devSingleContributor: boolean;
  circuitHash: string;
  contributions: SetupContribution[];
  beacon: { hash: string; iterationsExp: number; contributionHash: string };
  timings: SetupTimings;
  paths: { zkey: string; vk: string; verifierSol: string; setup: string };
}

export interface R1csHeader extends R1csSize {
  nVars: number;
  nPrvInputs: number;
}

/** The number of local phase-2 contributions: an integer in 1..100 (OPTION_INVALID otherwise). */
export function checkContributions(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw new ZkmlError('OPTION_INVALID', `contributions must be an integer in 1..100, got ${n}`, { option: 'contributions' });
  }
}

export async function runSetup(buildDir: string, opts: SetupOptions = {}): Promise<SetupResult> {
  const t0 = Date.now();
  const report = opts.onProgress ?? (() => undefined);
  const progress = (phase: string, fraction: number): void => report(phase, Math.round(fraction * 1000) / 1000);
  const nContributions = opts.contributions ?? 1;
  checkContributions(nContributions);

  // The r1cs must be the one the manifest chains to, or the keys would belong to another circuit.
  progress('r1cs', 0);
  const manifest = readManifest(buildDir);
  checkArtifactHash(buildDir, 'r1cs', manifest.r1csSha256);
  const r1csFile = artifactPath(buildDir, 'r1cs');
  const r1cs = readR1csHeader(r1csFile);
  const power = requiredPtauPower(r1cs);

  progress('ptau', 0.02);
  let t = Date.now();
  const ptau = await resolvePtau({
    requiredPower: power,
    ptauPath: opts.ptauPath,
    cacheDir: opts.cacheDir,
    allowUnknownPtau: opts.allowUnknownPtau,
    onProgress: (phase, f) => progress(phase, 0.02 + 0.33 * clamp01(f)),
  });
  const ptauMs = Date.now() - t;

  const zkeyFile = artifactPath(buildDir, 'zkey');
  const temps: string[] = [];
  const tempZkey = (): string => {
    const file = `${zkeyFile}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    temps.push(file);
    return file;
  };
  const log = snarkjsLogger();

  try {
    return await withSnarkjsCurve(async () => {
      progress('zkey new', 0.35);
      t = Date.now();
      let current = tempZkey();
      const csHash = await snarkjs.zKey.newZKey(r1csFile, ptau.path, current, log);
      if (!(csHash instanceof Uint8Array)) throw log.failure('creating the zkey');
      const zkeyNewMs = Date.now() - t;

      t = Date.now();
      const contributions: SetupContribution[] = [];
      for (let i = 1; i <= nContributions; i++) {
        progress(`contribution ${i}/${nContributions}`, 0.6 + (0.2 * (i - 1)) / nContributions);
        const name = `zkml contribution ${i}`;
        const next = tempZkey();
        const hash = await snarkjs.zKey.contribute(current, next, name, crypto.randomBytes(64).toString('hex'), log);
        if (!(hash instanceof Uint8Array)) throw log.failure(`phase-2 contribution ${i}`);
        contributions.push({ name, hash: toHex(hash) });
        current = next;
      }
      const contributionsMs = Date.now() - t;

      // snarkjs's usual last step. A public ceremony would use a beacon value fixed in advance (e.g. a
      // future block hash); a single local setup gains nothing from that, so random bytes are recorded.
      progress('beacon', 0.8);
      t = Date.now();
      const beaconHash = crypto.randomBytes(32).toString('hex');
      const finalZkey = tempZkey();
      const beaconContribution = await snarkjs.zKey.beacon(current, finalZkey, 'zkml final beacon', beaconHash, BEACON_ITERATIONS_EXP, log);
      if (!(beaconContribution instanceof Uint8Array)) throw log.failure('the beacon');
      const beaconMs = Date.now() - t;

      progress('export', 0.9);
      t = Date.now();
      const vk = await snarkjs.zKey.exportVerificationKey(finalZkey, log);
      const solidity: string = await snarkjs.zKey.exportSolidityVerifier(finalZkey, { groth16: groth16Template() }, log);
      // Only now, with every output in hand, replace the build's files: a failure above leaves them untouched.
      fs.renameSync(finalZkey, zkeyFile);
      const vkFile = artifactPath(buildDir, 'vk');
      writeJson(vkFile, vk);
      const solFile = artifactPath(buildDir, 'verifierSol');
      writeFileAtomic(solFile, solidity);
      const exportMs = Date.now() - t;

      const result: SetupResult = {
        power,
        constraints: r1cs.nConstraints,
        nPublic: r1cs.nPubInputs + r1cs.nOutputs,
        ptau,
        devSingleContributor: ptau.devSingleContributor,
        circuitHash: toHex(csHash),
        contributions,
        beacon: { hash: beaconHash, iterationsExp: BEACON_ITERATIONS_EXP, contributionHash: toHex(beaconContribution) },
        timings: { ptauMs, zkeyNewMs, contributionsMs, beaconMs, exportMs, totalMs: Date.now() - t0 },
        paths: { zkey: zkeyFile, vk: vkFile, verifierSol: solFile, setup: artifactPath(buildDir, 'setup') },
      };
      writeSetupRecord(buildDir, result);
      progress('done', 1);
      return result;
    });
  } catch (err) {
    // snarkjs does not always report a failed write: a full disk shows up later as a truncated key.
    const full = diskFullOr(err, buildDir);
    if (full !== err || err instanceof ZkmlError) throw full;
    throw new ZkmlError('SETUP_FAILED', firstLine(err), undefined, { cause: err });
  } finally {
    for (const file of temps) fs.rmSync(file, { force: true });
  }
}

function writeSetupRecord(buildDir: string, r: SetupResult): void {
  const { path: _localPath, ...ptauInfo } = r.ptau;
  writeJson(r.paths.setup, {
    format: 'zkml-setup/1',
    createdAt: new Date().toISOString(),
    devSingleContributor: r.devSingleContributor,
    ptauPinned: r.ptau.pinned,
    phase2: 'local',
    ...(r.devSingleContributor ? { warning: DEV_WARNING } : r.ptau.pinned ? {} : { warning: UNPINNED_WARNING }),
    power: r.power,
    constraints: r.constraints,
    nPublic: r.nPublic,
    ptau: { ...ptauInfo, file: path.basename(r.ptau.path) },
    circuitHash: r.circuitHash,
    contributions: r.contributions,
    beacon: r.beacon,
    timings: r.timings,
  });
  // A new key means a new verifier: deployments of the old one no longer match this build, and a
  // transcript of an earlier ceremony no longer describes the key.
  fs.rmSync(artifactPath(buildDir, 'transcript'), { force: true });
  updateManifest(buildDir, {
    zkeySha256: sha256File(r.paths.zkey),
    vkSha256: sha256File(r.paths.vk),
    verifierSolSha256: sha256File(r.paths.verifierSol),
    ptau: ptauInfo,
    phase2: { kind: 'local', contributions: r.contributions.length },
    deployments: undefined,
  });
}

/** Counts from the r1cs header section, without loading the constraints. */
export function readR1csHeader(file: string): R1csHeader {
  const bin = scanBinFile(file, 'r1cs', 'SETUP_FAILED');
  const header = bin.sections.get(1);
  if (!header) throw new ZkmlError('SETUP_FAILED', `${file}: no r1cs header section`);
  const h = Buffer.alloc(header.size);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, h, 0, header.size, header.offset);
  } finally {
    fs.closeSync(fd);
  }
  const n8 = h.readUInt32LE(0);
  if (n8 !== 32 || header.size < 4 + n8 + 28) throw new ZkmlError('SETUP_FAILED', `${file}: r1cs header is not a bn128 header`);
  let prime = 0n;
  for (let i = n8 - 1; i >= 0; i--) prime = (prime << 8n) | BigInt(h[4 + i]);
  if (prime !== BN254_R) throw new ZkmlError('SETUP_FAILED', `${file}: the circuit was not compiled for bn128`);
  const o = 4 + n8;
  return {
    nVars: h.readUInt32LE(o),
    nOutputs: h.readUInt32LE(o + 4),
    nPubInputs: h.readUInt32LE(o + 8),
    nPrvInputs: h.readUInt32LE(o + 12),
    // nLabels (u64) sits at o + 16
    nConstraints: h.readUInt32LE(o + 24),
  };
}

/**
 * snarkjs keeps one multi-threaded bn128 curve per process (globalThis.curve_bn128) and never
 * terminates it, and its worker threads keep Node alive. This runs fn and then terminates that curve
 * if it was created for us; a curve that already existed belongs to its creator and is left alone.
 * Overlapping calls share one curve, terminated when the last finishes.
 */
export async function withSnarkjsCurve<T>(fn: () => Promise<T>): Promise<T> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  if (curveLeases === 0) curveOwned = !g.curve_bn128;
  curveLeases++;
  try {
    return await fn();
  } finally {
    curveLeases--;
    if (curveLeases === 0 && curveOwned) {
      curveOwned = false;
      const curve = g.curve_bn128;
      if (curve) await curve.terminate();
    }
  }
}
let curveLeases = 0;
let curveOwned = false;

export function groth16Template(): string {
  // snarkjs's package exports hide templates/, so locate it from the resolved entry point.
  const file = path.join(path.dirname(require.resolve('snarkjs')), '..', 'templates', 'verifier_groth16.sol.ejs');
  return fs.readFileSync(file, 'utf8');
}

/** snarkjs reports some failures only through its logger and a -1/false return value. */
export function snarkjsLogger() {
  const errors: string[] = [];
  const quiet = (): void => undefined;
  return {
    debug: quiet,
    info: quiet,
    warn: quiet,
    error: (msg: unknown) => void errors.push(String(msg)),
    lastError: (): string | undefined => errors[errors.length - 1],
    failure: (step: string) => new ZkmlError('SETUP_FAILED', `${step} failed${errors.length ? `: ${errors[errors.length - 1]}` : ''}`),
  };
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
