/**
 * Witnesses checked against an R1CS directly, in BigInt: the ground truth for soundness tests.
 * A witness the constraints accept is one a Groth16 prover can prove, whatever the witness
 * calculator's `assert`s say, so mutation tests (change a signal, expect a violation) run here.
 *
 * Also: witness computation through snarkjs, and the sym-file map from signal names to witness indices.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ZkmlError } from '../errors';
import { artifactPath, ARTIFACTS, readManifest } from '../formats/artifacts';
import { readCompiled } from '../formats/compiled-model';
import { directWitness } from './direct/backend';
import { readWireLabelsFile } from './direct/files';
import { readBigLE, scanBinFile } from '../snark/bin-file';
import { readR1csHeader } from '../snark/r1cs-header';
import { BN254_R } from '../formats/field';
import { snarkjs } from '../snark/snarkjs';

/** Sparse linear combination: parallel arrays of wire indices and coefficients (canonical, < p). */
export interface LinearCombination {
  wires: number[];
  coeffs: bigint[];
}

/** A · w * B · w = C · w (mod p). */
export interface R1csConstraint {
  a: LinearCombination;
  b: LinearCombination;
  c: LinearCombination;
}

export interface R1cs {
  prime: bigint;
  nVars: number;
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
  constraints: R1csConstraint[];
}

/** firstViolated: index of the first unsatisfied constraint, or -1 when wire 0 is not 1. */
export type WitnessCheck = { ok: true } | { ok: false; firstViolated: number };

/**
 * Parses an r1cs file (iden3 format: sections 1 header, 2 constraints). Coefficients are stored as
 * canonical little-endian integers, so no curve (and no worker threads) is needed, unlike r1csfile.
 */
export function loadR1cs(r1csPath: string): R1cs {
  if (!fs.existsSync(r1csPath)) throw new ZkmlError('ARTIFACT_MISSING', `no r1cs file at ${r1csPath}`);
  const buf = fs.readFileSync(r1csPath);
  const bad = (why: string) => new ZkmlError('CIRCOM_FAILED', `${r1csPath} is not a valid r1cs file (${why})`);
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'r1cs') throw bad('bad magic');
  const sections = readSections(buf, 12, bad);

  const h = sections.get(1);
  if (h === undefined) throw bad('no header section');
  const n8 = buf.readUInt32LE(h);
  const prime = readBigLE(buf, h + 4, n8);
  let p = h + 4 + n8;
  const nVars = buf.readUInt32LE(p);
  const nOutputs = buf.readUInt32LE(p + 4);
  const nPubInputs = buf.readUInt32LE(p + 8);
  const nPrvInputs = buf.readUInt32LE(p + 12);
  const nConstraints = buf.readUInt32LE(p + 24);

  const c = sections.get(2);
  if (c === undefined) throw bad('no constraints section');
  p = c;
  const readLc = (): LinearCombination => {
    const n = buf.readUInt32LE(p);
    p += 4;
    const wires: number[] = new Array(n);
    const coeffs: bigint[] = new Array(n);
    for (let i = 0; i < n; i++) {
      wires[i] = buf.readUInt32LE(p);
      coeffs[i] = readBigLE(buf, p + 4, n8);
      if (wires[i] >= nVars) throw bad(`wire ${wires[i]} out of range`);
      p += 4 + n8;
    }
    return { wires, coeffs };
  };
  const constraints: R1csConstraint[] = new Array(nConstraints);
  for (let i = 0; i < nConstraints; i++) constraints[i] = { a: readLc(), b: readLc(), c: readLc() };
  return { prime, nVars, nOutputs, nPubInputs, nPrvInputs, constraints };
}

/**
 * Evaluates every constraint on the witness (values are reduced mod p, so negative or oversized
 * entries stand for their residue). Wire 0 must be 1: the proving key hard-wires it.
 */
