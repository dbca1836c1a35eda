// Fast local powers-of-tau for development: one contributor (us), secrets drawn here and
// erased afterwards. Instead of snarkjs's newAccumulator + contribute + preparePhase2
// (per-point variable-base multiplications and group FFTs, minutes to hours), we compute
// every point's scalar in Fr from the secrets — powers of τ and Lagrange basis values
// L_i(τ) — and multiply the fixed generators with windowed tables on worker threads.
// The file is byte-for-byte the layout preparePhase2 writes (see ptau-format.ts), and the
// contribution record is a genuine one, so `snarkjs powersoftau verify` accepts it.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { FixedBaseGroup, FixedBaseMultiplier } from './fixed-base';
import { NextChallengeHasher, PtauSecrets, ResponseHasher, firstChallengeHash } from './ptau-contribution';
import { SnarkjsCurve } from '../snark/snarkjs';
import { encodeContributions, encodeHeader, G1_LEM_BYTES, G2_LEM_BYTES, PREPARED_PTAU_SECTIONS, PTAU_SECTION, PtauWriter } from './ptau-format';
import { LagrangeDomain, frFromRandomBytes, frPow, geometric, toScalarBytes } from './ptau-scalars';
import { BN254_R } from '../formats/field';
import { snarkjs } from '../snark/snarkjs';

export interface DevPtauProgress {
  (phase: string, fraction: number): void;
}

export const DEV_PTAU_CONTRIBUTION_NAME = 'zkml dev ptau: single contributor, NOT FOR PRODUCTION';

/** The section-12 block for domain 2^(power+1) needs a 2^(power+1)-th root of unity; Fr has 2^28. */
const MAX_POWER = 27;
/** Points per worker job: big enough to amortise messaging, small enough to balance. */
const CHUNK = 2048;
/** A G2 point costs about 2.7 G1 points (measured), for progress reporting. */
const G2_WEIGHT = 2.7;

/** One run of consecutive points of a section: scalars(start, count) gives their scalars. */
interface PointRun {
  group: FixedBaseGroup;
  count: number;
  scalars: (start: number, count: number) => bigint[];
}

/** Writes a prepared (phase-2 ready) single-contributor ptau of 2^power to outFile. */
export async function generateDevPtau(power: number, outFile: string, onProgress?: DevPtauProgress): Promise<void> {
  if (!Number.isInteger(power) || power < 1 || power > MAX_POWER) {
    throw new RangeError(`dev ptau power must be an integer in 1..${MAX_POWER}, got ${power}`);
  }
  // Single-threaded: we only need its wasm code and a few conversions, and it is not the
  // process-wide shared curve that a concurrent snarkjs call may be using.
  const curve: SnarkjsCurve = await snarkjs.curves.getCurveFromName('bn128', { singleThread: true });
  const tmp = `${outFile}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.part`;
  const n = 2 ** power;
  let multiplier: FixedBaseMultiplier | undefined;
  let writer: PtauWriter | undefined;
  const secrets = drawSecrets(power);
  try {
    if (curve.r !== BN254_R) throw new Error('unexpected bn128 scalar field');
    onProgress?.('ptau setup', 0);
    const omega = (p: number): bigint => BigInt(curve.Fr.toObject(curve.Fr.w[p]));

    // Sections 2..6, then 12..15 (Lagrange blocks for every domain 2^p).
    const powersOf = (group: FixedBaseGroup, count: number, factor: bigint): PointRun[] => [{ group, count, scalars: (s, c) => geometric(factor, secrets.tau, s, c) }];
    const lagrange = (group: FixedBaseGroup, factor: bigint, maxP: number): PointRun[] =>
      Array.from({ length: maxP + 1 }, (_, p) => {
        // The extra 2^(power+1) block mirrors snarkjs, which pads the 2n−1 powers with a zero.
        const domain = new LagrangeDomain(secrets.tau, omega(p), p, factor, p === power + 1);
        return { group, count: 2 ** p, scalars: (s, c) => domain.values(s, c) };
      });
    const plan: [number, PointRun[]][] = [
      [PTAU_SECTION.tauG1, powersOf('G1', 2 * n - 1, 1n)],
      [PTAU_SECTION.tauG2, powersOf('G2', n, 1n)],
      [PTAU_SECTION.alphaTauG1, powersOf('G1', n, secrets.alpha)],
      [PTAU_SECTION.betaTauG1, powersOf('G1', n, secrets.beta)],
      [PTAU_SECTION.betaG2, [{ group: 'G2', count: 1, scalars: () => [secrets.beta] }]],
      [PTAU_SECTION.lagrangeTauG1, lagrange('G1', 1n, power + 1)],
      [PTAU_SECTION.lagrangeTauG2, lagrange('G2', 1n, power)],
      [PTAU_SECTION.lagrangeAlphaTauG1, lagrange('G1', secrets.alpha, power)],
      [PTAU_SECTION.lagrangeBetaTauG1, lagrange('G1', secrets.beta, power)],
    ];
    const totals = { G1: 0, G2: 0 };
    for (const [, runs] of plan) for (const r of runs) totals[r.group] += r.count;
    const totalWork = totals.G1 + G2_WEIGHT * totals.G2;
    let done = 0;
    let reported = -1;
    const progress = (group: FixedBaseGroup, points: number) => {
      done += group === 'G1' ? points : G2_WEIGHT * points;
      const fraction = Math.floor((done / totalWork) * 100) / 100;
      if (fraction > reported) {
        reported = fraction;
        onProgress?.(done < totalWork ? 'ptau points' : 'ptau finishing', Math.min(fraction, 0.99));
      }
    };

    multiplier = await FixedBaseMultiplier.create(curve, totals);
    writer = await PtauWriter.create(tmp, PREPARED_PTAU_SECTIONS);
    await writer.writeSection(PTAU_SECTION.header, encodeHeader(curve.q, power));

    const response = new ResponseHasher(curve, firstChallengeHash(curve, power));
    const firstPoints = new Map<number, Uint8Array>();
    for (const [id, runs] of plan) {
      const inResponse = id <= PTAU_SECTION.betaG2;
      await writer.beginSection(id);
      await computePoints(multiplier, runs, async (group, lem) => {
        if (!firstPoints.has(id)) firstPoints.set(id, lem.slice(0, 2 * pointSize(group)));
        await writer!.write(lem);
        if (inResponse) await response.addPoints(group, lem);
        progress(group, lem.byteLength / pointSize(group));
      });
      await writer.endSection();

      if (id === PTAU_SECTION.betaG2) {
        const { pubKeyLEM, partialHash, responseHash } = response.finish(secrets);
        const nextChallenge = await hashWrittenSections(writer, curve, responseHash);
        const g1 = (sectionId: number, i: number) => firstPoints.get(sectionId)!.slice(i * G1_LEM_BYTES, (i + 1) * G1_LEM_BYTES);
        const g2 = (sectionId: number, i: number) => firstPoints.get(sectionId)!.slice(i * G2_LEM_BYTES, (i + 1) * G2_LEM_BYTES);
        await writer.writeSection(
          PTAU_SECTION.contributions,
          encodeContributions([
            {
              tauG1: g1(PTAU_SECTION.tauG1, 1),
              tauG2: g2(PTAU_SECTION.tauG2, 1),
              alphaG1: g1(PTAU_SECTION.alphaTauG1, 0),
              betaG1: g1(PTAU_SECTION.betaTauG1, 0),
              betaG2: g2(PTAU_SECTION.betaG2, 0),
              pubKey: pubKeyLEM,
              partialHash,
              nextChallenge,
              name: DEV_PTAU_CONTRIBUTION_NAME,
            },
          ]),
        );
      }
    }
    await writer.close();
    writer = undefined;
    await fs.promises.rename(tmp, outFile);
    onProgress?.('ptau done', 1);
  } finally {
    // Drop the secrets. BigInts cannot be overwritten in place; every byte buffer that held
    // secret-derived scalars has been zeroed (random bytes here, scalar batches in the workers).
    secrets.tau = secrets.alpha = secrets.beta = 0n;
    // Cleanup must not mask the original error or skip the rest (live workers keep Node running).
    await writer?.abort().catch(() => undefined);
    await multiplier?.terminate().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    await curve.terminate();
  }
}

