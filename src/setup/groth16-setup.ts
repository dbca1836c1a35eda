/**
 * Groth16 setup for a compiled build folder: ptau → zkey → phase-2 contribution(s) → random beacon →
 * circuit.zkey, verification_key.json, Verifier.sol, setup.json, and the manifest hashes. The initial zkey
 * is ours (zkey-new.ts, byte-identical to snarkjs's `zkey new`), and so are the contributions and the beacon
 * (zkey-contribute.ts, snarkjs's format, in one pass).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactPath, diskFullOr, checkArtifactHash, readManifest } from '../formats/artifacts';
import { ZkmlError } from '../errors';
import { BN254_R } from '../formats/field';
import { withSnarkjsCurve } from '../snark/curve';
import { snarkjsLogger } from '../snark/logger';
import { R1csHeader, readR1csHeader } from '../snark/r1cs-header';
import { snarkjs } from '../snark/snarkjs';
import { exportKey, installKey, PublishedKey, recordKey } from './key-publication';
import { withHeartbeat } from '../formats/progress';
import { ProgressFn, requiredPtauPower, resolvePtau, ResolvedPtau } from './ptau-store';
import { contributePhase2, Phase2Step } from './zkey-contribute';
import { newZkey } from './zkey-new';

const BEACON_ITERATIONS_EXP = 10;
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
  /** The contributions and the beacon, applied in one pass (zkey-contribute.ts). */
  phase2Ms: number;
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
  const r1cs = readSetupR1cs(r1csFile);
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
      t = Date.now();
      progress('zkey new', 0.35);
      const current = tempZkey();
      const curve = await snarkjs.curves.getCurveFromName('bn128');
      const { csHash } = await newZkey(curve, r1csFile, ptau.path, current, (phase, f) => progress(phase, 0.35 + 0.25 * clamp01(f)));
      const zkeyNewMs = Date.now() - t;

      // The contributions and the beacon in one pass (zkey-contribute.ts): their records are chained one
      // after another, and L and H are rescaled once by the product of the inverse keys.
      t = Date.now();
      const names = Array.from({ length: nContributions }, (_, i) => `zkml contribution ${i + 1}`);
      // snarkjs's usual last step. A public ceremony would use a beacon value fixed in advance (e.g. a
      // future block hash); a single local setup gains nothing from that, so random bytes are recorded.
      const beaconHash = crypto.randomBytes(32).toString('hex');
      const finalZkey = tempZkey();
      const steps: Phase2Step[] = [
        ...names.map((name) => ({ kind: 'contribution' as const, name })),
        { kind: 'beacon', name: 'zkml final beacon', beaconHash: Buffer.from(beaconHash, 'hex'), iterationsExp: BEACON_ITERATIONS_EXP },
      ];
      const { hashes } = await withHeartbeat(progress, 'contributions and beacon', 0.6, () => contributePhase2(curve, current, finalZkey, steps));
      const contributions: SetupContribution[] = names.map((name, i) => ({ name, hash: toHex(hashes[i]) }));
      const beaconContribution = hashes[nContributions];
      const phase2Ms = Date.now() - t;

      t = Date.now();
      const exported = await withHeartbeat(progress, 'export', 0.9, () => exportKey(finalZkey, log));
      // Only now, with every output in hand, replace the build's files: a failure above leaves them untouched.
      const published = installKey(buildDir, finalZkey, exported);
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
        timings: { ptauMs, zkeyNewMs, phase2Ms, exportMs, totalMs: Date.now() - t0 },
        paths: { zkey: zkeyFile, vk: artifactPath(buildDir, 'vk'), verifierSol: artifactPath(buildDir, 'verifierSol'), setup: artifactPath(buildDir, 'setup') },
      };
      writeSetupRecord(buildDir, published, result);
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

function writeSetupRecord(buildDir: string, key: PublishedKey, r: SetupResult): void {
  const { path: localPath, ...ptauInfo } = r.ptau;
  // A transcript of an earlier ceremony no longer describes the new key.
  fs.rmSync(artifactPath(buildDir, 'transcript'), { force: true });
  recordKey(buildDir, key, {
    createdAt: new Date().toISOString(),
    ptau: ptauInfo,
    ptauFile: path.basename(localPath),
    phase2: { kind: 'local', contributions: r.contributions.length },
    power: r.power,
    constraints: r.constraints,
    nPublic: r.nPublic,
    circuitHash: r.circuitHash,
    contributions: r.contributions,
    beacon: r.beacon,
    extra: { timings: r.timings },
  });
}

/** The r1cs header of a circuit to set up: bn128 only (snarkjs's setup would fail later, less clearly). */
export function readSetupR1cs(file: string): R1csHeader {
  const header = readR1csHeader(file, 'SETUP_FAILED');
  if (header.prime !== BN254_R) throw new ZkmlError('SETUP_FAILED', `${file}: the circuit was not compiled for bn128`);
  return header;
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
