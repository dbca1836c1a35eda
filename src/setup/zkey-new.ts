/**
 * The circuit-specific part of Groth16 setup: the initial zkey of a circuit (no phase-2 contribution yet,
 * δ = 1), the same file snarkjs 0.7.6 `zKey.newZKey` writes, byte for byte, and its circuit hash.
 *
 * snarkjs's layout (zkey_new.js): sections 1 (protocol: Groth16), 2 (field primes, nVars, nPublic, domain
 * size, α₁, β₁, β₂, γ₂ = G₂, δ₁ = G₁, δ₂ = G₂), 4 (A and B coefficients × R² for the prover), 3 (IC:
 * public wires' β·A + α·B + C at τ), 9 (H: the odd points of the Lagrange basis of the doubled domain),
 * 8 (C: the same sums for the private wires), 5 (A), 6 (B in G1), 7 (B in G2), 10 (circuit hash + no
 * contributions). Each point section is one sum per wire over the Lagrange points of the rows it
 * appears in; snarkjs adds a row per public wire (index nConstraints + s, coefficient 1 in A) so the
 * public inputs are bound.
 *
 * Where snarkjs prepares every term in JavaScript and exponentiates with full-length scalars, we shorten
 * the scalars per row (term-scalars.ts) and run grouped multi-exponentiations on the curve's threads
 * (wire-sums.ts); the points are the same, so the file is too.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { ZkmlError } from '../errors';
import { BN254_Q, BN254_R } from '../formats/field';
import { readAt, scanBinFile } from '../snark/bin-file';
import type { SnarkjsCurve } from '../snark/snarkjs';
import { readPtauInfo } from './ptau-file';
import { bigintToLE, PTAU_SECTION, PtauWriter } from './ptau-format';
import { MATRIX_A, MATRIX_B, MATRIX_C, R1csTerms, readR1csTerms } from './r1cs-constraints';
import { termCoef, termScalars, TermScalars } from './term-scalars';
import { sumWires, WireSumChunk, WireSumPlan } from './wire-sums';

export type ZkeyProgress = (phase: string, fraction: number) => void;

export interface NewZkeyResult {
  /** blake2b-512 circuit hash, as snarkjs returns it. */
  csHash: Uint8Array;
  /** Elapsed milliseconds per step. */
  timings: Record<string, number>;
  /** Terms whose coefficient a row factor shortened (see term-scalars.ts). */
  shortenedTerms: number;
  terms: number;
}

const ZKEY_SECTIONS = 10;
const FR_BYTES = 32;
/** The Fr 2-adicity of bn128: snarkjs reads H from the doubled domain, so the domain must be smaller. */
const FR_TWO_ADICITY = 28;
const COEF_BATCH = 1 << 16;
/** Scaled rows per thread task: enough to amortise a message, small enough to report progress. */
const SCALE_ROWS_PER_TASK = 512;
/** coef·R² mod r is the prover's form of a coefficient (Montgomery of Montgomery), R = 2^256. */
const R2 = ((1n << 256n) % BN254_R) ** 2n % BN254_R;

// Tables of bases, one per (matrix, Lagrange section) pair a key section uses.
const T_TAU_A = 0;
const T_BETA_A = 1;
const T_TAU_B = 2;
const T_TAU2_B = 3;
const T_ALPHA_B = 4;
const T_TAU_C = 5;

