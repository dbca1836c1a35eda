/**
 * Our Groth16 prover (src/prover/groth16.ts) on models/tiny against snarkjs: its A·w / B·w / A∘B
 * evaluation equals a BigInt evaluation of the r1cs, its proofs verify with snarkjs's verifier, its
 * public signals equal snarkjs's prover's on the same witness, a corrupted witness gives no valid
 * proof, and bad keys and witnesses are refused with a code.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compileModel } from '../../src/compiler/compile';
import { computeWitness, LinearCombination, loadR1cs, R1cs } from '../../src/compiler/r1cs-check';
import { evaluateBatch, readBatch } from '../../src/commit/commitments';
import { artifactPath, readJson } from '../../src/formats/artifacts';
import { readCompiled } from '../../src/formats/compiled-model';
import { BN254_R } from '../../src/formats/field';
import { buildFixedBaseTable, fixedBaseMultiExp, tableWindowBits } from '../../src/prover/fixed-base-msm';
import { evaluateAbc, multiExp, prepareProvingKey, ProvingKey, proveGroth16, sliceCoefsByRow, splitScalars } from '../../src/prover/groth16';
import { circuitInput } from '../../src/quantize/codec';
import { runSetup } from '../../src/setup/groth16-setup';
import { readBigLE } from '../../src/snark/bin-file';
import { curveWithThreads } from '../../src/snark/curve';
import { snarkjs, SnarkjsCurve } from '../../src/snark/snarkjs';
import { readWtnsValues } from '../../src/snark/wtns';
import { readZkeySections } from '../../src/snark/zkey-sections';
import { calibrationFile, inputFile, makeTempDir, modelFile } from '../helpers/onnx-builders';
import { rejectsWith } from '../helpers/rejects-with';

const R_INV = modInverse((1n << 256n) % BN254_R, BN254_R);

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

const dot = (lc: LinearCombination, w: readonly bigint[]): bigint => lc.wires.reduce((acc, wire, i) => (acc + lc.coeffs[i] * w[wire]) % BN254_R, 0n);

/** The element at `i` of a Montgomery-form vector, as a canonical integer. */
const fromMontgomery = (v: Uint8Array, i: number): bigint => (readBigLE(v, i * 32, 32) * R_INV) % BN254_R;

/** The field elements as the 32-byte LE witness buffer the prover takes. */
function witnessBytes(w: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(w.length * 32);
  w.forEach((v, i) => {
    for (let b = 0, x = v; b < 32; b++, x >>= 8n) out[i * 32 + b] = Number(x & 0xffn);
  });
  return out;
}

