/**
 * Our Groth16 prover on ffjavascript/wasmcurves, the same arithmetic as snarkjs 0.7.6's
 * `groth16.prove` (src/groth16_prove.js) and the same proof JSON, with three differences that make
 * it fast:
 * - the zkey is parsed once into a ProvingKey that stays in memory across proofs (no section reads,
 *   no header parsing per proof);
 * - A·w and B·w (and C = A∘B) are evaluated by wasmcurves's WebAssembly `qap_buildABC` on every
 *   thread of the curve, over coefficients sorted by row once per key and cut into one slice per
 *   thread with equal coefficient counts (snarkjs runs a JavaScript loop on one thread);
 * - the three FFT chains and the five multi-exponentiations are queued together, so the threads
 *   never wait for one small step to finish before the next starts.
 */
import { ZkmlError } from '../errors';
import { readBigLE } from '../snark/bin-file';
import type { SnarkjsCurve } from '../snark/snarkjs';
import { COEF_RECORD_BYTES, Groth16ZkeySections } from '../snark/zkey-sections';

const N8 = 32;

/** One thread's share of the A·w / B·w evaluation: the coefficients of rows [rowStart, rowStart + rows). */
export interface AbcSlice {
  coefs: Uint8Array;
  nCoefs: number;
  rowStart: number;
  rows: number;
}

export interface ProvingKey {
  sections: Groth16ZkeySections;
  slices: AbcSlice[];
  /** Header points in ffjavascript's internal (Jacobian Montgomery) form. */
  alpha1: Uint8Array;
  beta1: Uint8Array;
  beta2: Uint8Array;
  delta1: Uint8Array;
  delta2: Uint8Array;
}

export interface ProofTimings {
  /** A·w, B·w, C = A∘B in the evaluation domain. */
  abcMs: number;
  /** The inverse FFTs, the shift to the odd coset, the FFTs and A·B − C. */
  fftMs: number;
  /** The five multi-exponentiations and the assembly of the proof. */
  msmMs: number;
}

export interface Groth16Proof {
  pi_a: [string, string, string];
  pi_b: [[string, string], [string, string], [string, string]];
  pi_c: [string, string, string];
  protocol: 'groth16';
  curve: 'bn128';
}

/** Prepares a parsed zkey for proving with `curve`: its coefficients sorted by row and cut into one slice per thread. */
export function prepareProvingKey(curve: SnarkjsCurve, sections: Groth16ZkeySections): ProvingKey {
  const { G1, G2 } = curve;
  return {
    sections,
    slices: sliceCoefsByRow(sections.coefs, sections.nCoefs, sections.domainSize, curve.tm.concurrency),
    alpha1: G1.fromRprLEM(sections.vk.alpha1, 0),
    beta1: G1.fromRprLEM(sections.vk.beta1, 0),
    beta2: G2.fromRprLEM(sections.vk.beta2, 0),
    delta1: G1.fromRprLEM(sections.vk.delta1, 0),
    delta2: G2.fromRprLEM(sections.vk.delta2, 0),
  };
}

/**
 * Sorts the coefficient records by row (a counting sort: rows are < domainSize) and cuts the rows into
 * `parts` ranges with about the same number of coefficients each: circom's long linear combinations
 * make a few rows hold most of the terms, so equal row counts would leave one thread with the work.
 */
