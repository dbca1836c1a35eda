/**
 * Where the powers of tau come from: a file the user names (checked, never trusted blindly), or a
 * locally generated single-contributor dev ptau cached per power so repeated setups are fast.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PtauInfo } from '../formats/artifacts';
import { ZkmlError } from '../errors';
import { generateDevPtau } from './dev-ptau';
import { readPtauInfo } from './ptau-file';
import { PINNED_PTAU, PinnedPtau } from './ptau-pins';

const MAX_POWER = 28;
const DEV_SOURCE = 'zkml dev ptau (generated locally, single contributor)';

export type ProgressFn = (phase: string, fraction: number) => void;

export interface ResolvePtauOptions {
  requiredPower: number;
  /**
   * A prepared ptau from a real ceremony, or a folder of them (the smallest one large enough is
   * used); without it a cached dev ptau is used.
   */
  ptauPath?: string;
  /** Defaults to defaultCacheDir(). */
  cacheDir?: string;
  onProgress?: ProgressFn;
  /** Accept a ptauPath whose hash is not pinned; it is then recorded as unpinned everywhere. */
  allowUnknownPtau?: boolean;
  /** The trusted list (default PINNED_PTAU); tests pass their own. */
  pins?: readonly PinnedPtau[];
}

export type ResolvedPtau = PtauInfo & { path: string };

export interface R1csSize {
  nConstraints: number;
  nPubInputs: number;
  nOutputs: number;
}

/**
 * The smallest power whose domain fits the circuit. snarkjs (zkey_new.js) uses
 * log2(nConstraints + nPubInputs + nOutputs) + 1 with an integer floor log2, i.e. 2^power must
 * exceed nConstraints + nPublic: one extra row per public signal, plus one.
 */
export function requiredPtauPower(r1cs: R1csSize): number {
  const rows = r1cs.nConstraints + r1cs.nPubInputs + r1cs.nOutputs;
  let power = 1;
  while (2 ** power < rows + 1) power++;
  if (power > MAX_POWER) {
    throw new ZkmlError('SETUP_FAILED', `the circuit needs a 2^${power} domain (${r1cs.nConstraints} constraints); snarkjs supports at most 2^${MAX_POWER}`);
  }
  return power;
}

/** ~/.cache/zkml: the cache when the caller gives none (the CLI and the service pass ZKML_CACHE_DIR when it is set). */
export function defaultCacheDir(): string {
  return path.join(os.homedir(), '.cache', 'zkml');
}

export async function resolvePtau(opts: ResolvePtauOptions): Promise<ResolvedPtau> {
  if (opts.ptauPath !== undefined) {
    const file = isDirectory(opts.ptauPath) ? pickFromFolder(opts.ptauPath, opts.requiredPower) : opts.ptauPath;
    return checkUserPtau(file, opts.requiredPower, opts.allowUnknownPtau ?? false, opts.pins ?? PINNED_PTAU);
  }
  return devPtau(opts.requiredPower, path.join(opts.cacheDir ?? defaultCacheDir(), 'ptau'), opts.onProgress);
}

function isDirectory(p: string): boolean {
  return fs.existsSync(p) && fs.statSync(p).isDirectory();
}

/**
 * A service's configured folder: the smallest prepared .ptau whose power suffices. The pick is then
 * checked like any given file, so a tampered file in the folder is an error, never silently skipped.
 */
function pickFromFolder(dir: string, requiredPower: number): string {
  const usable = fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.ptau'))
    .map((name) => path.join(dir, name))
    .flatMap((file) => {
      try {
        const info = readPtauInfo(file);
        return info.prepared ? [{ file, power: info.power }] : [];
      } catch {
        return []; // not a ptau: ignored here; a chosen file is fully checked anyway
      }
    })
    .sort((a, b) => a.power - b.power || a.file.localeCompare(b.file));
  if (usable.length === 0) throw new ZkmlError('PTAU_INVALID', `${dir} holds no prepared .ptau file`);
  const pick = usable.find((u) => u.power >= requiredPower);
  if (!pick) {
    const largest = usable[usable.length - 1].power;
    throw new ZkmlError('PTAU_TOO_SMALL', `the largest ptau in ${dir} has power ${largest} but the circuit needs power ${requiredPower}`, { power: largest, requiredPower });
  }
  return pick.file;
}

/**
 * Format and size first (cheap, and the most useful message), then the blake2b-512 of the whole file
 * against the published hashes: only a byte-identical public ceremony file counts as pinned.
 */
