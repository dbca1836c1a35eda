import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { DEV_PTAU_CONTRIBUTION_NAME, generateDevPtau } from '../../src/setup/dev-ptau';
import { chooseWindow, FixedBaseMultiplier } from '../../src/setup/fixed-base';
import { toScalarBytes } from '../../src/setup/ptau-scalars';
import { BN254_R } from '../../src/formats/field';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

const POWER = 8;
const CIRCUIT = `pragma circom 2.0.0;
template M() {
  signal input a;
  signal input b;
  signal output c;
  signal ab;
  signal abb;
  ab <== a * b;
  abb <== ab * b;
  c <== abb * a;
}
component main = M();
`;

let tmp: string;
let ptau: string;
let r1cs: string;
let wasm: string;
const progress: [string, number][] = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-dev-ptau-'));
  fs.writeFileSync(path.join(tmp, 'm.circom'), CIRCUIT);
  // circom2 runs under WASI and can only open files below its working directory.
  execFileSync(process.execPath, [require.resolve('circom2/cli.js'), 'm.circom', '--r1cs', '--wasm', '--sym', '-o', '.'], { cwd: tmp, stdio: 'pipe' });
  r1cs = path.join(tmp, 'm.r1cs');
  wasm = path.join(tmp, 'm_js', 'm.wasm');
  ptau = path.join(tmp, 'dev.ptau');
  await generateDevPtau(POWER, ptau, (phase, fraction) => progress.push([phase, fraction]));
});

after(async () => {
  fs.rmSync(tmp, { recursive: true, force: true });
  // snarkjs's zKey/groth16 calls start a shared multi-threaded curve that keeps Node alive.
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  if (g.curve_bn128) await g.curve_bn128.terminate();
});

/** Groth16 setup, one proof and its verification; reports how far it got. */
async function setupAndProve(ptauFile: string) {
  const zkey = `${ptauFile}.${Math.random().toString(36).slice(2)}.zkey`;
  await snarkjs.zKey.newZKey(r1cs, ptauFile, zkey);
  const zkeyMatches: boolean = await snarkjs.zKey.verifyFromR1cs(r1cs, ptauFile, zkey);
  const { proof, publicSignals } = await snarkjs.groth16.fullProve({ a: 3, b: 5 }, wasm, zkey);
  const vkey = await snarkjs.zKey.exportVerificationKey(zkey);
  const verifies = (signals: string[]): Promise<boolean> => snarkjs.groth16.verify(vkey, signals, proof);
  return { zkeyMatches, publicSignals: publicSignals as string[], verifies };
}

/** Data offset of a section in a snarkjs binfile (magic, version, nSections, then id/size/data). */
function sectionOffset(file: Buffer, id: number): number {
  let at = 12;
  for (let i = 0; i < file.readUInt32LE(8); i++) {
    const size = Number(file.readBigUInt64LE(at + 4));
    if (file.readUInt32LE(at) === id) return at + 12;
    at += 12 + size;
  }
  throw new Error(`no section ${id}`);
}

test('a fast dev ptau gives a zkey that matches the r1cs and proofs that verify', async () => {
  const { zkeyMatches, publicSignals, verifies } = await setupAndProve(ptau);
  assert.equal(zkeyMatches, true);
  assert.deepEqual(publicSignals, [String(3 * 5 * 5 * 3)]);
  assert.equal(await verifies(publicSignals), true);
  assert.equal(await verifies([String(3 * 5 * 5 * 3 + 1)]), false, 'a tampered public signal must not verify');
});

test('snarkjs powersoftau verify accepts the file and its single named contribution', async () => {
  assert.equal(await snarkjs.powersOfTau.verify(ptau), true);
  assert.ok(fs.readFileSync(ptau).includes(Buffer.from(DEV_PTAU_CONTRIBUTION_NAME)));
});

test('the Lagrange sections are byte-identical to what snarkjs preparePhase2 derives', async () => {
  const ours = path.join(tmp, 'small.ptau');
  const theirs = path.join(tmp, 'small-prepared.ptau');
  await generateDevPtau(5, ours);
  // preparePhase2 recomputes sections 12..15 from our sections 2..5 with group FFTs.
  await snarkjs.powersOfTau.preparePhase2(ours, theirs);
  assert.ok(fs.readFileSync(ours).equals(fs.readFileSync(theirs)));
});

