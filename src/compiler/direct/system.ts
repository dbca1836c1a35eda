/**
 * A rank-1 constraint system built the way circom's --O2 leaves it, with the witness computed
 * alongside (the direct backend, docs/compile.md).
 *
 * A linear combination (Lc: wire → coefficient over the BN254 scalar field, wire 0 = the constant 1)
 * costs nothing until a quadratic constraint uses it: a signal defined by `<==` from a linear
 * expression is that expression (no wire), as --O2 substitutes it away. A linear constraint between
 * wires (a bit decomposition's sum) eliminates one wire, the newest one that is not fixed (main's
 * public signals: outputs and public inputs; private inputs are eliminable, as in circom): its value
 * becomes a linear combination of the others, substituted into every constraint when the system is
 * finished. Which wire a bit decomposition spends its sum on is the elimination rule: circom's (the
 * top bit, whose value is then (x − Σ 2^i·b_i) / 2^(n−1), with full-length coefficients) or, by default,
 * the short one (the lowest bit, x − Σ 2^i·b_i: the same constraints and wires, every coefficient short,
 * so the phase-2 setup needs no row factors; docs/compile.md). Every wire gets its value when it is created, so the witness needs no second pass.
 */
import * as fs from 'node:fs';
import { BN254_R } from '../../formats/field';
import { ZkmlError } from '../../errors';

const P = BN254_R;
const ZERO = 0n;
const ONE = 1n;
export type Lc = Map<number, bigint>;
/** Which wire a linear constraint eliminates: circom --O2's choice, or one with a short coefficient. */
export type Elimination = 'short' | 'circom';

const mod = (v: bigint): bigint => {
  const r = v % P;
  return r < 0n ? r + P : r;
};

/** a^-1 mod P (extended Euclid). */
function euclidInverse(a: bigint): bigint {
  let [r0, r1, s0, s1] = [mod(a), P, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0);
}

/** Inverses already computed: the eliminated wires' coefficients are few (mostly ±2^i), each inverse ~150 divisions. */
const inverses = new Map<bigint, bigint>();

function inverse(a: bigint): bigint {
  let r = inverses.get(a);
  if (r === undefined) {
    r = euclidInverse(a);
    if (inverses.size >= 1 << 16) inverses.clear();
    inverses.set(a, r);
  }
  return r;
}

export const constant = (c: bigint): Lc => (mod(c) === 0n ? new Map() : new Map([[0, mod(c)]]));
export const wireLc = (w: number): Lc => new Map([[w, 1n]]);

/** s reduced into [0, P): the sum of two canonical values needs one subtraction, anything else a division. */
const reduce = (s: bigint): bigint => (s >= P ? (s - P < P ? s - P : mod(s)) : s < 0n ? mod(s) : s);

/** acc[w] += c · k, in place (k canonical and not 0). */
function addTerm(acc: Lc, w: number, c: bigint, k: bigint): void {
  const prev = acc.get(w);
  if (prev === undefined && k === ONE) {
    acc.set(w, c); // the common case (a copy): no multiply, no reduction
    return;
  }
  // c · k, canonical but for k = 1 (c as given); 1 · k needs no product (a weight times a wire).
  const t = k === ONE ? c : c === ONE ? k : mod(c * k);
  const v = prev === undefined ? t : reduce(prev + t);
  if (v === 0n) acc.delete(w);
  else acc.set(w, v);
}

/** acc += k · x, in place. */
export function addScaled(acc: Lc, x: Lc, k: bigint = 1n): Lc {
  const kk = k === ONE ? ONE : mod(k);
  if (kk === 0n) return acc;
  for (const [w, c] of x) addTerm(acc, w, c, kk);
  return acc;
}

export const sum = (...xs: Array<[Lc, bigint]>): Lc => xs.reduce((acc, [x, k]) => addScaled(acc, x, k), new Map<number, bigint>());

/**
 * Coefficients by index: a system has few distinct ones (powers of 2, weights, their negations), so
 * a stored term is two int32s instead of a Map entry and a BigInt.
 */
