import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { withSnarkjsCurve } from '../../src/snark/curve';
import { readPtauInfo } from '../../src/setup/ptau-file';
import { requiredPtauPower, resolvePtau } from '../../src/setup/ptau-store';
import { rejectsWith } from '../helpers/rejects-with';
import { tempDevPtau } from '../helpers/setup-fixtures';
import { removeDir } from '../helpers/tiny-circuit';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

let tmp: string;
let ptau3: string;

before(async () => ({ dir: tmp, ptau: ptau3 } = await tempDevPtau('ptau')));
after(() => removeDir(tmp));

test('reads power, ceremony power and phase-2 readiness from a prepared ptau', () => {
  assert.deepEqual(readPtauInfo(ptau3), { power: 3, ceremonyPower: 3, prepared: true });
});

test('an unprepared ptau reads as not prepared, and resolvePtau refuses it with the prepare hint', async () => {
  const raw = path.join(tmp, 'raw.ptau');
  await withSnarkjsCurve(async () => snarkjs.powersOfTau.newAccumulator(await snarkjs.curves.getCurveFromName('bn128'), 3, raw));
  assert.equal(readPtauInfo(raw).prepared, false);
  await assert.rejects(resolvePtau({ requiredPower: 2, ptauPath: raw }), rejectsWith('PTAU_INVALID', /prepare phase2/));
});

test('garbage, truncated, wrong-magic and wrong-curve files are PTAU_INVALID', () => {
  const bytes = fs.readFileSync(ptau3);
  const cases: Record<string, Buffer> = {
    garbage: Buffer.from('this is not a powers of tau file at all'),
    empty: Buffer.alloc(0),
    truncated: bytes.subarray(0, bytes.length - 100),
    headerOnly: bytes.subarray(0, 40),
    wrongMagic: Buffer.concat([Buffer.from('zkey'), bytes.subarray(4)]),
  };
  // Flip a byte of q inside the header section (magic 4 + version 4 + n 4 + type 4 + size 8 + n8 4).
  const wrongPrime = Buffer.from(bytes);
  wrongPrime[28] ^= 0xff;
  cases.wrongPrime = wrongPrime;

  for (const [name, data] of Object.entries(cases)) {
    const file = path.join(tmp, `${name}.ptau`);
    fs.writeFileSync(file, data);
    assert.throws(() => readPtauInfo(file), rejectsWith('PTAU_INVALID'), name);
  }
  assert.throws(() => readPtauInfo(path.join(tmp, 'missing.ptau')), rejectsWith('PTAU_INVALID'));
});

test('requiredPtauPower follows snarkjs: 2^power > constraints + public signals', () => {
  assert.equal(requiredPtauPower({ nConstraints: 0, nPubInputs: 0, nOutputs: 0 }), 1);
  assert.equal(requiredPtauPower({ nConstraints: 1, nPubInputs: 0, nOutputs: 0 }), 1);
  assert.equal(requiredPtauPower({ nConstraints: 2, nPubInputs: 1, nOutputs: 1 }), 3);
  assert.equal(requiredPtauPower({ nConstraints: 7, nPubInputs: 0, nOutputs: 0 }), 3);
  assert.equal(requiredPtauPower({ nConstraints: 8, nPubInputs: 0, nOutputs: 0 }), 4);
  assert.equal(requiredPtauPower({ nConstraints: 65000, nPubInputs: 500, nOutputs: 35 }), 16);
  assert.equal(requiredPtauPower({ nConstraints: 65000, nPubInputs: 500, nOutputs: 36 }), 17);
  assert.throws(() => requiredPtauPower({ nConstraints: 2 ** 28, nPubInputs: 0, nOutputs: 0 }), rejectsWith('SETUP_FAILED'));
});

test('a user ptau: accepted when big enough, PTAU_TOO_SMALL with both powers otherwise', async () => {
  const ok = await resolvePtau({ requiredPower: 3, ptauPath: ptau3, allowUnknownPtau: true });
  assert.equal(ok.power, 3);
  assert.equal(ok.devSingleContributor, false);
  assert.equal(ok.pinned, false);
  assert.equal(ok.source, ptau3);
  assert.equal(ok.path, ptau3);
  assert.match(ok.sha256, /^[0-9a-f]{64}$/);
  assert.match(ok.blake2b512, /^[0-9a-f]{128}$/);
  // The size is checked before the hash, so the most useful error comes first.
  await assert.rejects(resolvePtau({ requiredPower: 5, ptauPath: ptau3 }), rejectsWith('PTAU_TOO_SMALL', /power 3.*power 5/));
});

test('the dev ptau is generated once per power in the cache, under a lock, and reused', async () => {
  const cacheDir = path.join(tmp, 'cache');
  // Two concurrent requests: one generates, the other waits for the lock and reuses the file.
  const [a, b] = await Promise.all([resolvePtau({ requiredPower: 2, cacheDir }), resolvePtau({ requiredPower: 2, cacheDir })]);
  const file = path.join(cacheDir, 'ptau', 'dev_2.ptau');
  assert.equal(a.path, file);
  assert.equal(b.path, file);
  assert.equal(a.sha256, b.sha256);
  assert.equal(a.devSingleContributor, true);
  assert.equal(a.pinned, false);
  assert.deepEqual(fs.readdirSync(path.join(cacheDir, 'ptau')), ['dev_2.ptau'], 'no lock or temp file left');

  const mtime = fs.statSync(file).mtimeMs;
  const again = await resolvePtau({ requiredPower: 2, cacheDir });
  assert.equal(again.sha256, a.sha256);
  assert.equal(fs.statSync(file).mtimeMs, mtime);

  // A larger cached dev ptau serves a smaller requirement.
  fs.copyFileSync(ptau3, path.join(cacheDir, 'ptau', 'dev_3.ptau'));
  fs.rmSync(file);
  const fromLarger = await resolvePtau({ requiredPower: 1, cacheDir });
  assert.equal(fromLarger.power, 3);
  assert.equal(fromLarger.path, path.join(cacheDir, 'ptau', 'dev_3.ptau'));
});

test('a damaged cached dev ptau is regenerated', async () => {
  const cacheDir = path.join(tmp, 'cache-damaged');
  fs.mkdirSync(path.join(cacheDir, 'ptau'), { recursive: true });
  fs.writeFileSync(path.join(cacheDir, 'ptau', 'dev_2.ptau'), 'broken');
  const r = await resolvePtau({ requiredPower: 2, cacheDir });
  assert.equal(r.power, 2);
  assert.equal(readPtauInfo(r.path).prepared, true);
});