test('a corrupted Lagrange point makes the ptau fail verification and the proof fail', async () => {
  const bad = path.join(tmp, 'bad.ptau');
  const bytes = fs.readFileSync(ptau);
  // The circuit has 3 constraints + 1 output, so snarkjs uses the 2^3 domain: section 12's
  // block for p = 3 starts at point 2^3 − 1. Flip a byte of the y coordinate of its first point.
  bytes[sectionOffset(bytes, 12) + (2 ** 3 - 1) * 64 + 40] ^= 0x5a;
  fs.writeFileSync(bad, bytes);

  assert.equal(await snarkjs.powersOfTau.verify(bad), false);
  let proofFails: boolean;
  try {
    const { zkeyMatches, publicSignals, verifies } = await setupAndProve(bad);
    proofFails = !zkeyMatches || !(await verifies(publicSignals));
  } catch {
    proofFails = true; // snarkjs may also reject the bad point outright
  }
  assert.equal(proofFails, true);
});

test('progress ends at 1, no temp files are left, and bad powers are refused', async () => {
  assert.deepEqual(progress.at(-1), ['ptau done', 1]);
  const fractions = progress.map(([, f]) => f);
  assert.deepEqual(
    fractions,
    [...fractions].sort((a, b) => a - b),
  );
  assert.deepEqual(
    fs.readdirSync(tmp).filter((f) => f.endsWith('.part')),
    [],
  );
  await assert.rejects(generateDevPtau(0, path.join(tmp, 'zero.ptau')), RangeError);
  await assert.rejects(generateDevPtau(28, path.join(tmp, 'big.ptau')), RangeError);
  assert.equal(fs.existsSync(path.join(tmp, 'zero.ptau')), false);
});

/** The worker's signed window digits of k: k = Σ d_w·2^(w·window), d_w in (−2^(window−1), 2^(window−1)]. */
function signedDigits(k: bigint, window: number): bigint[] {
  const full = 1n << BigInt(window);
  const digits: bigint[] = [];
  let carry = 0n;
  for (let w = 0; w < Math.ceil(255 / window); w++) {
    const d = (k & (full - 1n)) + carry;
    k >>= BigInt(window);
    carry = d > full / 2n ? 1n : 0n;
    digits.push(d - carry * full);
  }
  return digits;
}

/**
 * A scalar whose last window addition adds a point with the same x as the running sum
 * (a doubling: low·G = d·2^(w·top)·G), which the batched affine formula cannot do.
 */
function equalXScalar(window: number): bigint | undefined {
  const top = Math.ceil(255 / window) - 1;
  const base = 1n << BigInt(window * top);
  for (let m = 1n; m <= 3n; m++) {
    for (let d = 1n; d <= 1n << BigInt(window - 1); d++) {
      const k = 2n * d * base - m * BN254_R;
      if (k <= 0n || k >= BN254_R) continue;
      const dTop = signedDigits(k, window)[top];
      if ((k - 2n * dTop * base) % BN254_R === 0n) return k;
    }
  }
  return undefined;
}

test('the fixed-base multiplier agrees with snarkjs on edge-case scalars', async () => {
  const curve = await snarkjs.curves.getCurveFromName('bn128', { singleThread: true });
  const expected = 64; // small: picks a narrow window, for which an equal-x scalar exists
  const special = equalXScalar(chooseWindow(expected));
  assert.ok(special !== undefined);
  const scalars = [0n, 1n, 2n, 3n, BN254_R - 1n, BN254_R - 2n, 1n << 200n, special, 123456789n ** 7n % BN254_R];
  const multiplier = await FixedBaseMultiplier.create(curve, { G1: expected, G2: expected }, 1);
  try {
    for (const group of ['G1', 'G2'] as const) {
      const G = curve[group];
      const size = G.F.n8 * 2;
      const points = await multiplier.mul(group, toScalarBytes(scalars));
      scalars.forEach((k, i) => {
        const want = new Uint8Array(size);
        G.toRprLEM(want, 0, G.toAffine(G.timesScalar(G.g, k)));
        assert.deepEqual(points.subarray(i * size, (i + 1) * size), want, `${group} · ${k}`);
      });
    }
  } finally {
    await multiplier.terminate();
    await curve.terminate();
  }
});