/** Writes the initial zkey of r1csFile over the prepared ptauFile to zkeyFile (which must not exist). */
export async function newZkey(curve: SnarkjsCurve, r1csFile: string, ptauFile: string, zkeyFile: string, onProgress?: ZkeyProgress): Promise<NewZkeyResult> {
  const timings: Record<string, number> = {};
  let t = Date.now();
  const step = (name: string): void => {
    const now = Date.now();
    timings[name] = now - t;
    t = now;
  };
  // The last phase is repeated every 2 s while the threads work, so a long step still shows progress.
  let last: [string, number] = ['zkey: r1cs', 0];
  const progress = (phase: string, fraction: number): void => {
    last = [phase, fraction];
    onProgress?.(phase, fraction);
  };

  progress('zkey: r1cs', 0);
  const terms = readR1csTerms(r1csFile);
  const h = terms.header;
  if (h.prime !== BN254_R) throw new ZkmlError('SETUP_FAILED', `${r1csFile}: the circuit was not compiled for bn128`);
  const info = readPtauInfo(ptauFile);
  if (!info.prepared) throw new ZkmlError('PTAU_INVALID', `${ptauFile} is not prepared for phase 2`);
  const nPublic = h.nOutputs + h.nPubInputs;
  const cirPower = log2(h.nConstraints + nPublic) + 1;
  if (cirPower > info.power) {
    throw new ZkmlError('PTAU_TOO_SMALL', `${ptauFile} has power ${info.power} but the circuit needs power ${cirPower}`, { power: info.power, requiredPower: cirPower });
  }
  if (cirPower >= FR_TWO_ADICITY) throw new ZkmlError('SETUP_FAILED', `the circuit needs a 2^${cirPower} domain; at most 2^${FR_TWO_ADICITY - 1} is supported`);
  const domainSize = 2 ** cirPower;
  const ptau = scanBinFile(ptauFile, 'ptau', 'PTAU_INVALID');
  const sG1 = 64;
  const sG2 = 128;
  step('r1cs');

  const fd = fs.openSync(ptauFile, 'r');
  const writer = await PtauWriter.create(zkeyFile, ZKEY_SECTIONS, 'zkey').catch((err: unknown) => {
    fs.closeSync(fd);
    throw err;
  });
  const ticker = setInterval(() => onProgress?.(...last), 2000);
  ticker.unref();
  try {
    const readPtau = (section: number, start: number, length: number): Uint8Array => {
      const s = ptau.sections.get(section);
      if (!s || start + length > s.size) throw new ZkmlError('PTAU_INVALID', `${ptauFile}: section ${section} is too short`);
      return readAt(fd, s.offset + start, length);
    };
    const hasher = crypto.createHash('blake2b512');
    const hashU32 = (n: number): void => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n);
      hasher.update(b);
    };

    await writer.writeSection(1, u32(1)); // Groth16

    // Groth16 header.
    const alpha1 = readPtau(PTAU_SECTION.alphaTauG1, 0, sG1);
    const beta1 = readPtau(PTAU_SECTION.betaTauG1, 0, sG1);
    const beta2 = readPtau(PTAU_SECTION.betaG2, 0, sG2);
    const g1 = new Uint8Array(sG1);
    curve.G1.toRprLEM(g1, 0, curve.G1.g);
    const g2 = new Uint8Array(sG2);
    curve.G2.toRprLEM(g2, 0, curve.G2.g);
    await writer.writeSection(2, concat([u32(32), bigintToLE(BN254_Q, 32), u32(32), bigintToLE(BN254_R, 32), u32(h.nVars), u32(nPublic), u32(domainSize), alpha1, beta1, beta2, g2, g1, g2]));
    for (const [G, p] of [
      [curve.G1, alpha1],
      [curve.G1, beta1],
      [curve.G2, beta2],
      [curve.G2, g2],
      [curve.G1, g1],
      [curve.G2, g2],
    ] as const) {
      hasher.update(await G.batchLEMtoU(p));
    }

    // The Lagrange basis of the circuit's domain: the block of 2^cirPower points of sections 12..15.
    const lagrangeAt = (section: number, size: number): Uint8Array => readPtau(section, (domainSize - 1) * size, domainSize * size);
    const tauG1 = lagrangeAt(PTAU_SECTION.lagrangeTauG1, sG1);
    const tauG2 = lagrangeAt(PTAU_SECTION.lagrangeTauG2, sG2);
    const alphaTauG1 = lagrangeAt(PTAU_SECTION.lagrangeAlphaTauG1, sG1);
    const betaTauG1 = lagrangeAt(PTAU_SECTION.lagrangeBetaTauG1, sG1);
    step('read ptau');

    // Work for the threads is queued before the work of this thread that does not need it: the H hash
    // runs while the row factors are found, the scaled rows while the coefficients are written.
    const hHashed = hashH(curve, fd, ptau.sections.get(PTAU_SECTION.tauG1)!.offset, domainSize);
    hHashed.catch(() => undefined); // awaited below; a failure meanwhile must not be an unhandled rejection
    progress('zkey: row factors', 0.02);
    const scalars = termScalars(terms, nPublic + 1);
    step('row factors');
    const tablesReady = scaledTables(curve, scalars, tauG1, tauG2, alphaTauG1, betaTauG1, (f) => progress('zkey: scaled rows', 0.04 + 0.1 * f));
    tablesReady.catch(() => undefined);
    progress('zkey: coefficients', 0.04);
    await writeCoefficients(writer, terms, nPublic);
    step('coefficients');
    const tables = await tablesReady;
    step('scaled rows');

    const all = allTerms(terms, nPublic);
    // Each section's plan is built when its turn comes, so only one is in memory.
    const sections: Array<[number, string, () => WireSumPlan]> = [
      [3, 'IC', () => wirePlan('G1', all, (w) => (w <= nPublic ? w : -1), nPublic + 1, abcTables)],
      [8, 'C', () => wirePlan('G1', all, (w) => (w > nPublic ? w - nPublic - 1 : -1), h.nVars - nPublic - 1, abcTables)],
      [
        5,
        'A',
        () =>
          wirePlan(
            'G1',
            all,
            (w) => w,
            h.nVars,
            (m) => (m === MATRIX_A ? T_TAU_A : -1),
          ),
      ],
      [
        6,
        'B1',
        () =>
          wirePlan(
            'G1',
            all,
            (w) => w,
            h.nVars,
            (m) => (m === MATRIX_B ? T_TAU_B : -1),
          ),
      ],
      [
        7,
        'B2',
        () =>
          wirePlan(
            'G2',
            all,
            (w) => w,
            h.nVars,
            (m) => (m === MATRIX_B ? T_TAU2_B : -1),
          ),
      ],
    ];
    // Progress weights: terms per section, a G2 term costing about three G1 terms.
    const nA = countTerms(all, MATRIX_A);
    const nB = countTerms(all, MATRIX_B);
    const weight = [0, all.count, nA, nB, 3 * nB];
    const totalWeight = weight.reduce((a, b) => a + b, 0) || 1;
    let before = 0;

    for (let i = 0; i < sections.length; i++) {
      const [id, name, makePlan] = sections[i];
      if (id === 8) {
        // snarkjs's order: IC, then H, then C, A, B1, B2.
        progress('zkey: H', 0.06 + (0.9 * before) / totalWeight);
        await writeH(writer, readPtau, domainSize);
        hashU32(domainSize - 1);
        for (const points of await hHashed) hasher.update(points);
        step('H');
      }
      const plan = makePlan();
      hashU32(plan.nOut);
      await writer.beginSection(id);
      await sumWires(
        curve,
        plan,
        scalars,
        tables,
        async (chunk: WireSumChunk) => {
          await writer.write(chunk.lem);
          hasher.update(chunk.uncompressed);
        },
        (f) => progress(`zkey: ${name}`, 0.06 + (0.9 * (before + f * weight[i])) / totalWeight),
      );
      await writer.endSection();
      before += weight[i];
      step(name);
    }

    const csHash = new Uint8Array(hasher.digest());
    await writer.writeSection(10, concat([csHash, u32(0)]));
    await writer.close();
    progress('zkey: done', 1);
    return { csHash, timings, shortenedTerms: scalars.shortened, terms: terms.count };
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    clearInterval(ticker);
    fs.closeSync(fd);
  }
}

