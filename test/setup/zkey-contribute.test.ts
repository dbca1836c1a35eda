/**
 * Our phase-2 contribution and beacon (src/setup/zkey-contribute.ts) against snarkjs 0.7.6's: the
 * beacon (deterministic) gives the same file byte for byte, `snarkjs zkey verify` accepts every key we
 * write, snarkjs continues the chain on ours and we on snarkjs's, and a tampered L point is refused.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { artifactPath } from '../../src/formats/artifacts';
import { generateDevPtau } from '../../src/setup/dev-ptau';
import { contributionHash, readMpcParams } from '../../src/setup/zkey-mpc';
import { contributePhase2 } from '../../src/setup/zkey-contribute';
import { newZkey } from '../../src/setup/zkey-new';
import type { SnarkjsCurve } from '../../src/snark/snarkjs';
import { holdCurve, releaseCurve } from '../helpers/setup-fixtures';
import { compileTinyCircuit, makeTempDir, removeDir } from '../helpers/tiny-circuit';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

const quiet = (): void => undefined;
const quietLogger = { debug: quiet, info: quiet, warn: quiet, error: quiet };
const BEACON = '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20';

let curve: SnarkjsCurve;
let work: string;
let buildDir: string;
let r1cs: string;
let ptau: string;
let initial: string;

before(async () => {
  await holdCurve();
  curve = await snarkjs.curves.getCurveFromName('bn128');
  work = makeTempDir('zkey-contribute');
  buildDir = compileTinyCircuit();
  r1cs = artifactPath(buildDir, 'r1cs');
  ptau = path.join(work, 'p3.ptau');
  await generateDevPtau(3, ptau);
  initial = path.join(work, 'initial.zkey');
  await newZkey(curve, r1cs, ptau, initial);
});
after(async () => {
  await releaseCurve();
  removeDir(work);
  removeDir(buildDir);
});

const file = (name: string): string => path.join(work, name);
const verifies = (zkey: string): Promise<boolean> => snarkjs.zKey.verifyFromR1cs(r1cs, ptau, zkey, quietLogger);

test('a contribution of ours: snarkjs zkey verify accepts it, and its hash is the one recorded', async () => {
  const out = file('ours-1.zkey');
  const { hashes } = await contributePhase2(curve, initial, out, [{ kind: 'contribution', name: 'alice', entropy: 'some text' }]);
  assert.equal(await verifies(out), true);
  assert.equal(await snarkjs.zKey.verifyFromInit(initial, ptau, out, quietLogger), true);
  const mpc = readMpcParams(out, 'CONTRIBUTION_INVALID');
  assert.equal(mpc.contributions.length, 1);
  assert.equal(mpc.contributions[0].name, 'alice');
  assert.equal(mpc.contributions[0].type, 0);
  assert.equal(contributionHash(curve, mpc.contributions[0]), Buffer.from(hashes[0]).toString('hex'));
});

test('the beacon: byte-identical to snarkjs zkey beacon on the same key', async () => {
  const ours = file('beacon-ours.zkey');
  const theirs = file('beacon-theirs.zkey');
  const { hashes } = await contributePhase2(curve, initial, ours, [{ kind: 'beacon', name: 'final', beaconHash: Buffer.from(BEACON, 'hex'), iterationsExp: 10 }]);
  const theirHash = await snarkjs.zKey.beacon(initial, theirs, 'final', BEACON, 10, quietLogger);
  assert.deepEqual(Buffer.from(hashes[0]), Buffer.from(theirHash));
  const a = fs.readFileSync(ours);
  const b = fs.readFileSync(theirs);
  assert.ok(a.equals(b), `byte-identical (first difference at byte ${a.findIndex((v, i) => v !== b[i])})`);
});

test('chains both ways: snarkjs contributes on ours, we contribute and beacon on snarkjs’s; all verify', async () => {
  const ours1 = file('chain-ours-1.zkey');
  await contributePhase2(curve, initial, ours1, [{ kind: 'contribution', name: 'ours first' }]);
  const theirs2 = file('chain-theirs-2.zkey');
  assert.ok((await snarkjs.zKey.contribute(ours1, theirs2, 'snarkjs second', 'entropy', quietLogger)) instanceof Uint8Array);
  assert.equal(await verifies(theirs2), true, 'snarkjs continues our chain');
  const ours3 = file('chain-ours-3.zkey');
  await contributePhase2(curve, theirs2, ours3, [
    { kind: 'contribution', name: 'ours third' },
    { kind: 'beacon', name: 'final', beaconHash: Buffer.from(BEACON, 'hex'), iterationsExp: 10 },
  ]);
  assert.equal(await verifies(ours3), true, 'we continue snarkjs’s chain, two steps in one pass');
  const names = readMpcParams(ours3, 'CONTRIBUTION_INVALID').contributions.map((c) => [c.name, c.type]);
  assert.deepEqual(names, [
    ['ours first', 0],
    ['snarkjs second', 0],
    ['ours third', 0],
    ['final', 1],
  ]);
  const theirs5 = file('chain-theirs-5.zkey');
  assert.ok((await snarkjs.zKey.contribute(ours3, theirs5, 'after beacon', 'e', quietLogger)) instanceof Uint8Array);
  assert.equal(await verifies(theirs5), true);
});

test('two steps in one pass give the same key as the steps one by one (beacons, deterministic)', async () => {
  const b1 = { kind: 'beacon' as const, name: 'b1', beaconHash: Buffer.from('aa', 'hex'), iterationsExp: 10 };
  const b2 = { kind: 'beacon' as const, name: 'b2', beaconHash: Buffer.from('bb', 'hex'), iterationsExp: 11 };
  const once = file('two-once.zkey');
  const step1 = file('two-step1.zkey');
  const step2 = file('two-step2.zkey');
  await contributePhase2(curve, initial, once, [b1, b2]);
  await contributePhase2(curve, initial, step1, [b1]);
  await contributePhase2(curve, step1, step2, [b2]);
  assert.ok(fs.readFileSync(once).equals(fs.readFileSync(step2)));
});

test('a contributed key with one L point changed is refused by snarkjs zkey verify', async () => {
  const out = file('tampered.zkey');
  await contributePhase2(curve, initial, out, [{ kind: 'contribution', name: 'mallory' }]);
  const bytes = fs.readFileSync(out);
  // Replace the first L point (section 8) by the first H point (section 9): both valid curve points.
  const offsetOf = (id: number): { at: number; size: number } => {
    let pos = 12;
    for (;;) {
      const type = bytes.readUInt32LE(pos);
      const size = Number(bytes.readBigUInt64LE(pos + 4));
      if (type === id) return { at: pos + 12, size };
      pos += 12 + size;
    }
  };
  const l = offsetOf(8);
  const h = offsetOf(9);
  assert.ok(l.size >= 64 && h.size >= 64);
  bytes.copy(bytes, l.at, h.at, h.at + 64);
  fs.writeFileSync(out, bytes);
  assert.equal(await verifies(out), false);
});
