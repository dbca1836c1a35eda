/**
 * Our phase-2 `zkey new` (src/setup/zkey-new.ts) against snarkjs 0.7.6's on the same r1cs and ptau:
 * the files must be byte-identical, snarkjs's `zkey verify` must accept ours, and a key made on top
 * of it (contribution + beacon, `runSetup`) must give proofs that verify.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { artifactPath, readJson } from '../../src/formats/artifacts';
import { runSetup } from '../../src/setup/groth16-setup';
import { generateDevPtau } from '../../src/setup/dev-ptau';
import { newZkey } from '../../src/setup/zkey-new';
import { requiredPtauPower } from '../../src/setup/ptau-store';
import { readR1csTerms } from '../../src/setup/r1cs-constraints';
import { termScalars } from '../../src/setup/term-scalars';
import { runZkml, succeeds } from '../helpers/cli';
import { rejectsWith } from '../helpers/rejects-with';
import { holdCurve, releaseCurve } from '../helpers/setup-fixtures';
import { compileTinyCircuit, makeTempDir, proveTiny, removeDir } from '../helpers/tiny-circuit';
import { REPO_ROOT } from '../helpers/onnx-builders';
import { slowTierOnly } from '../helpers/slow-tier';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

const quiet = (): void => undefined;
const quietLogger = { debug: quiet, info: quiet, warn: quiet, error: quiet };

/**
 * Long linear sums with fractional coefficients (circom substitutes `s` into the rows that use it, as
 * in a dense layer), negative and zero-sum terms, a wire used in no constraint, two public inputs and
 * three outputs.
 */
const SUMS_CIRCOM = `pragma circom 2.1.0;
template Sums(n) {
  signal input x[n];
  signal input k;
  signal input unused;
  signal input bias;
  signal output y[3];
  signal s;
  var acc[3] = [0, 0, 0];
  for (var i = 0; i < n; i++) {
    acc[0] += x[i] * (i + 1);
    acc[1] += x[i] * (7 - 3 * i);
    acc[2] += x[i] * (i * i * 1000003);
  }
  y[0] <== (acc[0] / 7 + bias) * k;
  y[1] <== (acc[1] / 13) * (acc[0] / 5 + 1);
  s <== acc[2] * 5 / 11 - bias / 3;
  y[2] <== s * (k + 2);
}
component main {public [k, bias]} = Sums(24);
`;

/** 2^14 + 8 squarings: a domain of 2^15, above snarkjs's 2^14 chunk for hashing H. */
const CHAIN_CIRCOM = `pragma circom 2.1.0;
template Chain(n) {
  signal input a;
  signal output out;
  signal s[n];
  s[0] <== a * a;
  for (var i = 1; i < n; i++) s[i] <== s[i - 1] * s[i - 1] + i;
  out <== s[n - 1];
}
component main = Chain(16392);
`;

let curve: unknown;
let work: string;
const dirs: string[] = [];

before(async () => {
  await holdCurve();
  curve = await snarkjs.curves.getCurveFromName('bn128');
  work = makeTempDir('zkey-new');
});
after(async () => {
  await releaseCurve();
  for (const d of [work, ...dirs]) removeDir(d);
});

async function devPtau(power: number): Promise<string> {
  const file = path.join(work, `p${power}.ptau`);
  if (!fs.existsSync(file)) await generateDevPtau(power, file);
  return file;
}

/** Both zkeys for r1cs over ptau; returns their paths after checking they are byte-identical. */
async function compareWithSnarkjs(r1cs: string, ptau: string, name: string): Promise<{ ours: string; theirs: string }> {
  const theirs = path.join(work, `${name}-snarkjs.zkey`);
  const ours = path.join(work, `${name}-ours.zkey`);
  const theirHash = await snarkjs.zKey.newZKey(r1cs, ptau, theirs, quietLogger);
  assert.ok(theirHash instanceof Uint8Array, 'snarkjs made its zkey');
  const phases: string[] = [];
  const result = await newZkey(curve, r1cs, ptau, ours, (phase) => phases.push(phase));
  assert.deepEqual(Buffer.from(result.csHash), Buffer.from(theirHash), 'same circuit hash');
  const a = fs.readFileSync(ours);
  const b = fs.readFileSync(theirs);
  assert.equal(a.length, b.length, 'same size');
  assert.ok(a.equals(b), `byte-identical zkeys (first difference at byte ${a.findIndex((v, i) => v !== b[i])})`);
  for (const phase of ['zkey: H', 'zkey: A', 'zkey: B2', 'zkey: done']) assert.ok(phases.includes(phase), `progress reports ${phase}`);
  assert.equal(await snarkjs.zKey.verifyFromR1cs(r1cs, ptau, ours, quietLogger), true, 'snarkjs zkey verify accepts ours');
  return { ours, theirs };
}

