/**
 * A per-model phase-2 ceremony. The coordinator starts from the initial zkey (r1cs + ptau), hands the
 * current zkey to one contributor at a time, accepts a returned zkey only when it extends the current
 * one by exactly one contribution and snarkjs verifies it against our initial key and ptau, and
 * finishes with a public beacon. The key is sound if at least one contributor erased their secret.
 *
 * State lives in BUILD/ceremony/ (state.json and every accepted zkey); finishing publishes
 * circuit.zkey, verification_key.json, Verifier.sol, setup.json and ceremony-transcript.json, and
 * records their hashes in the manifest. Functions take paths only, so a service can drive them.
 */
import { ProgressFn, withHeartbeat } from '../formats/progress';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactPath, checkArtifactHash, PtauInfo, readJson, readManifest, sha256File, writeJson } from '../formats/artifacts';
import { ZkmlError } from '../errors';
import { toHex } from './groth16-setup';
import { exportKey, installKey, PublishedKey, recordKey } from './key-publication';
import { readSetupR1cs } from './groth16-setup';
import { snarkjsLogger } from '../snark/logger';
import { withSnarkjsCurve } from '../snark/curve';
import { PinnedPtau } from './ptau-pins';
import { hashFile, requiredPtauPower, resolvePtau } from './ptau-store';
import { contributionHash, readMpcParams } from './zkey-mpc';
import { newZkey } from './zkey-new';
import { snarkjs } from '../snark/snarkjs';

const STATE_FILE = 'state.json';
const MAX_NAME = 64; // snarkjs keeps at most 64 bytes of a contribution name

export interface CeremonyContribution {
  index: number;
  /** The name the coordinator accepted it under. */
  name: string;
  /** The name the contributor wrote into the zkey, if any. */
  nameInZkey?: string;
  /** snarkjs's contribution hash (blake2b-512 hex): contributors check theirs appears here. */
  hash: string;
  zkeyFile: string;
  zkeySha256: string;
  acceptedAt: string;
}

export interface CeremonyState {
  format: 'zkml-ceremony/1';
  status: 'open' | 'finished';
  createdAt: string;
  r1csSha256: string;
  /** snarkjs's hash of the constraint system, fixed in every zkey of this ceremony. */
  circuitHash: string;
  power: number;
  constraints: number;
  ptau: PtauInfo & { file: string };
  /** Where this machine keeps the ptau; not part of the published transcript. */
  ptauPath: string;
  initialZkey: { file: string; sha256: string };
  contributions: CeremonyContribution[];
  beacon?: { hash: string; iterationsExp: number; contributionHash: string };
  final?: { zkeySha256: string; vkSha256: string; verifierSolSha256: string; finishedAt: string };
}

export type CeremonyTranscript = Omit<CeremonyState, 'ptauPath'>;

export interface CeremonyInitOptions {
  ptauPath?: string;
  allowUnknownPtau?: boolean;
  cacheDir?: string;
  /** The trusted ptau list (default: the pinned public files). */
  pins?: readonly PinnedPtau[];
}

export function ceremonyDir(buildDir: string): string {
  return artifactPath(buildDir, 'ceremonyDir');
}

export function readCeremony(buildDir: string): CeremonyState {
  const file = path.join(ceremonyDir(buildDir), STATE_FILE);
  if (!fs.existsSync(file)) throw new ZkmlError('CEREMONY_STATE', `no ceremony in ${buildDir}: run \`zkml ceremony init\` first`);
  return readJson<CeremonyState>(file);
}

function saveState(buildDir: string, state: CeremonyState): void {
  writeJson(path.join(ceremonyDir(buildDir), STATE_FILE), state);
}

function requireOpen(state: CeremonyState): void {
  if (state.status !== 'open') throw new ZkmlError('CEREMONY_STATE', 'the ceremony is already finished; start a new one with `zkml ceremony init`');
}