function countTerms(all: AllTerms, matrix: number): number {
  let n = 0;
  for (let i = 0; i < all.count; i++) if (all.matrix(i) === matrix) n++;
  return n;
}

function abcTables(matrix: number): number {
  return matrix === MATRIX_A ? T_BETA_A : matrix === MATRIX_B ? T_ALPHA_B : T_TAU_C;
}

/** The r1cs terms plus snarkjs's extra A rows: wire s at row nConstraints + s, for s = 0..nPublic. */
interface AllTerms {
  count: number;
  matrix: (i: number) => number;
  row: (i: number) => number;
  wire: (i: number) => number;
}

function allTerms(terms: R1csTerms, nPublic: number): AllTerms {
  const n = terms.count;
  const nc = terms.header.nConstraints;
  return {
    count: n + nPublic + 1,
    matrix: (i) => (i < n ? terms.matrix[i] : MATRIX_A),
    row: (i) => (i < n ? terms.row[i] : nc + i - n),
    wire: (i) => (i < n ? terms.wire[i] : i - n),
  };
}

/** The terms of one key section: out(wire) < 0 and table(matrix) < 0 leave a term out. */
function wirePlan(group: 'G1' | 'G2', all: AllTerms, out: (wire: number) => number, nOut: number, table: (matrix: number) => number): WireSumPlan {
  let nTerms = 0;
  for (let i = 0; i < all.count; i++) if (table(all.matrix(i)) >= 0 && out(all.wire(i)) >= 0) nTerms++;
  const plan: WireSumPlan = {
    group,
    nOut,
    nTerms,
    outOf: new Uint32Array(nTerms),
    tableOf: new Uint8Array(nTerms),
    rowOf: new Uint32Array(nTerms),
    scalarOf: new Uint32Array(nTerms),
  };
  let j = 0;
  for (let i = 0; i < all.count; i++) {
    const tb = table(all.matrix(i));
    const o = out(all.wire(i));
    if (tb < 0 || o < 0) continue;
    plan.outOf[j] = o;
    plan.tableOf[j] = tb;
    plan.rowOf[j] = all.row(i);
    plan.scalarOf[j] = i;
    j++;
  }
  return plan;
}

