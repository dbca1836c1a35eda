/**
 * Set-up shared by the tests of the setup stage and its users: a temp folder with a dev ptau, the
 * tiny circuit with its keys, and one bn128 curve held for a whole test file.
 */
import * as path from 'node:path';
import { generateDevPtau } from '../../src/setup/dev-ptau';
import { runSetup } from '../../src/setup/groth16-setup';
import { compileTinyCircuit, makeTempDir } from './tiny-circuit';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

/** A fresh temp folder holding a dev ptau of power `power` (p<power>.ptau); remove it with removeDir. */
export async function tempDevPtau(prefix: string, power = 3): Promise<{ dir: string; ptau: string }> {
  const dir = makeTempDir(prefix);
  const ptau = path.join(dir, `p${power}.ptau`);
  await generateDevPtau(power, ptau);
  return { dir, ptau };
}

/** The tiny circuit compiled and set up, its dev ptau cached in a temp folder of its own; remove both with removeDir. */
export async function tinyCircuitWithKeys(): Promise<{ buildDir: string; cacheDir: string }> {
  const buildDir = compileTinyCircuit();
  const cacheDir = makeTempDir('cache');
  await runSetup(buildDir, { cacheDir });
  return { buildDir, cacheDir };
}

/** Builds the bn128 curve once for the file: each snarkjs step would otherwise build and tear down its own. */
export async function holdCurve(): Promise<void> {
  await snarkjs.curves.getCurveFromName('bn128');
}

/** Terminates the shared curve (its worker threads keep Node alive otherwise). */
export async function releaseCurve(): Promise<void> {
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
}
