/**
 * Test harness for circom templates: compile a small main circuit once (with our template library
 * beside it), compute witnesses, check them against the R1CS, and mutate them.
 *
 * Mutation testing is the point: a witness the R1CS accepts is provable, whatever the witness
 * calculator's asserts say. So every test changes signals of a valid witness and expects
 * verifyWitness to report a violation; an accepted change with the inputs held fixed is a forgery.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileCircom, copyTemplateLibrary } from '../../src/compiler/circom2';
import { readR1csHeader } from '../../src/snark/r1cs-header';
import { R1csHeader } from '../../src/snark/r1cs-header';
import { ZkmlError } from '../../src/errors';
import { verifyWitness, computeWitness, loadR1cs, R1cs, readSymEntries, WitnessCheck } from '../../src/compiler/r1cs-check';
import { incrementalChecker } from '../../src/audit/audit';

/** The BN254 scalar field modulus. */
export const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export interface TestCircuit {
  /** Witness for an input (values may be negative bigints, numbers or decimal strings). Throws WITNESS_FAILED. */
  calc(input: Record<string, unknown>): Promise<bigint[]>;
  check(witness: readonly bigint[]): WitnessCheck;
  /** Witness index of a signal such as `main.b.bits[3]`; throws if unknown or eliminated by the optimizer. */
  signalIndex(name: string): number;
  /** Every signal name → witness index, -1 when the optimizer eliminated it. */
  signals: ReadonlyMap<string, number>;
  /**
   * Wire indices of main's inputs that survived optimization; mutations keep them fixed. Declare the
   * inputs public (`component main {public [in]}`): O2 may eliminate a private input, and then a
   * mutation silently becomes a valid witness for another input rather than a forgery.
   */
  inputWires: ReadonlySet<number>;
  info: R1csHeader;
  r1cs: R1cs;
  dispose(): void;
}