export class Coefficients {
  readonly list: bigint[] = [];
  private readonly index = new Map<bigint, number>();
  of(c: bigint): number {
    let i = this.index.get(c);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(c);
      this.index.set(c, i);
    }
    return i;
  }
}

const CHUNK = 1 << 22;

const PIECE = 1 << 24;

/**
 * Signal names by wire id as latin1 bytes, one per line: in 16 MiB pieces in memory (millions of
 * wires' names as JS strings cost about 100 bytes each, as bytes about 40), or with a file, through
 * one such piece into it (a 30M-wire circuit's names are more than a GiB; they are read only once,
 * for the .sym file).
 */
export class Names {
  private readonly pieces: Buffer[] = [Buffer.alloc(PIECE)];
  private used = 0;
  private fd: number | undefined;
  constructor(private readonly file?: string) {
    if (file !== undefined) this.fd = fs.openSync(file, 'w+');
  }
  push(name: string): void {
    let piece = this.pieces[this.pieces.length - 1];
    if (this.used + name.length + 1 > piece.length) {
      if (this.fd !== undefined) {
        if (name.length + 1 > PIECE) throw new ZkmlError('INTERNAL', `a signal name of ${name.length} characters`);
        this.flush();
      } else {
        piece = Buffer.alloc(Math.max(PIECE, name.length + 1));
        this.pieces.push(piece);
        this.used = 0;
      }
    }
    this.used += piece.write(name, this.used, 'latin1');
    piece[this.used++] = 10;
  }
  private flush(): void {
    const piece = this.pieces[0];
    for (let done = 0; done < this.used;) done += fs.writeSync(this.fd!, piece, done, this.used - done);
    this.used = 0;
  }
  /** Every name in wire order, as the bytes buf[start, end) (valid during the call only). */
  forEach(visit: (buf: Buffer, start: number, end: number) => void): void {
    const lines = (piece: Buffer, end: number): number => {
      let at = 0;
      for (let nl = piece.indexOf(10, at); nl >= 0 && nl < end; nl = piece.indexOf(10, at)) {
        visit(piece, at, nl);
        at = nl + 1;
      }
      return at;
    };
    if (this.fd === undefined) {
      this.pieces.forEach((piece, k) => lines(piece, k === this.pieces.length - 1 ? this.used : piece.length));
      return;
    }
    this.flush();
    // Read back a piece at a time; a line cut by a piece's end moves to the front of the next read.
    const piece = this.pieces[0];
    let kept = 0;
    for (let pos = 0; ;) {
      const got = fs.readSync(this.fd, piece, kept, piece.length - kept, pos);
      if (got === 0) break;
      pos += got;
      const end = kept + got;
      const at = lines(piece, end);
      piece.copy(piece, 0, at, end);
      kept = end - at;
    }
  }
  /** Closes and deletes the file, if any. */
  dispose(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
    fs.rmSync(this.file!, { force: true });
  }
}

/** A combination already packed: its size at chunk[p], its terms after it. */
interface Packed {
  chunk: Int32Array;
  p: number;
}

/**
 * Linear combinations packed as int32s in chunks: per combination its size n, then n (wire,
 * coefficient index) pairs sorted by wire (the r1cs order). A constraint (three combinations) never
 * straddles two chunks. About 8 bytes per non-zero, where a Map of BigInts took about 100.
 */
export class PackedConstraints {
  private chunks: Int32Array[] = [];
  /** The int32s used in each chunk. */
  private lengths: number[] = [];
  count = 0;
  /** Terms over all combinations. */
  terms = 0;
  constructor(readonly coefficients: Coefficients) {}

