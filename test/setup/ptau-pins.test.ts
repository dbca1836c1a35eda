import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { generateDevPtau } from '../../src/setup/dev-ptau';
import { PINNED_PTAU, PinnedPtau } from '../../src/setup/ptau-pins';
import { hashFile, resolvePtau } from '../../src/setup/ptau-store';
import { rejectsWith } from '../helpers/rejects-with';
import { tempDevPtau } from '../helpers/setup-fixtures';
import { removeDir } from '../helpers/tiny-circuit';

let tmp: string;
let ptau3: string;

before(async () => ({ dir: tmp, ptau: ptau3 } = await tempDevPtau('pins')));
after(() => removeDir(tmp));

/** A file with one bit flipped inside the tau·G1 points: the header still parses, the hash does not match. */
function tamper(src: string, dest: string): void {
  const bytes = fs.readFileSync(src);
  bytes[bytes.length >> 1] ^= 0x01;
  fs.writeFileSync(dest, bytes);
}

test('the pinned list: the Hermez files for powers 8..28, distinct blake2b-512 hashes, self-consistent sizes', () => {
  assert.deepEqual(
    PINNED_PTAU.map((p) => p.power),
    Array.from({ length: 21 }, (_, i) => i + 8),
  );
  assert.equal(new Set(PINNED_PTAU.map((p) => p.blake2b512)).size, PINNED_PTAU.length);
  for (const p of PINNED_PTAU) {
    assert.match(p.blake2b512, /^[0-9a-f]{128}$/, p.file);
    assert.equal(p.file, p.power === 28 ? 'powersOfTau28_hez_final.ptau' : `powersOfTau28_hez_final_${String(p.power).padStart(2, '0')}.ptau`);
    // A prepared ptau grows by 1152 bytes per point (sections 2..5 and 12..15); the rest is fixed.
    assert.equal(p.bytes - PINNED_PTAU[0].bytes, 1152 * (2 ** p.power - 2 ** 8), p.file);
  }
  // Spot-check against the snarkjs README (power 10 and the full file).
  assert.equal(PINNED_PTAU[2].blake2b512.slice(0, 16), '6cfeb8cda9245309');
  assert.equal(PINNED_PTAU[20].blake2b512.slice(-16), '0236f5c1a326f41a');
});

test('hashFile: blake2b-512 as in RFC 7693, and streaming in chunks equals hashing at once', async () => {
  const abc = path.join(tmp, 'abc');
  fs.writeFileSync(abc, 'abc');
  const { blake2b512, sha256 } = await hashFile(abc);
  assert.equal(blake2b512, 'ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923');
  assert.equal(sha256, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  const big = path.join(tmp, 'big');
  const data = crypto.randomBytes(3 * (1 << 20) + 12345);
  fs.writeFileSync(big, data);
  assert.equal((await hashFile(big)).blake2b512, crypto.createHash('blake2b512').update(data).digest('hex'));
});

test('a file matching a pin is accepted as pinned; one flipped bit makes it unknown', async () => {
  const pin: PinnedPtau = { power: 3, bytes: fs.statSync(ptau3).size, file: 'test_ceremony_03.ptau', blake2b512: (await hashFile(ptau3)).blake2b512 };
  const ok = await resolvePtau({ requiredPower: 3, ptauPath: ptau3, pins: [pin] });
  assert.equal(ok.pinned, true);
  assert.equal(ok.pinnedFile, 'test_ceremony_03.ptau');
  assert.equal(ok.devSingleContributor, false);

  const tampered = path.join(tmp, 'tampered.ptau');
  tamper(ptau3, tampered);
  await assert.rejects(resolvePtau({ requiredPower: 3, ptauPath: tampered, pins: [pin] }), rejectsWith('PTAU_UNKNOWN', /--allow-unknown-ptau/));
  // Under the pinned file's own name, a different hash is named as tampering, and never allowed.
  const namesake = path.join(tmp, 'test_ceremony_03.ptau');
  tamper(ptau3, namesake);
  await assert.rejects(resolvePtau({ requiredPower: 3, ptauPath: namesake, pins: [pin], allowUnknownPtau: true }), rejectsWith('PTAU_HASH_MISMATCH', /tampered/));
});

test('against the real pinned list: a local file is unknown, or a hash mismatch under a Hermez name', async () => {
  await assert.rejects(resolvePtau({ requiredPower: 3, ptauPath: ptau3 }), rejectsWith('PTAU_UNKNOWN'));
  const allowed = await resolvePtau({ requiredPower: 3, ptauPath: ptau3, allowUnknownPtau: true });
  assert.equal(allowed.pinned, false);
  assert.equal(allowed.pinnedFile, undefined);

  const fake = path.join(tmp, 'powersOfTau28_hez_final_08.ptau');
  fs.copyFileSync(ptau3, fake);
  await assert.rejects(resolvePtau({ requiredPower: 3, ptauPath: fake, allowUnknownPtau: true }), rejectsWith('PTAU_HASH_MISMATCH', /powersOfTau28_hez_final_08/));
});

test('a tampered ptau header is PTAU_INVALID before any hashing', async () => {
  const bytes = fs.readFileSync(ptau3);
  bytes.writeUInt32LE(9, 12 + 12 + 4 + 32); // the power field of the header section
  const file = path.join(tmp, 'wrong-power.ptau');
  fs.writeFileSync(file, bytes);
  await assert.rejects(resolvePtau({ requiredPower: 3, ptauPath: file, allowUnknownPtau: true }), rejectsWith('PTAU_INVALID'));
});

test('a ptau folder (a service setting): the smallest prepared file that is large enough, then checked like any file', async () => {
  const dir = path.join(tmp, 'folder');
  fs.mkdirSync(dir);
  await assert.rejects(resolvePtau({ requiredPower: 2, ptauPath: dir }), rejectsWith('PTAU_INVALID', /no prepared/));
  fs.copyFileSync(ptau3, path.join(dir, 'small.ptau'));
  await generateDevPtau(4, path.join(dir, 'large.ptau'));
  fs.writeFileSync(path.join(dir, 'notes.ptau'), 'not a ptau');
  const pins: PinnedPtau[] = [];
  for (const name of ['small.ptau', 'large.ptau']) {
    const file = path.join(dir, name);
    pins.push({ power: 0, bytes: fs.statSync(file).size, file: name, blake2b512: (await hashFile(file)).blake2b512 });
  }
  assert.equal((await resolvePtau({ requiredPower: 2, ptauPath: dir, pins })).pinnedFile, 'small.ptau');
  assert.equal((await resolvePtau({ requiredPower: 4, ptauPath: dir, pins })).pinnedFile, 'large.ptau');
  await assert.rejects(resolvePtau({ requiredPower: 5, ptauPath: dir, pins }), rejectsWith('PTAU_TOO_SMALL', /power 4.*power 5/));
  // Without the pins the same folder is unknown: the folder is a location, not a source of trust.
  await assert.rejects(resolvePtau({ requiredPower: 2, ptauPath: dir }), rejectsWith('PTAU_UNKNOWN'));
});