const cache = new Map<string, Promise<TestCircuit>>();
const liveDirs = new Set<string>();
process.on('exit', () => {
  for (const dir of liveDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Compiles `mainSource` (which may include any circuits/*.circom by bare name), once per source per process. */
export function buildTestCircuit(mainSource: string): Promise<TestCircuit> {
  const key = crypto.createHash('sha256').update(mainSource).digest('hex');
  let entry = cache.get(key);
  if (entry === undefined) {
    entry = compileOnce(key, mainSource);
    cache.set(key, entry);
    entry.catch(() => cache.delete(key));
  }
  return entry;
}

// Test files start every compile up front; run as many circom processes at once as there are CPUs.
const maxCompiles = Math.max(1, os.availableParallelism());
let running = 0;
const waiting: Array<() => void> = [];

async function withCompileSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= maxCompiles) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

async function compileOnce(key: string, mainSource: string): Promise<TestCircuit> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `zkml-circ-${key.slice(0, 8)}-`));
  liveDirs.add(dir);
  copyTemplateLibrary(dir);
  fs.writeFileSync(path.join(dir, 'main.circom'), mainSource);
  const out = await withCompileSlot(() => compileCircom({ workDir: dir, mainFile: 'main.circom', skipOptimizingTier: true }));
  const info = readR1csHeader(out.r1csPath, 'CIRCOM_FAILED');
  const r1cs = loadR1cs(out.r1csPath);
  const entries = readSymEntries(out.symPath);
  const signals = new Map(entries.map((e) => [e.name, e.witness]));
  // Labels keep circom's pre-optimization layout: 0 is the constant 1, then outputs, public inputs,
  // private inputs. (Wire indices shift when O2 eliminates a private input, labels do not.)
  const firstInput = 1 + info.nOutputs;
  const endInput = firstInput + info.nPubInputs + info.nPrvInputs;
  const inputWires = new Set(entries.filter((e) => e.label >= firstInput && e.label < endInput && e.witness >= 0).map((e) => e.witness));
  const wasmPath = out.wasmPath;
  return {
    async calc(input) {
      // circom_runtime console.errors every failed assert; the thrown ZkmlError keeps the message.
      const original = console.error;
      console.error = () => undefined;
      try {
        return await computeWitness(input, wasmPath);
      } finally {
        console.error = original;
      }
    },
    check: (w) => verifyWitness(r1cs, w),
    signalIndex(name) {
      const idx = signals.get(name);
      if (idx === undefined) throw new Error(`no signal ${name} in the circuit`);
      if (idx < 0) throw new Error(`signal ${name} was eliminated by the optimizer`);
      return idx;
    },
    signals,
    inputWires,
    info,
    r1cs,
    dispose() {
      cache.delete(key);
      liveDirs.delete(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** For after(): disposes every circuit that was built (a failed build has nothing to dispose). */
export async function disposeAll(...builds: ReadonlyArray<Promise<TestCircuit>>): Promise<void> {
  for (const b of builds) (await b.catch(() => undefined))?.dispose();
}

/** A main circuit instantiating one library template, with the named inputs public (see inputWires). */
export function mainOf(file: string, instance: string, publicInputs: readonly string[] = []): string {
  const pub = publicInputs.length > 0 ? ` {public [${publicInputs.join(', ')}]}` : '';
  return `pragma circom 2.1.0;\ninclude "${file}";\n\ncomponent main${pub} = ${instance};\n`;
}

/** For assert.rejects: the witness calculator refused the input (a failed `===` or assert). */
export function witnessFailed(err: unknown): boolean {
  return err instanceof ZkmlError && err.code === 'WITNESS_FAILED';
}

// ---- field helpers ----

export function mod(v: bigint): bigint {
  return ((v % P) + P) % P;
}

/** Reads a field element as a signed integer: v > p/2 stands for v - p. */
export function toSigned(v: bigint): bigint {
  const m = mod(v);
  return m > P / 2n ? m - P : m;
}

export function inverse(v: bigint): bigint {
  let result = 1n;
  let base = mod(v);
  let e = P - 2n;
  while (e > 0n) {
    if (e & 1n) result = (result * base) % P;
    base = (base * base) % P;
    e >>= 1n;
  }
  return result;
}

/** Deterministic bigint generator (mulberry32), so golden vectors are the same every run. */
export function seededRng(seed: number): { int(lo: bigint, hi: bigint): bigint } {
  let s = seed >>> 0;
  const next32 = (): bigint => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return BigInt((t ^ (t >>> 14)) >>> 0);
  };
  return {
    int(lo, hi) {
      const span = hi - lo + 1n;
      let r = 0n;
      for (let bits = 0n; 1n << bits < span * 1024n; bits += 32n) r = (r << 32n) | next32();
      return lo + (r % span);
    },
  };
}

// ---- mutations ----

export interface Mutation {
  label: string;
  edits: ReadonlyArray<readonly [wire: number, value: bigint]>;
}

export function applyMutation(witness: readonly bigint[], m: Mutation): bigint[] {
  const w = witness.slice();
  for (const [wire, value] of m.edits) w[wire] = mod(value);
  return w;
}

/** Whether the mutation changes any wire (a semantic mutation of an eliminated signal alone may not). */
export function changesWitness(witness: readonly bigint[], m: Mutation): boolean {
  return m.edits.some(([wire, value]) => mod(value) !== mod(witness[wire]));
}

/**
 * Labels of the mutations the R1CS accepts; empty for a sound circuit. The witness must satisfy the
 * R1CS; mutations that change nothing are refused. Each mutation is judged on the constraints that
 * read its wires (the audit's incremental check): the others hold as they did for the witness.
 */
export function acceptedMutations(c: TestCircuit, witness: readonly bigint[], mutations: readonly Mutation[]): string[] {
  if (!c.check(witness).ok) throw new Error('the witness to mutate does not satisfy the constraints');
  const accepts = incrementalChecker(c.r1cs, witness);
  const accepted: string[] = [];
  for (const m of mutations) {
    for (const [wire] of m.edits) {
      if (c.inputWires.has(wire) || wire === 0) throw new Error(`mutation ${m.label} edits input wire ${wire}`);
    }
    if (!changesWitness(witness, m)) throw new Error(`mutation ${m.label} changes nothing`);
    if (accepts(m)) accepted.push(m.label);
  }
  return accepted;
}

/** The output changed by +1 and -1 and set to p - 1 (when that is a change). */
export function outputMutations(c: TestCircuit, witness: readonly bigint[], name: string): Mutation[] {
  const idx = c.signalIndex(name);
  const v = mod(witness[idx]);
  const all: Mutation[] = [
    { label: `${name} + 1`, edits: [[idx, v + 1n]] },
    { label: `${name} - 1`, edits: [[idx, v - 1n]] },
    { label: `${name} = p - 1`, edits: [[idx, P - 1n]] },
  ];
  return all.filter((m) => mod(m.edits[0][1]) !== v);
}

/** Every non-input wire changed alone: ±1, to p-1 (i.e. -1), to 0, and flipped if it holds a bit. */
export function singleWireMutations(c: TestCircuit, witness: readonly bigint[]): Mutation[] {
  const names = new Map<number, string>();
  for (const [name, idx] of c.signals) if (idx >= 0 && !names.has(idx)) names.set(idx, name);
  const out: Mutation[] = [];
  for (let wire = 1; wire < witness.length; wire++) {
    if (c.inputWires.has(wire)) continue;
    const v = mod(witness[wire]);
    const name = names.get(wire) ?? `wire ${wire}`;
    const values = new Map<bigint, string>([
      [mod(v + 1n), '+1'],
      [mod(v - 1n), '-1'],
      [P - 1n, '= p-1'],
      [0n, '= 0'],
    ]);
    if (v === 0n || v === 1n) values.set(1n - v, 'flipped');
    for (const [value, how] of values) {
      if (value !== v) out.push({ label: `${name} ${how}`, edits: [[wire, value]] });
    }
  }
  return out;
}

/**
 * Semantic mutation: `values` gives the intended value of named signals (the whole template state, with
 * every linear relation kept true). Only signals the optimizer kept are written; eliminated ones are
 * linear functions of kept ones, so they take the intended values implicitly.
 */
export function semanticMutation(c: TestCircuit, label: string, values: ReadonlyMap<string, bigint>): Mutation {
  const edits: Array<readonly [number, bigint]> = [];
  for (const [name, value] of values) {
    const idx = c.signals.get(name);
    if (idx === undefined) throw new Error(`no signal ${name} in the circuit`);
    if (idx >= 0) edits.push([idx, mod(value)]);
  }
  return { label, edits };
}

/**
 * Bit i flipped and bit j changed by -(±2^i)/2^j, so sum(bits[t] * 2^t) is unchanged: every linear
 * relation over the bits still holds and only the booleanity constraints (or a product) can object.
 * `partners(i)` picks the compensating bits (default: every other bit).
 */
export function compensatedBitFlips(bits: readonly bigint[], partners: (i: number) => number[] = (i) => bits.map((_, j) => j).filter((j) => j !== i)): Array<{ i: number; j: number; bits: bigint[] }> {
  const out: Array<{ i: number; j: number; bits: bigint[] }> = [];
  for (let i = 0; i < bits.length; i++) {
    for (const j of new Set(partners(i))) {
      if (i === j || j < 0 || j >= bits.length) continue;
      const b = bits.slice();
      const delta = 1n - 2n * b[i]; // +1 for 0 → 1, -1 for 1 → 0
      b[i] = b[i] + delta;
      b[j] = mod(b[j] - delta * (1n << BigInt(i)) * inverse(1n << BigInt(j)));
      out.push({ i, j, bits: b });
    }
  }
  return out;
}

/** Little-endian bits of a non-negative integer. */
export function bitsOf(v: bigint, n: number): bigint[] {
  return Array.from({ length: n }, (_, i) => (v >> BigInt(i)) & 1n);
}

/**
 * Golden inputs for a rescale by 2^k over [xMin, xMax]: the range ends, the rounding boundaries
 * q·2^k - h - 1, q·2^k - h, q·2^k, q·2^k + h - 1, q·2^k + h (h = 2^(k-1)) around the extreme and the
 * small quotients, and 40 seeded random values; sorted, each once.
 */
export function shiftGoldenInputs(xMin: bigint, xMax: bigint, k: number, seed: number): bigint[] {
  const d = 1n << BigInt(k);
  const h = k > 0 ? d / 2n : 0n;
  const xs = new Set<bigint>([xMin, xMin + 1n, xMax - 1n, xMax, -2n, -1n, 0n, 1n, 2n]);
  const qMin = xMin / d;
  const qMax = xMax / d;
  for (const q of [qMin, qMin + 1n, -2n, -1n, 0n, 1n, 2n, qMax - 1n, qMax]) {
    for (const x of [q * d - h - 1n, q * d - h, q * d, q * d + h - 1n, q * d + h]) xs.add(x);
  }
  const rng = seededRng(seed);
  for (let i = 0; i < 40; i++) xs.add(rng.int(xMin, xMax));
  return [...xs].filter((x) => x >= xMin && x <= xMax).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