  /** Appends one constraint: each combination a Map or one already packed (copied as it is). */
  push(lcs: ReadonlyArray<Lc | Packed>): void {
    let need = 0;
    for (const lc of lcs) {
      const n = lc instanceof Map ? lc.size : lc.chunk[lc.p];
      need += 1 + 2 * n;
      this.terms += n;
    }
    let k = this.chunks.length - 1;
    if (k < 0 || this.lengths[k] + need > this.chunks[k].length) {
      this.chunks.push(new Int32Array(Math.max(CHUNK, need)));
      this.lengths.push(0);
      k++;
    }
    const chunk = this.chunks[k];
    let p = this.lengths[k];
    for (const lc of lcs) {
      if (!(lc instanceof Map)) {
        const n = 1 + 2 * lc.chunk[lc.p];
        chunk.set(lc.chunk.subarray(lc.p, lc.p + n), p);
        p += n;
        continue;
      }
      chunk[p++] = lc.size;
      if (lc.size <= 16) {
        // Most combinations are short: inserted in order in place (no sorted copy of the keys).
        const start = p;
        for (const [w, c] of lc) {
          const k = this.coefficients.of(c);
          let q = p;
          for (; q > start && chunk[q - 2] > w; q -= 2) {
            chunk[q] = chunk[q - 2];
            chunk[q + 1] = chunk[q - 1];
          }
          chunk[q] = w;
          chunk[q + 1] = k;
          p += 2;
        }
        continue;
      }
      for (const w of Int32Array.from(lc.keys()).sort()) {
        chunk[p++] = w;
        chunk[p++] = this.coefficients.of(lc.get(w)!);
      }
    }
    this.lengths[k] = p;
    this.count++;
  }

  /** Every wire of every term (with repeats). */
  forEachWire(visit: (wire: number) => void): void {
    this.chunks.forEach((chunk, k) => {
      for (let p = 0; p < this.lengths[k]; p += 1 + 2 * chunk[p]) for (let i = 0; i < chunk[p]; i++) visit(chunk[p + 1 + 2 * i]);
    });
  }

  /**
   * Visits every constraint in order, then drops the store (each chunk is released once read, so a
   * copy made while visiting does not double the memory). `at` is the chunk and the offset of each
   * of the three combinations.
   */
  drain(visit: (chunk: Int32Array, at: readonly [number, number, number]) => void): void {
    const { chunks, lengths } = this;
    this.chunks = [];
    this.lengths = [];
    this.count = 0;
    this.terms = 0;
    for (let k = 0; k < chunks.length; k++) {
      const chunk = chunks[k];
      let p = 0;
      while (p < lengths[k]) {
        const a = p;
        const b = a + 1 + 2 * chunk[a];
        const c = b + 1 + 2 * chunk[b];
        p = c + 1 + 2 * chunk[c];
        visit(chunk, [a, b, c]);
      }
      chunks[k] = new Int32Array(0);
    }
  }

  /** The combination at `p` of a chunk as a Map. */
  decode(chunk: Int32Array, p: number): Lc {
    const out = new Map<number, bigint>();
    for (let i = 0; i < chunk[p]; i++) out.set(chunk[p + 1 + 2 * i], this.coefficients.list[chunk[p + 2 + 2 * i]]);
    return out;
  }
}

/**
 * Eliminated wires' values, packed: per wire its size n, then n (wire, coefficient index) pairs, in
 * one arena of int32s (a Map of BigInts per wire took about 100 bytes a term, and a large circuit
 * eliminates millions of wires). Storing a wire's value again (resolved) appends it.
 */
class Substitutions {
  /** Wire → offset of its value in the arena, -1: not eliminated. */
  private at = new Int32Array(1 << 16).fill(-1);
  arena = new Int32Array(1 << 16);
  private used = 0;
  constructor(private readonly coefficients: Coefficients) {}

  has(w: number): boolean {
    return w < this.at.length && this.at[w] >= 0;
  }
  /** The offset of w's value (w eliminated). */
  of(w: number): number {
    return this.at[w];
  }
  set(w: number, value: Lc): void {
    if (w >= this.at.length) {
      const at = new Int32Array(Math.max(2 * this.at.length, w + 1)).fill(-1);
      at.set(this.at);
      this.at = at;
    }
    const need = 1 + 2 * value.size;
    if (this.used + need > this.arena.length) {
      const arena = new Int32Array(Math.max(2 * this.arena.length, this.used + need));
      arena.set(this.arena.subarray(0, this.used));
      this.arena = arena;
    }
    const { arena } = this;
    let q = this.used;
    this.at[w] = q;
    arena[q++] = value.size;
    for (const [v, c] of value) {
      arena[q++] = v;
      arena[q++] = this.coefficients.of(c);
    }
    this.used = q;
  }
  /** Drops every value (the system is finished). */
  release(): void {
    this.at = new Int32Array(0);
    this.arena = new Int32Array(0);
    this.used = 0;
  }
}