describe('our Groth16 prover on models/tiny', () => {
  let work: string;
  let build: string;
  let curve: SnarkjsCurve;
  let zkey: Buffer;
  let key: ProvingKey;
  let r1cs: R1cs;
  let witness: bigint[];
  let wtns: Uint8Array;
  let vk: object;

  before(async () => {
    work = makeTempDir('groth16');
    build = path.join(work, 'build');
    await compileModel(modelFile('tiny'), build, { calibration: calibrationFile('tiny'), backend: 'circom' }); // snarkjs's own witness calculator below
    await runSetup(build, { cacheDir: path.join(work, 'cache') });
    const compiled = readCompiled(build);
    const values = evaluateBatch(compiled.model, readBatch(JSON.parse(fs.readFileSync(inputFile('tiny'), 'utf8')), compiled.model, compiled.graphInputs));
    const input = circuitInput(compiled.model, values.inputs, {});
    witness = await computeWitness(input, artifactPath(build, 'wasm'));
    const mem: { type: 'mem'; data?: Uint8Array } = { type: 'mem' };
    await snarkjs.wtns.calculate(input, artifactPath(build, 'wasm'), mem);
    wtns = mem.data!;
    r1cs = loadR1cs(artifactPath(build, 'r1cs'));
    vk = readJson<object>(artifactPath(build, 'vk'));
    zkey = fs.readFileSync(artifactPath(build, 'zkey'));
    curve = await curveWithThreads(snarkjs, 2);
    key = prepareProvingKey(curve, readZkeySections(zkey));
  });
  after(async () => {
    await curve?.terminate();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('the curve has the threads asked for; the key is cut into one slice per thread covering the domain', () => {
    assert.equal(curve.tm.concurrency, 2);
    assert.equal(key.slices.length, 2);
    assert.equal(key.slices[0].rowStart, 0);
    assert.equal(key.slices[1].rowStart, key.slices[0].rows);
    assert.equal(key.slices[1].rowStart + key.slices[1].rows, key.sections.domainSize);
    assert.equal(key.slices[0].nCoefs + key.slices[1].nCoefs, key.sections.nCoefs);
  });

  test('A·w, B·w and A∘B equal a BigInt evaluation of the r1cs, for any number of slices', async () => {
    const { domainSize, nPublic } = key.sections;
    assert.equal(key.sections.nVars, r1cs.nVars);
    const expectA: bigint[] = new Array(domainSize).fill(0n);
    const expectB: bigint[] = new Array(domainSize).fill(0n);
    r1cs.constraints.forEach((c, i) => {
      expectA[i] = dot(c.a, witness);
      expectB[i] = dot(c.b, witness);
    });
    // snarkjs's setup adds one row per public signal (and the constant): A = w_s, B = 0.
    for (let s = 0; s <= nPublic; s++) expectA[r1cs.constraints.length + s] = witness[s];
    assert.ok(expectA.some((v) => v > 1n) && expectB.some((v) => v !== 0n), 'a non-trivial witness');

    for (const parts of [1, 2, 3, 7, domainSize + 5]) {
      const sliced = { ...key, slices: sliceCoefsByRow(key.sections.coefs, key.sections.nCoefs, domainSize, parts) };
      assert.equal(
        sliced.slices.reduce((n, s) => n + s.rows, 0),
        domainSize,
      );
      const [a, b, c] = await evaluateAbc(curve, sliced, witnessBytes(witness));
      for (let i = 0; i < domainSize; i++) {
        assert.equal(fromMontgomery(a, i), expectA[i], `A row ${i}, ${parts} slices`);
        assert.equal(fromMontgomery(b, i), expectB[i], `B row ${i}, ${parts} slices`);
        assert.equal(fromMontgomery(c, i), (expectA[i] * expectB[i]) % BN254_R, `C row ${i}, ${parts} slices`);
      }
    }
  });

  test('the multi-exponentiation split by scalar width (zeros, bytes, u64, negatives, full) equals ffjavascript multiExpAffine', async () => {
    const n = key.sections.nVars;
    const pick = [0n, 1n, 255n, 256n, 2n ** 64n - 1n, 2n ** 64n, BN254_R - 1n, BN254_R - 200n, BN254_R - 2n ** 40n, BN254_R - 2n ** 64n, BN254_R - 2n ** 64n - 1n, 3n ** 150n];
    const scalars = Array.from({ length: n }, (_, i) => pick[i % pick.length]);
    const bytes = witnessBytes(scalars);
    const split = splitScalars(bytes);
    assert.deepEqual(
      split.groups.map((g) => g.width),
      [1, 8, 32],
    );
    // The same sorting in BigInt: zeros dropped; 1 byte, 8 bytes (directly or negated), else full width.
    const width = (v: bigint): number => {
      const m = v < BN254_R - v ? v : BN254_R - v;
      return v === 0n ? 0 : m < 256n ? 1 : m < 2n ** 64n ? 8 : 32;
    };
    assert.deepEqual(
      split.groups.map((g) => g.indices.length),
      [1, 8, 32].map((w) => scalars.filter((v) => width(v) === w).length),
    );
    assert.ok(split.groups[0].indices.some((i) => i < 0) && split.groups[1].indices.some((i) => i < 0), 'negated points in the small groups');
    for (const [group, points] of [
      ['G1', key.sections.pointsA],
      ['G2', key.sections.pointsB2],
    ] as const) {
      const expected = await curve[group].multiExpAffine(points, bytes);
      for (const parts of [1, 3]) {
        const got = await multiExp(curve, group, points, bytes, parts, split);
        assert.ok(curve[group].eq(got, expected), `${group}, ${parts} parts`);
      }
      assert.ok(curve[group].eq(await multiExp(curve, group, points, bytes, 2), expected), `${group} unsplit`);
    }
  });

  test('the fixed-base table of H: its multi-exponentiation equals ffjavascript multiExpAffine, for several window widths and thread counts', async () => {
    const points = key.sections.pointsH;
    const n = points.byteLength / 64;
    // Full-width scalars up to r − 1 (every digit of the top window used), zeros, ones and a few large ones.
    const pick = [BN254_R - 1n, 0n, 1n, 3n ** 150n, 2n ** 253n + 12345n, 1n, 0n, 7n ** 90n];
    const bytes = witnessBytes(Array.from({ length: n }, (_, i) => pick[i % pick.length]));
    const expected = await curve.G1.multiExpAffine(points, bytes);
    for (const kind of ['signed', 'batchAffine'] as const) {
      for (const [c, parts] of [
        [8, 1],
        [11, 2],
        [16, 3],
      ]) {
        const table = await buildFixedBaseTable(curve, points, parts, c, kind);
        assert.equal(table.windows, Math.ceil(254 / c));
        assert.ok(curve.G1.eq(await fixedBaseMultiExp(curve, table, bytes), expected), `${kind}, c = ${c}, ${parts} slices`);
      }
    }
    assert.equal((await key.hTable)?.kind, 'signed', 'a small key gets its table, with signed digits on our curve');
    assert.equal(tableWindowBits(2 ** 24, 2, 'signed'), undefined, 'a table beyond the memory budget is not built');
    // The cost model: signed digits halve the buckets, so a table of the same budget can take wider windows (2^13: 13 bits, not 11).
    assert.deepEqual([tableWindowBits(2 ** 13, 2, 'signed'), tableWindowBits(2 ** 15, 2, 'signed'), tableWindowBits(2 ** 15, 2, 'batchAffine')], [13, 16, 16]);
  });

  test('our proof verifies with snarkjs; public signals and JSON shape equal snarkjs prover on the same witness', async () => {
    const values = readWtnsValues(wtns).values;
    const ours = await proveGroth16(curve, key, values);
    assert.equal(await snarkjs.groth16.verify(vk, ours.publicSignals, ours.proof), true);
    const theirs = await snarkjs.groth16.prove({ type: 'mem', data: zkey }, { type: 'mem', data: wtns });
    assert.deepEqual(ours.publicSignals, theirs.publicSignals);
    assert.deepEqual(ours.publicSignals, witness.slice(1, key.sections.nPublic + 1).map(String));
    // Same keys in the same order, same nesting, projective coordinates normalised the same way.
    assert.equal(JSON.stringify(Object.keys(ours.proof)), JSON.stringify(Object.keys(theirs.proof)));
    assert.deepEqual([ours.proof.pi_a[2], ours.proof.pi_b[2], ours.proof.pi_c[2]], [theirs.proof.pi_a[2], theirs.proof.pi_b[2], theirs.proof.pi_c[2]]);
    assert.deepEqual([ours.proof.protocol, ours.proof.curve], [theirs.proof.protocol, theirs.proof.curve]);
    assert.ok(
      [ours.proof.pi_a, ours.proof.pi_c, ...ours.proof.pi_b].flat().every((v) => typeof v === 'string' && /^\d+$/.test(v)),
      'decimal strings',
    );
    // Fresh r and s: two proofs of the same witness differ, and both verify.
    const again = await proveGroth16(curve, key, values);
    assert.notDeepEqual(again.proof.pi_a, ours.proof.pi_a);
    assert.equal(await snarkjs.groth16.verify(vk, again.publicSignals, again.proof), true);
    for (const t of Object.values(ours.timings)) assert.ok(Number.isFinite(t) && t >= 0);
  });

  test('the same on a single-threaded curve', async () => {
    const single = await curveWithThreads(snarkjs, 1);
    assert.equal(single.tm.concurrency, 1);
    const k1 = prepareProvingKey(single, readZkeySections(zkey));
    assert.equal(k1.slices.length, 1);
    const p = await proveGroth16(single, k1, witnessBytes(witness));
    assert.equal(await snarkjs.groth16.verify(vk, p.publicSignals, p.proof), true);
  });

  test('the same on a curve of more threads than vectors (ffjavascript FFT path), made after the 2-thread one is gone', async () => {
    await curve.terminate();
    curve = await curveWithThreads(snarkjs, 4);
    assert.equal(curve.tm.concurrency, 4);
    const k4 = prepareProvingKey(curve, readZkeySections(zkey));
    assert.equal(k4.slices.length, 4);
    const p = await proveGroth16(curve, k4, witnessBytes(witness));
    assert.equal(await snarkjs.groth16.verify(vk, p.publicSignals, p.proof), true);
    key = k4;
  });

  test('a corrupted witness value gives a proof that does not verify', async () => {
    const nPublic = key.sections.nPublic;
    // A private wire (after the public ones), changed by one; and a public one with its signal kept.
    for (const wire of [nPublic + 1, Math.floor(witness.length / 2), witness.length - 1]) {
      const bad = witness.slice();
      bad[wire] = (bad[wire] + 1n) % BN254_R;
      const p = await proveGroth16(curve, key, witnessBytes(bad));
      assert.equal(await snarkjs.groth16.verify(vk, p.publicSignals, p.proof), false, `wire ${wire} + 1 verified`);
    }
    const bad = witness.slice();
    bad[1] = (bad[1] + 1n) % BN254_R;
    const p = await proveGroth16(curve, key, witnessBytes(bad));
    assert.equal(await snarkjs.groth16.verify(vk, p.publicSignals, p.proof), false, 'a changed public signal verified');
    assert.equal(await snarkjs.groth16.verify(vk, witness.slice(1, nPublic + 1).map(String), p.proof), false);
  });

  test('a witness of the wrong length and a malformed key are refused with a code', async () => {
    await assert.rejects(proveGroth16(curve, key, witnessBytes(witness.slice(1))), rejectsWith('PROVE_FAILED', /the witness has \d+ values, the key expects \d+/));
    assert.throws(() => readZkeySections(zkey.subarray(0, zkey.length - 100)), rejectsWith('PROVE_FAILED', /truncated/));
    const wrongMagic = Buffer.from(zkey);
    wrongMagic.write('ptau', 0, 'latin1');
    assert.throws(() => readZkeySections(wrongMagic), rejectsWith('PROVE_FAILED', /wrong magic/));
    // A coefficient naming a row outside the domain would make the WebAssembly loop write past its output.
    const badRow = Buffer.from(zkey);
    const coefsAt = key.sections.coefs.byteOffset - zkey.byteOffset;
    badRow.writeUInt32LE(key.sections.domainSize, coefsAt + 4);
    assert.throws(() => readZkeySections(badRow), rejectsWith('PROVE_FAILED', /coefficient 0 .* out of range/));
    assert.throws(() => readWtnsValues(wtns.subarray(0, wtns.length - 1)), rejectsWith('WITNESS_FAILED'));
  });
});