/** Section 4: every A and B term as (matrix, row, wire, coef·R² mod r), then the extra public rows. */
async function writeCoefficients(writer: PtauWriter, terms: R1csTerms, nPublic: number): Promise<void> {
  let count = nPublic + 1;
  for (let i = 0; i < terms.count; i++) if (terms.matrix[i] !== MATRIX_C) count++;
  await writer.beginSection(4);
  await writer.write(u32(count));
  const entry = 12 + FR_BYTES;
  let buf = Buffer.alloc(COEF_BATCH * entry);
  let at = 0;
  const push = async (matrix: number, row: number, wire: number, coef: bigint): Promise<void> => {
    buf.writeUInt32LE(matrix, at);
    buf.writeUInt32LE(row, at + 4);
    buf.writeUInt32LE(wire, at + 8);
    const v = (coef * R2) % BN254_R;
    for (let limb = 0; limb < 4; limb++) buf.writeBigUInt64LE((v >> BigInt(64 * limb)) & 0xffffffffffffffffn, at + 12 + 8 * limb);
    at += entry;
    if (at === buf.length) {
      await writer.write(buf);
      buf = Buffer.alloc(COEF_BATCH * entry);
      at = 0;
    }
  };
  for (let i = 0; i < terms.count; i++) {
    if (terms.matrix[i] !== MATRIX_C) await push(terms.matrix[i], terms.row[i], terms.wire[i], termCoef(terms, i));
  }
  for (let s = 0; s <= nPublic; s++) await push(MATRIX_A, terms.header.nConstraints + s, s, 1n);
  await writer.write(buf.subarray(0, at));
  await writer.endSection();
}

