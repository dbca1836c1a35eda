/**
 * The linear constraints circom's --O2 keeps for the public outputs, counted from the quantized model.
 *
 * --O2 solves every linear constraint for a signal that is neither public nor the constant 1 (private
 * inputs and weights included: only main's outputs and public inputs are kept as wires) and
 * substitutes it everywhere; a constraint left with public signals only stays in the r1cs. Each public
 * output element y is a linear function of free private signals (private input elements, weight
 * signals, the outputs of non-linear gadgets) plus public inputs and a constant, so over n output
 * elements exactly n − rank(their private parts) constraints stay:
 *   - an element with no private part: a constant (a Pad value, Trilu's zeros) or a function of public
 *     inputs only, pinned by its own constraint;
 *   - an element whose private part is a combination of the other outputs' (an input copied twice by
 *     an Upsample, Y_h repeating Y's last step, a Resize read beside a CumSum of the same input).
 * Within one output or across outputs makes no difference, nor does which element circom picks.
 */
import type { QuantizedModel, Row } from '../formats/quantized-model';
import { BN254_R, fieldElement } from '../formats/field';
import { batchSize, commitmentLayout } from '../commit/layout';

/** A linear combination of symbols (id → coefficient mod r); the constant term is left out. */
type Expr = Map<number, bigint>;

export interface KeptOutputConstraints {
  /** Output elements with no private part: constants, or functions of public inputs only. */
  constant: number;
  /** Output elements linear in the private parts of other output elements. */
  dependent: number;
}

const mod = (v: bigint): bigint => ((v % BN254_R) + BN254_R) % BN254_R;

function inverse(a: bigint): bigint {
  let [r0, r1] = [BN254_R, mod(a)];
  let [t0, t1] = [0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return mod(t0);
}

/** Adds c·e into acc. */
function addScaled(acc: Expr, e: Expr, c: bigint): void {
  for (const [s, v] of e) {
    const next = mod((acc.get(s) ?? 0n) + c * v);
    if (next === 0n) acc.delete(s);
    else acc.set(s, next);
  }
}

/**
 * Each tensor element as an expression over symbols, built on demand. A symbol is a private input
 * element, a weight signal, a public input element (marked public: it never counts towards the rank),
 * or the output of a non-linear gadget or product (a free signal: its bits or product wire enter no
 * other linear relation, so it is independent of everything else).
 */
class Expressions {
  private readonly producer: Map<number, QuantizedModel['layers'][number]>;
  private readonly inputs: Map<number, QuantizedModel['inputs'][number]>;
  private readonly memo = new Map<number, Array<Expr | undefined>>();
  private readonly ids = new Map<string, number>();
  readonly publicSymbols = new Set<number>();
  readonly weightSymbols = new Set<number>();

  constructor(private readonly model: QuantizedModel) {
    this.producer = new Map(model.layers.map((l) => [l.out, l]));
    this.inputs = new Map(model.inputs.map((i) => [i.tensor, i]));
  }

  get symbolCount(): number {
    return this.ids.size;
  }

  private symbol(key: string): Expr {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(key, id);
      if (key.startsWith('w')) this.weightSymbols.add(id);
      if (key.startsWith('p')) this.publicSymbols.add(id);
    }
    return new Map([[id, 1n]]);
  }

  of(t: number, j: number): Expr {
    let cache = this.memo.get(t);
    if (!cache) this.memo.set(t, (cache = new Array<Expr | undefined>(this.model.tensors[t].size)));
    return (cache[j] ??= this.build(t, j));
  }

  private build(t: number, j: number): Expr {
    const input = this.inputs.get(t);
    if (input) return this.symbol(`${input.visibility === 'public' ? 'p' : 'x'}${t}:${j}`);
    const layer = this.producer.get(t)!;
    const g = layer.gadgets![j];
    const row = layer.rows[j];
    if (g.kind === 'zero' || g.kind === 'one') return new Map();
    // out = in + 2^b has one bit when b = 0: the bit is the accumulator itself.
    if (g.kind === 'linear' || (g.kind === 'nonNegative' && g.b === 0)) return this.accumulator(row, t, j);
    return this.symbol(`g${t}:${j}`);
  }

  /** bias + Σ c·x + Σ c·w + products: the products (and weight-coefficient terms) are one free signal. */
  private accumulator(row: Row, t: number, j: number): Expr {
    const e: Expr = new Map();
    for (const [ti, i, c, param] of row.terms) if (param === undefined) addScaled(e, this.of(ti, i), fieldElement(c));
    for (const [p, c] of row.paramTerms ?? []) addScaled(e, this.symbol(`w${p}`), fieldElement(c));
    const constantProducts = row.products.every(([ta, ia, tb, ib]) => this.of(ta, ia).size === 0 && this.of(tb, ib).size === 0);
    if (!constantProducts || row.terms.some((term) => term[3] !== undefined)) addScaled(e, this.symbol(`d${t}:${j}`), 1n);
    return e;
  }
}

/** Rank of rows over the field, by elimination into rows whose first (smallest) symbol is their pivot. */
function rank(rows: Expr[]): number {
  const pivots = new Map<number, Expr>();
  for (const row of rows) {
    const r = new Map(row);
    while (r.size > 0) {
      let s = Infinity;
      for (const k of r.keys()) if (k < s) s = k;
      const pivot = pivots.get(s);
      if (!pivot) {
        const inv = inverse(r.get(s)!);
        for (const [k, v] of r) r.set(k, mod(v * inv));
        pivots.set(s, r);
        break;
      }
      addScaled(r, pivot, BN254_R - r.get(s)!);
    }
  }
  return pivots.size;
}

/** Per proof (every inference of the batch). Zero when the outputs are hashed: then none is public. */
export function keptOutputConstraints(model: QuantizedModel): KeptOutputConstraints {
  if (commitmentLayout(model).outputs) return { constant: 0, dependent: 0 };
  const exprs = new Expressions(model);
  const rows: Expr[] = [];
  for (const o of model.outputs) {
    for (let j = 0; j < model.tensors[o.tensor].size; j++) {
      const e = exprs.of(o.tensor, j);
      rows.push(new Map([...e].filter(([s]) => !exprs.publicSymbols.has(s))));
    }
  }
  const k = batchSize(model);
  const constant = rows.filter((r) => r.size === 0).length;
  const shared = rows.some((r) => [...r.keys()].some((s) => exprs.weightSymbols.has(s)));
  if (k === 1 || !shared) return { constant: k * constant, dependent: k * (rows.length - constant - rank(rows)) };
  // The k inferences share the weight signals: their outputs can depend on each other through them.
  const n = exprs.symbolCount;
  const all = Array.from({ length: k }, (_, b) => rows.map((r) => new Map([...r].map(([s, v]) => [exprs.weightSymbols.has(s) ? s : s + (b + 1) * n, v])))).flat();
  return { constant: k * constant, dependent: all.length - k * constant - rank(all) };
}