async function checkUserPtau(file: string, requiredPower: number, allowUnknown: boolean, pins: readonly PinnedPtau[]): Promise<ResolvedPtau> {
  if (!fs.existsSync(file)) throw new ZkmlError('PTAU_INVALID', `${file} does not exist`);
  const info = readPtauInfo(file);
  if (info.power < requiredPower) {
    throw new ZkmlError('PTAU_TOO_SMALL', `${file} has power ${info.power} but the circuit needs power ${requiredPower} (2^${requiredPower} points)`, {
      power: info.power,
      requiredPower,
    });
  }
  if (!info.prepared) {
    throw new ZkmlError('PTAU_INVALID', `${file} is not prepared for phase 2; run \`snarkjs powersoftau prepare phase2 ${file} <out.ptau>\` first`);
  }
  const hashes = await hashFile(file);
  const pin = pins.find((p) => p.blake2b512 === hashes.blake2b512);
  if (pin) {
    // Same bytes as the published file, so the header we read is the published one too.
    return { power: info.power, ...hashes, devSingleContributor: false, pinned: true, pinnedFile: pin.file, source: file, path: file };
  }
  const namesake = pins.find((p) => p.file === path.basename(file));
  if (namesake) {
    throw new ZkmlError(
      'PTAU_HASH_MISMATCH',
      `${file} is named like the public ${namesake.file} but its blake2b-512 is ${hashes.blake2b512.slice(0, 16)}…, not the published ${namesake.blake2b512.slice(0, 16)}…: the file is corrupted or tampered with`,
      {
        blake2b512: hashes.blake2b512,
        expected: namesake.blake2b512,
      },
    );
  }
  if (!allowUnknown) {
    throw new ZkmlError(
      'PTAU_UNKNOWN',
      `${file} (blake2b-512 ${hashes.blake2b512.slice(0, 16)}…) is not one of the pinned public Powers of Tau files; use a powersOfTau28_hez_final_NN.ptau file, or pass --allow-unknown-ptau to accept it as unpinned`,
      {
        blake2b512: hashes.blake2b512,
      },
    );
  }
  return { power: info.power, ...hashes, devSingleContributor: false, pinned: false, source: file, path: file };
}

async function devPtau(requiredPower: number, dir: string, onProgress?: ProgressFn): Promise<ResolvedPtau> {
  const found = findCachedDevPtau(dir, requiredPower);
  if (found) return devResult(found.file, found.power);

  const file = path.join(dir, `dev_${requiredPower}.ptau`);
  fs.mkdirSync(dir, { recursive: true });
  await withLockFile(`${file}.lock`, async () => {
    // Another process may have finished it while we waited for the lock.
    if (usableDevPtau(file, requiredPower)) return;
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    try {
      await generateDevPtau(requiredPower, tmp, onProgress);
      fs.renameSync(tmp, file);
    } catch (err) {
      if (err instanceof ZkmlError) throw err;
      throw new ZkmlError('SETUP_FAILED', `generating the dev ptau failed: ${firstLine(err)}`, undefined, { cause: err });
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  });
  if (!usableDevPtau(file, requiredPower)) throw new ZkmlError('PTAU_INVALID', `the generated dev ptau ${file} is not usable`);
  return devResult(file, readPtauInfo(file).power);
}

/** The smallest valid cached dev ptau of at least the required power (a larger one serves too). */
function findCachedDevPtau(dir: string, requiredPower: number): { file: string; power: number } | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const candidates = fs
    .readdirSync(dir)
    .map((name) => ({ name, m: /^dev_(\d+)\.ptau$/.exec(name) }))
    .filter((c) => c.m !== null && Number(c.m[1]) >= requiredPower)
    .map((c) => ({ file: path.join(dir, c.name), power: Number(c.m![1]) }))
    .sort((a, b) => a.power - b.power);
  return candidates.find((c) => usableDevPtau(c.file, requiredPower));
}

function usableDevPtau(file: string, requiredPower: number): boolean {
  if (!fs.existsSync(file)) return false;
  try {
    const info = readPtauInfo(file);
    return info.prepared && info.power >= requiredPower;
  } catch {
    return false; // a damaged cache entry is regenerated, not fatal
  }
}

async function devResult(file: string, power: number): Promise<ResolvedPtau> {
  return { power, ...(await hashFile(file)), devSingleContributor: true, pinned: false, source: DEV_SOURCE, path: file };
}

/**
 * Runs fn while holding an exclusive lock file (O_EXCL create). A lock whose owner process is gone is
 * taken over. The lock only avoids duplicate work: outputs are renamed into place atomically anyway.
 */
async function withLockFile<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (lockIsStale(lockFile)) fs.rmSync(lockFile, { force: true });
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

function lockIsStale(lockFile: string): boolean {
  let pid: number;
  let ageMs: number;
  try {
    pid = Number(fs.readFileSync(lockFile, 'utf8'));
    ageMs = Date.now() - fs.statSync(lockFile).mtimeMs;
  } catch {
    return false; // vanished meanwhile: just retry
  }
  // Between create and write the pid may still be empty; give the writer a moment.
  if (!Number.isInteger(pid) || pid <= 0) return ageMs > 10_000;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** sha256 and blake2b-512 in one streaming pass: ptau files reach hundreds of GB. */
export function hashFile(file: string): Promise<{ sha256: string; blake2b512: string }> {
  return new Promise((resolve, reject) => {
    const sha = crypto.createHash('sha256');
    const blake = crypto.createHash('blake2b512');
    fs.createReadStream(file, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => {
        sha.update(chunk);
        blake.update(chunk);
      })
      .on('error', (err) => reject(new ZkmlError('PTAU_INVALID', `cannot read ${file}: ${err.message}`)))
      .on('end', () => resolve({ sha256: sha.digest('hex'), blake2b512: blake.digest('hex') }));
  });
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