export function sliceCoefsByRow(coefs: Uint8Array, nCoefs: number, domainSize: number, parts: number): AbcSlice[] {
  const view = new DataView(coefs.buffer, coefs.byteOffset, coefs.byteLength);
  const rowOf = (i: number): number => view.getUint32(i * COEF_RECORD_BYTES + 4, true);
  const start = new Uint32Array(domainSize + 1);
  for (let i = 0; i < nCoefs; i++) start[rowOf(i) + 1]++;
  for (let r = 0; r < domainSize; r++) start[r + 1] += start[r];
  const sorted = new Uint8Array(nCoefs * COEF_RECORD_BYTES);
  const next = start.slice(0, domainSize);
  for (let i = 0; i < nCoefs; i++) {
    const at = next[rowOf(i)]++;
    sorted.set(coefs.subarray(i * COEF_RECORD_BYTES, (i + 1) * COEF_RECORD_BYTES), at * COEF_RECORD_BYTES);
  }

  const slices: AbcSlice[] = [];
  let row = 0;
  for (let p = 0; p < parts && row < domainSize; p++) {
    // The last slice takes every row left; the others end at the first row boundary past their share.
    let end = domainSize;
    if (p < parts - 1) {
      const target = Math.ceil((nCoefs * (p + 1)) / parts);
      end = row + 1;
      while (end < domainSize && start[end] < target) end++;
    }
    const from = start[row];
    const to = start[end];
    // Its own buffer: a view would send the whole key's bytes to the thread.
    slices.push({ coefs: sorted.slice(from * COEF_RECORD_BYTES, to * COEF_RECORD_BYTES), nCoefs: to - from, rowStart: row, rows: end - row });
    row = end;
  }
  return slices;
}

/**
 * The A·w, B·w and A∘B vectors over the domain (Montgomery form, as snarkjs's buildABC1 leaves
 * them), one WebAssembly task per slice. `witness` holds nVars field elements, 32 bytes LE each.
 */
export async function evaluateAbc(curve: SnarkjsCurve, key: ProvingKey, witness: Uint8Array): Promise<[Uint8Array, Uint8Array, Uint8Array]> {
  const { domainSize, nVars } = key.sections;
  const results: Uint8Array[][] = await Promise.all(
    key.slices.map((s) =>
      curve.tm.queueAction([
        { cmd: 'ALLOCSET', var: 0, buff: s.coefs },
        { cmd: 'ALLOCSET', var: 1, buff: witness },
        { cmd: 'ALLOC', var: 2, len: s.rows * N8 },
        { cmd: 'ALLOC', var: 3, len: s.rows * N8 },
        { cmd: 'ALLOC', var: 4, len: s.rows * N8 },
        {
          cmd: 'CALL',
          fnName: 'qap_buildABC',
          params: [{ var: 0 }, { val: s.nCoefs }, { var: 1 }, { var: 2 }, { var: 3 }, { var: 4 }, { val: s.rowStart }, { val: s.rows }, { val: 0 }, { val: nVars }],
        },
        { cmd: 'GET', out: 0, var: 2, len: s.rows * N8 },
        { cmd: 'GET', out: 1, var: 3, len: s.rows * N8 },
        { cmd: 'GET', out: 2, var: 4, len: s.rows * N8 },
      ]),
    ),
  );
  const out = [new Uint8Array(domainSize * N8), new Uint8Array(domainSize * N8), new Uint8Array(domainSize * N8)] as [Uint8Array, Uint8Array, Uint8Array];
  key.slices.forEach((s, i) => out.forEach((o, m) => o.set(results[i][m], s.rowStart * N8)));
  return out;
}

/** One vector's values on the odd coset: ifft, multiply coefficient i by inc^i, fft. */
async function toOddCoset(curve: SnarkjsCurve, evaluations: Uint8Array, inc: Uint8Array): Promise<Uint8Array> {
  const Fr = curve.Fr;
  const coefficients = await Fr.ifft(evaluations);
  const shifted = await Fr.batchApplyKey(coefficients, Fr.e(1), inc);
  return Fr.fft(shifted);
}