export function verifyWitness(r1cs: R1cs, witness: readonly bigint[]): WitnessCheck {
  if (witness.length !== r1cs.nVars) {
    throw new ZkmlError('WITNESS_FAILED', `witness has ${witness.length} values, the circuit has ${r1cs.nVars} wires`);
  }
  const p = r1cs.prime;
  const w = witness.map((v) => ((v % p) + p) % p);
  if (w[0] !== 1n) return { ok: false, firstViolated: -1 };
  const evalLc = (lc: LinearCombination): bigint => {
    let s = 0n;
    for (let i = 0; i < lc.wires.length; i++) s += lc.coeffs[i] * w[lc.wires[i]];
    return s % p;
  };
  for (let i = 0; i < r1cs.constraints.length; i++) {
    const { a, b, c } = r1cs.constraints[i];
    if ((evalLc(a) * evalLc(b) - evalLc(c)) % p !== 0n) return { ok: false, firstViolated: i };
  }
  return { ok: true };
}

/**
 * verifyWitness on an r1cs file too large to load (a corpus transformer's is gigabytes): the
 * constraints are read through a 64 MiB window, one at a time.
 */
export function verifyWitnessFile(r1csPath: string, witness: readonly bigint[]): WitnessCheck {
  const file = scanBinFile(r1csPath, 'r1cs', 'CIRCOM_FAILED');
  const header = readR1csHeader(r1csPath, 'CIRCOM_FAILED');
  const body = file.sections.get(2)!;
  if (witness.length !== header.nVars) throw new ZkmlError('WITNESS_FAILED', `witness has ${witness.length} values, the circuit has ${header.nVars} wires`);
  const p = BN254_R;
  const w = witness.map((v) => ((v % p) + p) % p);
  if (w[0] !== 1n) return { ok: false, firstViolated: -1 };
  const n8 = header.n8;
  const fd = fs.openSync(r1csPath, 'r');
  try {
    const window = Buffer.alloc(1 << 26);
    let from = 0;
    let got = 0;
    let at = 0;
    // Makes [at, at + n) readable in the window.
    const need = (n: number) => {
      if (at + n <= from + got) return;
      from = at;
      got = fs.readSync(fd, window, 0, Math.min(window.length, body.size - at), body.offset + at);
      if (got < n) throw new ZkmlError('CIRCOM_FAILED', `${r1csPath}: the r1cs constraints section is truncated`);
    };
    const evalLc = (): bigint => {
      need(4);
      const n = window.readUInt32LE(at - from);
      at += 4;
      need(n * (4 + n8));
      let s = 0n;
      for (let i = 0; i < n; i++, at += 4 + n8) s += readBigLE(window, at - from + 4, n8) * w[window.readUInt32LE(at - from)];
      return s % p;
    };
    for (let i = 0; i < header.nConstraints; i++) {
      const a = evalLc();
      const b = evalLc();
      if ((a * b - evalLc()) % p !== 0n) return { ok: false, firstViolated: i };
    }
  } finally {
    fs.closeSync(fd);
  }
  return { ok: true };
}

/**
 * Runs the circuit's witness calculator (snarkjs + circom_runtime) and returns the witness, one
 * canonical field element per r1cs wire. A failing `===`/`assert` becomes WITNESS_FAILED.
 * A direct build (manifest backend 'direct') has no wasm: its circuit.wasm path gives the witness
 * of the direct backend instead, computed from the build's compiled.json and r1cs.
 */