/** The tables of bases (T_*), the factored rows scaled, all queued on the threads at once. */
async function scaledTables(
  curve: SnarkjsCurve,
  scalars: TermScalars,
  tauG1: Uint8Array,
  tauG2: Uint8Array,
  alphaTauG1: Uint8Array,
  betaTauG1: Uint8Array,
  onProgress: (fraction: number) => void,
): Promise<Uint8Array[]> {
  const f = scalars.factors;
  // A row often equals its B row (circom's x·x): their τ·G1 points share the factor, so B reuses A's.
  const bOnly = new Map([...f[MATRIX_B]].filter(([row, factor]) => f[MATRIX_A].get(row) !== factor));
  // Progress in G1-equivalents: a G2 multiplication costs about three G1 ones.
  const total = 2 * f[MATRIX_A].size + bOnly.size + 4 * f[MATRIX_B].size + f[MATRIX_C].size || 1;
  let done = 0;
  const tick = (rows: number, weight: number): void => {
    done += rows * weight;
    onProgress(done / total);
  };
  const tables = await Promise.all([
    scaleRows(curve, 'G1', tauG1, f[MATRIX_A], (n) => tick(n, 1)),
    scaleRows(curve, 'G1', betaTauG1, f[MATRIX_A], (n) => tick(n, 1)),
    scaleRows(curve, 'G1', tauG1, bOnly, (n) => tick(n, 1)),
    scaleRows(curve, 'G2', tauG2, f[MATRIX_B], (n) => tick(n, 3)),
    scaleRows(curve, 'G1', alphaTauG1, f[MATRIX_B], (n) => tick(n, 1)),
    scaleRows(curve, 'G1', tauG1, f[MATRIX_C], (n) => tick(n, 1)),
  ]);
  const sG1 = 64;
  for (const row of f[MATRIX_B].keys()) {
    if (!bOnly.has(row)) tables[T_TAU_B].set(tables[T_TAU_A].subarray(row * sG1, (row + 1) * sG1), row * sG1);
  }
  return tables;
}

/** A copy of the Lagrange points with each factored row multiplied by its factor f. */
async function scaleRows(curve: SnarkjsCurve, group: 'G1' | 'G2', base: Uint8Array, factors: Map<number, bigint>, onDone: (rows: number) => void): Promise<Uint8Array> {
  const G = curve[group];
  const sG = G.F.n8 * 2;
  const sGmid = G.F.n8 * 3;
  const p = group === 'G1' ? 'g1m' : 'g2m';
  const out = Uint8Array.from(base);
  const rows = [...factors.keys()];
  const perTask = SCALE_ROWS_PER_TASK;
  const tasks: Array<Promise<Uint8Array[]>> = [];
  for (let r0 = 0; r0 < rows.length; r0 += perTask) {
    const chunk = rows.slice(r0, r0 + perTask);
    const points = new Uint8Array(chunk.length * sG);
    const scalarBuf = new Uint8Array(chunk.length * FR_BYTES);
    chunk.forEach((row, i) => {
      points.set(base.subarray(row * sG, (row + 1) * sG), i * sG);
      scalarBuf.set(bigintToLE(factors.get(row)!, FR_BYTES), i * FR_BYTES);
    });
    const task: object[] = [
      { cmd: 'ALLOCSET', var: 0, buff: points },
      { cmd: 'ALLOCSET', var: 1, buff: scalarBuf },
      { cmd: 'ALLOC', var: 2, len: chunk.length * sGmid },
    ];
    for (let i = 0; i < chunk.length; i++) {
      task.push({
        cmd: 'CALL',
        fnName: `${p}_timesScalarAffine`,
        params: [{ var: 0, offset: i * sG }, { var: 1, offset: i * FR_BYTES }, { val: FR_BYTES }, { var: 2, offset: i * sGmid }],
      });
    }
    task.push({ cmd: 'CALL', fnName: `${p}_batchToAffine`, params: [{ var: 2 }, { val: chunk.length }, { var: 2 }] });
    task.push({ cmd: 'GET', out: 0, var: 2, len: chunk.length * sG });
    tasks.push(
      curve.tm.queueAction(task).then((r: Uint8Array[]) => {
        onDone(chunk.length);
        return r;
      }),
    );
  }
  const results = await Promise.all(tasks);
  results.forEach(([points], t) => {
    rows.slice(t * perTask, (t + 1) * perTask).forEach((row, i) => out.set(points.subarray(i * sG, (i + 1) * sG), row * sG));
  });
  return out;
}