/** H's scalars: A·B − C on the odd coset, out of Montgomery form for the multi-exponentiation (snarkjs's joinABC). */
async function joinAbc(curve: SnarkjsCurve, a: Uint8Array, b: Uint8Array, c: Uint8Array): Promise<Uint8Array> {
  const n = a.byteLength / N8;
  const [[h]] = await Promise.all([
    curve.tm.queueAction([
      { cmd: 'ALLOCSET', var: 0, buff: a },
      { cmd: 'ALLOCSET', var: 1, buff: b },
      { cmd: 'ALLOCSET', var: 2, buff: c },
      { cmd: 'ALLOC', var: 3, len: n * N8 },
      { cmd: 'CALL', fnName: 'qap_joinABC', params: [{ var: 0 }, { var: 1 }, { var: 2 }, { val: n }, { var: 3 }] },
      { cmd: 'CALL', fnName: 'frm_batchFromMontgomery', params: [{ var: 3 }, { val: n }, { var: 3 }] },
      { cmd: 'GET', out: 0, var: 3, len: n * N8 },
    ]),
  ]);
  return h;
}

/**
 * A Groth16 proof for `witness` (the wtns section 2 bytes: nVars elements, 32 bytes LE, standard
 * form) and its public signals, in snarkjs's JSON format. r and s are drawn fresh for each proof.
 */
export async function proveGroth16(curve: SnarkjsCurve, key: ProvingKey, witness: Uint8Array): Promise<{ proof: Groth16Proof; publicSignals: string[]; timings: ProofTimings }> {
  const { Fr, G1, G2 } = curve;
  const { nVars, nPublic, power } = key.sections;
  if (witness.byteLength !== nVars * N8) {
    throw new ZkmlError('PROVE_FAILED', `the witness has ${witness.byteLength / N8} values, the key expects ${nVars}`);
  }
  const t0 = performance.now();
  const [aT, bT, cT] = await evaluateAbc(curve, key, witness);
  const t1 = performance.now();

  // The domain's 2n-th root of unity moves the evaluations to the odd coset, where Z is non-zero.
  const inc = power === Fr.s ? Fr.shift : Fr.w[power + 1];
  const [aOdd, bOdd, cOdd] = await Promise.all([aT, bT, cT].map((v) => toOddCoset(curve, v, inc)));
  const h = await joinAbc(curve, aOdd, bOdd, cOdd);
  const t2 = performance.now();

  const { sections: k } = key;
  const [msmA, msmB1, msmB2, msmC, msmH] = await Promise.all([
    G1.multiExpAffine(k.pointsA, witness),
    G1.multiExpAffine(k.pointsB1, witness),
    G2.multiExpAffine(k.pointsB2, witness),
    G1.multiExpAffine(k.pointsC, witness.subarray((nPublic + 1) * N8)),
    G1.multiExpAffine(k.pointsH, h),
  ]);

  const r = Fr.random();
  const s = Fr.random();
  const piA = G1.add(G1.add(msmA, key.alpha1), G1.timesFr(key.delta1, r));
  const piB = G2.add(G2.add(msmB2, key.beta2), G2.timesFr(key.delta2, s));
  const b1 = G1.add(G1.add(msmB1, key.beta1), G1.timesFr(key.delta1, s));
  let piC = G1.add(msmC, msmH);
  piC = G1.add(piC, G1.timesFr(piA, s));
  piC = G1.add(piC, G1.timesFr(b1, r));
  piC = G1.add(piC, G1.timesFr(key.delta1, Fr.neg(Fr.mul(r, s))));

  const strings = (v: unknown): unknown => (Array.isArray(v) ? v.map(strings) : String(v));
  const proof: Groth16Proof = {
    pi_a: strings(G1.toObject(G1.toAffine(piA))) as Groth16Proof['pi_a'],
    pi_b: strings(G2.toObject(G2.toAffine(piB))) as Groth16Proof['pi_b'],
    pi_c: strings(G1.toObject(G1.toAffine(piC))) as Groth16Proof['pi_c'],
    protocol: 'groth16',
    curve: 'bn128',
  };
  const publicSignals: string[] = [];
  for (let i = 1; i <= nPublic; i++) publicSignals.push(readBigLE(witness, i * N8, N8).toString());
  const t3 = performance.now();
  return { proof, publicSignals, timings: { abcMs: t1 - t0, fftMs: t2 - t1, msmMs: t3 - t2 } };
}