export class ConstraintSystem {
  /** Wire values (canonical), indexed by wire id; wire 0 is 1. */
  readonly values: bigint[] = [1n];
  /** Signal names by wire id (for the .sym file); not kept by a witness-only build. */
  readonly names: Names;
  /** Wires --O2 never eliminates (main's outputs and public inputs). */
  private readonly fixed = new Set<number>([0]);
  private readonly coefficients = new Coefficients();
  /** Eliminated wire → its value as a linear combination (possibly of other eliminated wires). */
  private readonly substitutions = new Substitutions(this.coefficients);
  private readonly quadratics = new PackedConstraints(this.coefficients);
  /** Linear constraints between fixed wires only: kept as constraints (A = B = 0), as circom does. */
  private readonly fixedLinear: Lc[] = [];
  /**
   * When withConstraints is false, only values are kept (no constraints): a witness-only build.
   * namesFile: where the names wait for the .sym file (in memory without it).
   */
  constructor(
    readonly withConstraints = true,
    namesFile?: string,
    readonly elimination: Elimination = 'short',
  ) {
    this.names = new Names(withConstraints ? namesFile : undefined);
    if (withConstraints) this.names.push('one');
  }

  /** A new wire holding `value` (a `<--` signal or a quadratic's output); fixed: one of main's public signals. */
  wire(name: string, value: bigint, fixed = false): number {
    const id = this.values.length;
    const v = mod(value);
    // Most wires are bits: one shared 0n and 1n rather than a BigInt each.
    this.values.push(v === 0n ? ZERO : v === 1n ? ONE : v);
    if (this.withConstraints) this.names.push(name);
    if (fixed) this.fixed.add(id);
    return id;
  }

  /** Sets a fixed wire's value (main's outputs are declared first, computed last). */
  setValue(wire: number, value: bigint): void {
    this.values[wire] = mod(value);
  }

  /** The value of a linear combination on the current witness. */
  value(x: Lc): bigint {
    let s = 0n;
    for (const [w, c] of x) {
      const v = this.values[w];
      if (v === ZERO) continue; // most wires are bits
      s += v === ONE ? c : c * v;
    }
    return mod(s);
  }

  /** a · b === c. */
  quadratic(a: Lc, b: Lc, c: Lc): void {
    if (this.withConstraints) this.quadratics.push([a, b, c]);
  }

  /**
   * x === 0 for a linear x: eliminates one of its non-fixed wires, the first of `prefer` it holds,
   * else its newest (the choices circom --O2 makes for our templates, checked against its r1cs). Under
   * the short rule, `short` (a wire whose coefficient is ±1, such as a decomposition's lowest bit) is
   * preferred instead when given.
   */
  linear(x: Lc, prefer: readonly number[] = [], short?: readonly number[]): void {
    if (!this.withConstraints) return;
    const r = this.resolve(x);
    const wanted = this.elimination === 'short' && short ? short : prefer;
    let pick = wanted.find((w) => r.has(w) && !this.fixed.has(w)) ?? -1;
    if (pick < 0) for (const w of r.keys()) if (w > pick && !this.fixed.has(w)) pick = w;
    if (pick < 0) {
      if (r.size === 0) return;
      if (r.size === 1 && r.has(0)) throw new ZkmlError('INTERNAL', 'the direct backend derived an unsatisfiable constant constraint');
      this.fixedLinear.push(r);
      return;
    }
    const k = inverse(P - r.get(pick)!);
    const value = new Map<number, bigint>();
    for (const [w, c] of r) if (w !== pick) value.set(w, mod(c * k));
    this.substitutions.set(pick, value);
  }