test('tiny circuit (public input and output): byte-identical to snarkjs, verifies; a contribution and beacon on top prove', async () => {
  const buildDir = compileTinyCircuit();
  dirs.push(buildDir);
  const ptau = await devPtau(3);
  await compareWithSnarkjs(artifactPath(buildDir, 'r1cs'), ptau, 'tiny');

  const cacheDir = makeTempDir('cache');
  dirs.push(cacheDir);
  const setup = await runSetup(buildDir, { cacheDir });
  assert.equal(setup.contributions.length, 1);
  assert.equal(await snarkjs.zKey.verifyFromR1cs(artifactPath(buildDir, 'r1cs'), setup.ptau.path, artifactPath(buildDir, 'zkey'), quietLogger), true);
  const vk = readJson(artifactPath(buildDir, 'vk'));
  const { proof, publicSignals } = await proveTiny(buildDir, { a: 3, b: 5 });
  assert.deepEqual(publicSignals, ['50', '5']);
  assert.equal(await snarkjs.groth16.verify(vk, publicSignals, proof), true);
  assert.equal(await snarkjs.groth16.verify(vk, ['51', '5'], proof), false, 'a wrong output is refused');
});

test('long fractional sums over a ptau larger than needed: row factors shorten the scalars, and the key is still byte-identical', async () => {
  const buildDir = compileTinyCircuit(SUMS_CIRCOM);
  dirs.push(buildDir);
  const r1cs = artifactPath(buildDir, 'r1cs');
  const terms = readR1csTerms(r1cs);
  const scalars = termScalars(terms, 1 + terms.header.nPubInputs + terms.header.nOutputs);
  assert.ok(scalars.shortened >= 2 * 24, `the long coefficients were shortened (${scalars.shortened})`);
  assert.ok(scalars.factors[0].size > 0 && scalars.factors[1].size > 0, 'rows of A and of B are factored');
  // Power 6 where 2^3 suffices: the Lagrange block of the circuit's domain is read from inside the sections.
  await compareWithSnarkjs(r1cs, await devPtau(6), 'sums');
});

test('models/tiny compiled by the CLI: byte-identical to snarkjs', async () => {
  const buildDir = makeTempDir('tiny-cli');
  dirs.push(buildDir);
  const model = path.join(REPO_ROOT, 'models', 'tiny');
  succeeds(await runZkml(path.join(work, 'cli-cache'), ['compile', path.join(model, 'model.onnx'), '--out', buildDir, '--calibration', path.join(model, 'calibration.json')]), 'zkml compile');
  const r1cs = artifactPath(buildDir, 'r1cs');
  await compareWithSnarkjs(r1cs, await devPtau(requiredPtauPower(readR1csTerms(r1cs).header)), 'models-tiny');
});

// About 50 s (a 2^15 dev ptau, both zkeys and snarkjs's verify): the slow tier's.
test('a domain of 2^15 (more than one 2^14 chunk of H): byte-identical to snarkjs', { skip: slowTierOnly() }, async () => {
  const buildDir = compileTinyCircuit(CHAIN_CIRCOM);
  dirs.push(buildDir);
  await compareWithSnarkjs(artifactPath(buildDir, 'r1cs'), await devPtau(15), 'chain');
});

test('refuses a ptau too small for the circuit, and a ptau not prepared for phase 2', async () => {
  const buildDir = compileTinyCircuit(SUMS_CIRCOM);
  dirs.push(buildDir);
  const r1cs = artifactPath(buildDir, 'r1cs');
  await assert.rejects(newZkey(curve, r1cs, await devPtau(2), path.join(work, 'small.zkey')), rejectsWith('PTAU_TOO_SMALL'));
  // Cutting sections 12..15 off a prepared ptau leaves a valid phase-1 file.
  const prepared = await devPtau(6);
  const unprepared = path.join(work, 'unprepared.ptau');
  await truncateToPhase1(prepared, unprepared);
  await assert.rejects(newZkey(curve, r1cs, unprepared, path.join(work, 'unprepared.zkey')), rejectsWith('PTAU_INVALID'));
  await assert.rejects(newZkey(curve, path.join(work, 'missing.r1cs'), prepared, path.join(work, 'missing.zkey')), rejectsWith('ARTIFACT_MISSING'));
});

/** A copy of a prepared ptau with sections 1..7 only (what `powersoftau prepare phase2` started from). */
async function truncateToPhase1(src: string, dst: string): Promise<void> {
  const buf = fs.readFileSync(src);
  const nSections = buf.readUInt32LE(8);
  const parts: Buffer[] = [];
  let pos = 12;
  let kept = 0;
  for (let i = 0; i < nSections; i++) {
    const id = buf.readUInt32LE(pos);
    const size = Number(buf.readBigUInt64LE(pos + 4));
    if (id <= 7) {
      parts.push(buf.subarray(pos, pos + 12 + size));
      kept++;
    }
    pos += 12 + size;
  }
  const head = Buffer.from(buf.subarray(0, 12));
  head.writeUInt32LE(kept, 8);
  fs.writeFileSync(dst, Buffer.concat([head, ...parts]));
}