export async function computeWitness(input: Record<string, unknown>, wasmPath: string): Promise<bigint[]> {
  const buildDir = path.dirname(wasmPath);
  if (!fs.existsSync(wasmPath) && path.basename(wasmPath) === ARTIFACTS.wasm && fs.existsSync(artifactPath(buildDir, 'manifest')) && readManifest(buildDir).backend === 'direct') {
    const labels = readWireLabelsFile(artifactPath(buildDir, 'r1cs'));
    return directWitness(readCompiled(buildDir).model, input as Record<string, bigint[]>, labels);
  }
  const mem: { type: 'mem'; data?: Uint8Array } = { type: 'mem' };
  try {
    await snarkjs.wtns.calculate(input, wasmPath, mem);
  } catch (err) {
    const log = err instanceof Error ? err.message : String(err);
    const first = log.split('\n').find((l) => l.trim() !== '') ?? 'witness calculation failed';
    throw new ZkmlError('WITNESS_FAILED', first.replace(/^Error:\s*/, ''), { log }, { cause: err });
  }
  if (mem.data === undefined) throw new ZkmlError('WITNESS_FAILED', 'the witness calculator wrote nothing');
  return parseWtns(Buffer.from(mem.data.buffer, mem.data.byteOffset, mem.data.byteLength));
}

/** Parses a .wtns file (iden3 format: section 1 n8, prime, count; section 2 the values). */
export function parseWtns(buf: Buffer): bigint[] {
  const bad = (why: string) => new ZkmlError('WITNESS_FAILED', `not a valid wtns file (${why})`);
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'wtns') throw bad('bad magic');
  const sections = readSections(buf, 12, bad);
  const h = sections.get(1);
  const d = sections.get(2);
  if (h === undefined || d === undefined) throw bad('missing section');
  const n8 = buf.readUInt32LE(h);
  const n = buf.readUInt32LE(h + 4 + n8);
  if (d + n * n8 > buf.length) throw bad('truncated');
  const out: bigint[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readBigLE(buf, d + i * n8, n8);
  return out;
}

/** One line of a circom .sym file. */
export interface SymEntry {
  /** Signal index before optimization: 0 is the constant 1, then main's outputs, public inputs, private inputs. */
  label: number;
  /** Index in the witness and r1cs wires, or -1 when the optimizer eliminated the signal. */
  witness: number;
  component: number;
  name: string;
}

/** Reads a circom .sym file (lines `labelIdx,witnessIdx,componentIdx,name`). */
export function readSymEntries(symPath: string): SymEntry[] {
  if (!fs.existsSync(symPath)) throw new ZkmlError('ARTIFACT_MISSING', `no sym file at ${symPath}`);
  const entries: SymEntry[] = [];
  for (const line of fs.readFileSync(symPath, 'utf8').split('\n')) {
    if (line === '') continue;
    // Split at the first three commas only: the name is everything after them.
    const c1 = line.indexOf(',');
    const c2 = line.indexOf(',', c1 + 1);
    const c3 = line.indexOf(',', c2 + 1);
    if (c1 < 0 || c2 < 0 || c3 < 0) throw new ZkmlError('CIRCOM_FAILED', `malformed sym line: ${line}`);
    entries.push({
      label: Number(line.slice(0, c1)),
      witness: Number(line.slice(c1 + 1, c2)),
      component: Number(line.slice(c2 + 1, c3)),
      name: line.slice(c3 + 1),
    });
  }
  return entries;
}

/**
 * Signal name (e.g. `main.rq.b.bits[3]`) → witness index; -1 means the optimizer eliminated the
 * signal: its value is a linear function of kept signals and has no wire of its own.
 */
export function readSymFile(symPath: string): Map<string, number> {
  return new Map(readSymEntries(symPath).map((e) => [e.name, e.witness]));
}

/** Section table of an iden3 binary file: section type → offset of its body (first one of each type). */
function readSections(buf: Buffer, start: number, bad: (why: string) => Error): Map<number, number> {
  const nSections = buf.readUInt32LE(8);
  const sections = new Map<number, number>();
  let pos = start;
  for (let s = 0; s < nSections; s++) {
    if (pos + 12 > buf.length) throw bad('truncated section table');
    const type = buf.readUInt32LE(pos);
    const len = Number(buf.readBigUInt64LE(pos + 4));
    pos += 12;
    if (pos + len > buf.length) throw bad('truncated section');
    if (!sections.has(type)) sections.set(type, pos);
    pos += len;
  }
  return sections;
}