  /** x with every eliminated wire replaced by its value (memoised: substitutions are resolved once). */
  private resolve(x: Lc): Lc {
    let needs = false;
    for (const w of x.keys()) if (this.substitutions.has(w)) needs = true;
    if (!needs) return x;
    const out = new Map<number, bigint>();
    for (const [w, c] of x) {
      if (this.substitutions.has(w)) this.addResolved(out, w, c);
      else addTerm(out, w, c, ONE);
    }
    return out;
  }

  /** out += c · (the eliminated wire w's value over wires that are not eliminated). */
  private addResolved(out: Lc, w: number, c: bigint): void {
    const k = mod(c);
    if (k === 0n) return;
    const subs = this.substitutions;
    const list = this.coefficients.list;
    const p = this.resolvedAt(w);
    const n = subs.arena[p];
    for (let i = 0; i < n; i++) addTerm(out, subs.arena[p + 1 + 2 * i], list[subs.arena[p + 2 + 2 * i]], k);
  }

  /** Where w's value is stored with no eliminated wire in it (resolved and stored again once). */
  private resolvedAt(w: number): number {
    const subs = this.substitutions;
    const p = subs.of(w);
    const n = subs.arena[p];
    let needs = false;
    for (let i = 0; i < n && !needs; i++) needs = subs.has(subs.arena[p + 1 + 2 * i]);
    if (!needs) return p;
    const list = this.coefficients.list;
    const r = new Map<number, bigint>();
    // The arena may move while a term is resolved: it is read through subs each time.
    for (let i = 0; i < n; i++) {
      const v = subs.arena[p + 1 + 2 * i];
      const c = list[subs.arena[p + 2 + 2 * i]];
      if (subs.has(v)) this.addResolved(r, v, c);
      else addTerm(r, v, c, ONE);
    }
    subs.set(w, r);
    return subs.of(w);
  }

  /**
   * The finished system: constraints over the surviving wires, renumbered densely in creation order.
   * The stored constraints move into it, and the wire values are dropped (a system is finished once).
   */
  finish(): FinishedSystem {
    const nLabels = this.values.length;
    this.values.length = 0;
    const used = new Uint8Array(nLabels);
    for (const w of this.fixed) used[w] = 1;
    const resolved = new PackedConstraints(this.coefficients);
    const subs = this.substitutions;
    this.quadratics.drain((chunk, at) => {
      const lcs = at.map((p) => {
        let substituted = false;
        for (let i = 0; i < chunk[p] && !substituted; i++) substituted = subs.has(chunk[p + 1 + 2 * i]);
        return substituted ? this.resolve(this.quadratics.decode(chunk, p)) : { chunk, p };
      });
      resolved.push(lcs);
    });
    // Written as circom does (C = -(y - x): the first signal's coefficient is -1).
    for (const lc of this.fixedLinear) resolved.push([new Map(), new Map(), addScaled(new Map(), lc, -1n)]);
    resolved.forEachWire((w) => (used[w] = 1));
    const wireOf = new Int32Array(nLabels).fill(-1);
    let nWires = 0;
    for (let w = 0; w < nLabels; w++) if (used[w] === 1 && !subs.has(w)) wireOf[w] = nWires++;
    subs.release();
    const labels = new Int32Array(nWires);
    for (let w = 0; w < nLabels; w++) if (wireOf[w] >= 0) labels[wireOf[w]] = w;
    return { constraints: resolved, labels, wireOf, names: this.names, nLabels };
  }

  /** The witness only (a witness-only build: every wire, no elimination), by label. */
  get labelValues(): readonly bigint[] {
    return this.values;
  }
}

export interface FinishedSystem {
  /** The constraints A · B = C over surviving labels (map them to wires with wireOf), each combination sorted; read once. */
  constraints: PackedConstraints;
  /** wire → label (the signal's id when created). */
  labels: Int32Array;
  /** label → wire, -1 when eliminated or unused. */
  wireOf: Int32Array;
  /** label → signal name (circom's naming, for the .sym file and the audit). */
  names: Names;
  nLabels: number;
}