/** τ, α, β uniform in Fr*, with τ outside every domain 2^p (p ≤ power+1) so all L_i(τ) exist. */
function drawSecrets(power: number): PtauSecrets {
  const draw = (): bigint => frFromRandomBytes(crypto.randomBytes(64));
  const maxDomain = 1n << BigInt(power + 1);
  let tau = 0n;
  while (tau === 0n || frPow(tau, maxDomain) === 1n) tau = draw();
  let alpha = 0n;
  while (alpha === 0n) alpha = draw();
  let beta = 0n;
  while (beta === 0n) beta = draw();
  return { tau, alpha, beta };
}

function pointSize(group: FixedBaseGroup): number {
  return group === 'G1' ? G1_LEM_BYTES : G2_LEM_BYTES;
}

/**
 * Multiplies all runs' scalars in CHUNK-sized jobs and hands the LEM points to `consume`
 * in order. A bounded number of jobs is kept in flight so the workers stay busy while
 * this thread computes the next scalars and writes finished points.
 */
async function computePoints(multiplier: FixedBaseMultiplier, runs: PointRun[], consume: (group: FixedBaseGroup, lem: Uint8Array) => Promise<void>): Promise<void> {
  const maxInFlight = 4 * multiplier.threads;
  const inFlight: { group: FixedBaseGroup; points: Promise<Uint8Array> }[] = [];
  const takeOldest = async () => {
    const { group, points } = inFlight.shift()!;
    await consume(group, await points);
  };
  try {
    for (const run of runs) {
      for (let start = 0; start < run.count; start += CHUNK) {
        const scalars = toScalarBytes(run.scalars(start, Math.min(CHUNK, run.count - start)));
        const points = multiplier.mul(run.group, scalars);
        points.catch(() => undefined); // awaited in order below; avoid an unhandled rejection meanwhile
        inFlight.push({ group: run.group, points });
        if (inFlight.length >= maxInFlight) await takeOldest();
      }
    }
    while (inFlight.length > 0) await takeOldest();
  } finally {
    inFlight.length = 0;
  }
}

/** Re-reads sections 2..6 from the file being written to hash their uncompressed points. */
async function hashWrittenSections(writer: PtauWriter, curve: SnarkjsCurve, responseHash: Uint8Array): Promise<Uint8Array> {
  const hasher = new NextChallengeHasher(curve, responseHash);
  const sections: [number, FixedBaseGroup][] = [
    [PTAU_SECTION.tauG1, 'G1'],
    [PTAU_SECTION.tauG2, 'G2'],
    [PTAU_SECTION.alphaTauG1, 'G1'],
    [PTAU_SECTION.betaTauG1, 'G1'],
    [PTAU_SECTION.betaG2, 'G2'],
  ];
  const step = 1 << 22; // a multiple of both point sizes
  for (const [id, group] of sections) {
    const { offset, size } = writer.sections.get(id)!;
    for (let at = 0; at < size; at += step) {
      await hasher.addPoints(group, await writer.read(offset + at, Math.min(step, size - at)));
    }
  }
  return hasher.digest();
}