/** Section 9: the odd points of the Lagrange basis of the doubled domain (section 12, block 2^(cirPower+1)). */
async function writeH(writer: PtauWriter, readPtau: (section: number, start: number, length: number) => Uint8Array, domainSize: number): Promise<void> {
  const sG1 = 64;
  const block = readPtau(PTAU_SECTION.lagrangeTauG1, (2 * domainSize - 1) * sG1, 2 * domainSize * sG1);
  const out = new Uint8Array(domainSize * sG1);
  for (let i = 0; i < domainSize; i++) out.set(block.subarray((2 * i + 1) * sG1, (2 * i + 2) * sG1), i * sG1);
  await writer.beginSection(9);
  await writer.write(out);
  await writer.endSection();
}

/**
 * The uncompressed points of the circuit hash's H part, in order, exactly as snarkjs computes them: the points τ^(i+n)·G₁ − τ^i·G₁ of section 2,
 * read in chunks of 2^14. snarkjs sizes every chunk min(n − 1, 2^14), so above 2^14 it hashes n points
 * (the last one read past i = n − 2) while announcing n − 1; we read the same bytes to get the same hash.
 */
async function hashH(curve: SnarkjsCurve, fd: number, tauG1At: number, domainSize: number): Promise<Uint8Array[]> {
  const sG1 = 64;
  const sGmid = 96;
  const CHUNK = 1 << 14;
  const concurrency: number = curve.tm.concurrency;
  const tasks: Array<Promise<Uint8Array[]>> = [];
  for (let offset = 0; offset < domainSize - 1; offset += CHUNK) {
    const nPoints = Math.min(domainSize - 1, CHUNK);
    const high = readAt(fd, tauG1At + (offset + domainSize) * sG1, nPoints * sG1);
    const low = readAt(fd, tauG1At + offset * sG1, nPoints * sG1);
    if (high.length !== nPoints * sG1) throw new ZkmlError('PTAU_INVALID', 'the ptau ends inside the tau·G1 section');
    const perThread = Math.floor(nPoints / concurrency);
    for (let i = 0; i < concurrency; i++) {
      const n = i < concurrency - 1 ? perThread : nPoints - i * perThread;
      if (n === 0) continue;
      const from = i * perThread * sG1;
      const task: object[] = [
        { cmd: 'ALLOCSET', var: 0, buff: high.subarray(from, from + n * sG1) },
        { cmd: 'ALLOCSET', var: 1, buff: low.subarray(from, from + n * sG1) },
        { cmd: 'ALLOC', var: 2, len: n * sGmid },
      ];
      for (let k = 0; k < n; k++) {
        task.push({
          cmd: 'CALL',
          fnName: 'g1m_subAffine',
          params: [
            { var: 0, offset: k * sG1 },
            { var: 1, offset: k * sG1 },
            { var: 2, offset: k * sGmid },
          ],
        });
      }
      task.push({ cmd: 'CALL', fnName: 'g1m_batchToAffine', params: [{ var: 2 }, { val: n }, { var: 2 }] });
      task.push({ cmd: 'CALL', fnName: 'g1m_batchLEMtoU', params: [{ var: 2 }, { val: n }, { var: 2 }] });
      task.push({ cmd: 'GET', out: 0, var: 2, len: n * sG1 });
      tasks.push(curve.tm.queueAction(task));
    }
  }
  return (await Promise.all(tasks)).map(([points]) => points);
}

/** snarkjs's log2 (misc.js): the index of the highest set bit. */
function log2(v: number): number {
  return 31 - Math.clz32(v);
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