/** Starts a ceremony: the initial zkey from the build's r1cs and a checked ptau. Replaces an unfinished one. */
export async function initCeremony(buildDir: string, opts: CeremonyInitOptions = {}): Promise<CeremonyState> {
  const manifest = readManifest(buildDir);
  checkArtifactHash(buildDir, 'r1cs', manifest.r1csSha256);
  const r1csFile = artifactPath(buildDir, 'r1cs');
  const r1cs = readSetupR1cs(r1csFile);
  const power = requiredPtauPower(r1cs);
  const ptau = await resolvePtau({ requiredPower: power, ptauPath: opts.ptauPath, cacheDir: opts.cacheDir, allowUnknownPtau: opts.allowUnknownPtau, pins: opts.pins });

  const dir = ceremonyDir(buildDir);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const initialFile = zkeyName(0);
  const { csHash } = await withSnarkjsCurve(async () => newZkey(await snarkjs.curves.getCurveFromName('bn128'), r1csFile, ptau.path, path.join(dir, initialFile))).catch((err: unknown) => {
    if (err instanceof ZkmlError) throw err;
    throw new ZkmlError('SETUP_FAILED', `creating the initial zkey failed: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
  });

  const { path: ptauPath, ...ptauInfo } = ptau;
  const state: CeremonyState = {
    format: 'zkml-ceremony/1',
    status: 'open',
    createdAt: new Date().toISOString(),
    r1csSha256: manifest.r1csSha256,
    circuitHash: toHex(csHash),
    power,
    constraints: r1cs.nConstraints,
    ptau: { ...ptauInfo, file: path.basename(ptauPath) },
    ptauPath: path.resolve(ptauPath),
    initialZkey: { file: initialFile, sha256: sha256File(path.join(dir, initialFile)) },
    contributions: [],
  };
  saveState(buildDir, state);
  return state;
}

/** The zkey the next contributor must build on, checked against the state. */
export function currentZkey(buildDir: string): { path: string; sha256: string; contributions: number } {
  const state = readCeremony(buildDir);
  const last = state.contributions[state.contributions.length - 1];
  const entry = last ? { file: last.zkeyFile, sha256: last.zkeySha256 } : state.initialZkey;
  const file = path.join(ceremonyDir(buildDir), entry.file);
  if (!fs.existsSync(file)) throw new ZkmlError('ARTIFACT_MISSING', `the ceremony's current key ${entry.file} is missing`);
  const actual = sha256File(file);
  if (actual !== entry.sha256) throw new ZkmlError('ARTIFACT_HASH_MISMATCH', `the ceremony's current key ${entry.file} was modified after it was accepted`);
  return { path: file, sha256: actual, contributions: state.contributions.length };
}

/** Copies the current zkey to `outFile` for the next contributor. */
export function exportCurrentZkey(buildDir: string, outFile: string): { sha256: string; contributions: number } {
  requireOpen(readCeremony(buildDir));
  const cur = currentZkey(buildDir);
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  fs.copyFileSync(cur.path, outFile);
  return { sha256: cur.sha256, contributions: cur.contributions };
}

/**
 * The contributor's step, run on their own machine: snarkjs zkey contribute with fresh randomness
 * plus the optional text. Returns the contribution hash to look for in the published transcript.
 */
export async function contributeZkey(inFile: string, outFile: string, opts: { name: string; entropy?: string; onProgress?: ProgressFn }): Promise<{ hash: string }> {
  checkContributorName(opts.name);
  if (!fs.existsSync(inFile)) throw new ZkmlError('ARTIFACT_MISSING', `no zkey at ${inFile}`);
  readMpcParams(inFile, 'CONTRIBUTION_INVALID'); // a readable Groth16 zkey, before snarkjs touches it
  // The secret comes from the OS; the text only adds to it, so a weak text cannot weaken it.
  const entropy = crypto.randomBytes(64).toString('hex') + (opts.entropy ?? '');
  const log = snarkjsLogger();
  const contribute = () => withSnarkjsCurve(() => snarkjs.zKey.contribute(inFile, outFile, opts.name, entropy, log));
  const hash = await withHeartbeat(opts.onProgress ?? (() => undefined), 'contribution', 0, contribute).catch((err: unknown) => {
    throw new ZkmlError('CONTRIBUTION_INVALID', `contributing to ${inFile} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, undefined, { cause: err });
  });
  if (!(hash instanceof Uint8Array)) throw new ZkmlError('CONTRIBUTION_INVALID', `contributing to ${inFile} failed: ${log.lastError() ?? 'snarkjs gave no reason'}`);
  return { hash: toHex(hash) };
}

/**
 * Accepts a contributor's zkey only if it extends the current key by exactly one contribution (same
 * circuit, same earlier contributions byte for byte) and snarkjs verifies the whole chain from our
 * initial key and ptau. Otherwise CONTRIBUTION_INVALID and nothing changes.
 */
export async function acceptContribution(buildDir: string, file: string, opts: { name: string }): Promise<CeremonyContribution> {
  checkContributorName(opts.name);
  const state = readCeremony(buildDir);
  requireOpen(state);
  checkArtifactHash(buildDir, 'r1cs', state.r1csSha256);
  if (!fs.existsSync(file)) throw new ZkmlError('CONTRIBUTION_INVALID', `no file at ${file}`);
  const cur = currentZkey(buildDir);
  const invalid = (why: string): ZkmlError => new ZkmlError('CONTRIBUTION_INVALID', `${path.basename(file)} refused: ${why}`);

  // Everything below looks at our own copy, so the file cannot change between check and acceptance.
  const index = state.contributions.length + 1;
  const zkeyFile = zkeyName(index);
  const dest = path.join(ceremonyDir(buildDir), zkeyFile);
  const candidate = `${dest}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.copyFileSync(file, candidate);
  try {
    const before = readMpcParams(cur.path, 'ARTIFACT_HASH_MISMATCH');
    const after = readMpcParams(candidate, 'CONTRIBUTION_INVALID');
    if (!after.csHash.equals(before.csHash)) throw invalid('it was made for a different circuit (its circuit hash differs)');
    if (after.contributions.length !== before.contributions.length + 1) {
      throw invalid(`it must add exactly one contribution to the current key (it has ${after.contributions.length}, the current key has ${before.contributions.length})`);
    }
    before.contributions.forEach((c, i) => {
      if (!after.contributions[i].bytes.equals(c.bytes)) throw invalid(`it does not descend from the current key (contribution ${i + 1} differs)`);
    });
    const added = after.contributions[after.contributions.length - 1];
    if (added.type !== 0) throw invalid('the new entry is a beacon, not a contribution');

    const initialFile = path.join(ceremonyDir(buildDir), state.initialZkey.file);
    if (sha256File(initialFile) !== state.initialZkey.sha256) throw new ZkmlError('ARTIFACT_HASH_MISMATCH', 'the ceremony initial key was modified');
    const hash = await withSnarkjsCurve(async () => {
      const ok = await snarkjs.zKey.verifyFromInit(initialFile, state.ptauPath, candidate, snarkjsLogger()).catch(() => false);
      if (ok !== true) throw invalid('snarkjs zkey verify failed against the initial key and ptau');
      return contributionHash(await snarkjs.curves.getCurveFromName('bn128'), added);
    });

    fs.renameSync(candidate, dest);
    const accepted: CeremonyContribution = {
      index,
      name: opts.name,
      ...(added.name ? { nameInZkey: added.name } : {}),
      hash,
      zkeyFile,
      zkeySha256: sha256File(dest),
      acceptedAt: new Date().toISOString(),
    };
    saveState(buildDir, { ...state, contributions: [...state.contributions, accepted] });
    return accepted;
  } finally {
    fs.rmSync(candidate, { force: true });
  }
}

export interface FinishOptions {
  /** Public randomness fixed in advance (e.g. a future block hash), as hex. */
  beaconHex: string;
  /** The beacon hashes 2^iterationsExp times (10..63, snarkjs's range). */
  iterationsExp: number;
}

/** Refuses a beacon that is not 1..255 bytes of hex, or iterations outside 10..63 (OPTION_INVALID). */
export function checkBeacon(opts: FinishOptions): void {
  if (typeof opts.beaconHex !== 'string' || !/^([0-9a-fA-F]{2}){1,255}$/.test(opts.beaconHex)) {
    throw new ZkmlError('OPTION_INVALID', 'the beacon must be 1..255 bytes of hex', { option: 'beaconHex' });
  }
  if (!Number.isInteger(opts.iterationsExp) || opts.iterationsExp < 10 || opts.iterationsExp > 63) {
    throw new ZkmlError('OPTION_INVALID', `beacon iterations must be an exponent in 10..63, got ${opts.iterationsExp}`, { option: 'iterationsExp' });
  }
}

/** Applies the beacon, verifies the final key from r1cs + ptau, and publishes keys, verifier and transcript. */
export async function finishCeremony(buildDir: string, opts: FinishOptions): Promise<CeremonyState> {
  const state = readCeremony(buildDir);
  requireOpen(state);
  if (state.contributions.length === 0) {
    throw new ZkmlError('CEREMONY_STATE', 'no contribution accepted yet: a beacon alone is public, so at least one secret contribution is needed');
  }
  checkBeacon(opts);
  const manifest = readManifest(buildDir);
  checkArtifactHash(buildDir, 'r1cs', state.r1csSha256);
  if (manifest.r1csSha256 !== state.r1csSha256) throw new ZkmlError('CEREMONY_STATE', 'the build was recompiled since the ceremony started');
  if ((await hashFile(state.ptauPath)).sha256 !== state.ptau.sha256) {
    throw new ZkmlError('PTAU_HASH_MISMATCH', `${state.ptauPath} changed since the ceremony started`);
  }
  const cur = currentZkey(buildDir);
  const r1csFile = artifactPath(buildDir, 'r1cs');
  const r1cs = readSetupR1cs(r1csFile);
  const zkeyFile = artifactPath(buildDir, 'zkey');
  const tmp = `${zkeyFile}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const log = snarkjsLogger();
  let beaconContribution: string;
  let published: PublishedKey;
  try {
    const { beaconHash, exported } = await withSnarkjsCurve(async () => {
      const h = await snarkjs.zKey.beacon(cur.path, tmp, 'zkml final beacon', opts.beaconHex, opts.iterationsExp, log);
      if (!(h instanceof Uint8Array)) throw log.failure('the beacon');
      // The full audit: every contribution and the beacon, from our r1cs and ptau.
      if ((await snarkjs.zKey.verifyFromR1cs(r1csFile, state.ptauPath, tmp, snarkjsLogger())) !== true) {
        throw new ZkmlError('SETUP_FAILED', 'the final key does not verify against the r1cs and ptau');
      }
      return { beaconHash: toHex(h), exported: await exportKey(tmp, log) };
    });
    beaconContribution = beaconHash;
    published = installKey(buildDir, tmp, exported);
  } finally {
    fs.rmSync(tmp, { force: true });
  }

  const finished: CeremonyState = {
    ...state,
    status: 'finished',
    beacon: { hash: opts.beaconHex.toLowerCase(), iterationsExp: opts.iterationsExp, contributionHash: beaconContribution },
    final: { ...published, finishedAt: new Date().toISOString() },
  };
  const { ptauPath: _local, ...transcript } = finished;
  writeJson(artifactPath(buildDir, 'transcript'), transcript);
  recordKey(buildDir, published, {
    createdAt: finished.final!.finishedAt,
    ptau: state.ptau,
    phase2: { kind: 'ceremony', contributions: state.contributions.length, transcriptSha256: sha256File(artifactPath(buildDir, 'transcript')) },
    power: state.power,
    constraints: state.constraints,
    nPublic: r1cs.nPubInputs + r1cs.nOutputs,
    circuitHash: state.circuitHash,
    contributions: state.contributions.map(({ name, hash }) => ({ name, hash })),
    beacon: finished.beacon,
    extra: { transcript: path.basename(artifactPath(buildDir, 'transcript')) },
  });
  fs.rmSync(artifactPath(buildDir, 'verifierArtifact'), { force: true });
  saveState(buildDir, finished);
  return finished;
}

function zkeyName(index: number): string {
  return `${String(index).padStart(4, '0')}.zkey`;
}

/** A contributor's name: 1..64 bytes, not blank (OPTION_INVALID otherwise). */
export function checkContributorName(name: string): void {
  if (typeof name !== 'string' || name.trim() === '' || Buffer.byteLength(name) > MAX_NAME) {
    throw new ZkmlError('OPTION_INVALID', `a contributor name is required (1..${MAX_NAME} bytes)`, { option: 'name' });
  }
}
