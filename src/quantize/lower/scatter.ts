/**
 * Writing updates into data at indices (docs/logic.md, "Indices computed at run time"), shared by
 * ScatterElements and ScatterND. The updates come in steps, in the op's order; at each step a data
 * position p is hit by at most one update, through an indicator bit b (a run-time index) or for
 * certain (a constant one):
 *  - none: v[p] += b·(u − v[p]), one product per position and step (a later hit overwrites: the
 *    last update wins, as onnxruntime writes in order; the spec leaves repeats undefined);
 *  - add:  out[p] = data[p] + Σ_steps b·u, one product per position and step (linear when u is
 *    constant); every update counts, repeats included;
 *  - mul:  v[p] = v[p]·(1 + b·(u − 1)), two products per position and step (one when u is
 *    constant), and one rescale at the end when u has fraction bits.
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import type { ScatterReduction } from '../../onnx/ops/gather-scatter-nd';
import { gatherElementsLines, scatterElementsAxis, scatterElementsReduction } from '../../onnx/ops/indexing';
import type { LowerContext, RowDraft, VarTensor } from '../context';
import { indexTensor, indicatorBits, normalizedIndex, possible, type Table, tableOf } from './indexing';
import { addConstant, addProduct, addWeightedTerm, emptyRow } from './terms';

/** Which update hits a data position at a step: its element in `updates`, and its indicator bit (none: a constant index). */
export interface ScatterHit {
  update: number;
  bit?: number;
}

export interface ScatterSpec {
  shape: number[];
  data: Table;
  updates: Table;
  /** The indicator bits the hits' `bit` index (absent with constant indices). */
  bits?: VarTensor;
  steps: number;
  at(step: number, p: number): ScatterHit | undefined;
  reduction: ScatterReduction;
}

/** Adds value p of a table (run-time, or constant) at scale s. */
export function addValue(ctx: LowerContext, row: RowDraft, t: Table, p: number, s: number, sign = 1): void {
  if (t.v) addWeightedTerm(ctx, row, t.v, p, sign, s);
  else addConstant(row, sign * t.c!.data[p], s);
}

const integral = (t: Table) => !t.v && t.c!.data.every(Number.isInteger);

/** A table's scale: a run-time one's, 0 for integer constants, else the output's calibrated scale. */
function scaleOf(ctx: LowerContext, t: Table, out: string): number {
  return t.v ? t.v.scaleBits : integral(t) ? 0 : ctx.targetScale(out);
}

export function lowerScatter(ctx: LowerContext, node: IrNode, spec: ScatterSpec): void {
  const out = node.outputs[0];
  if (spec.reduction === 'mul') return scatterMul(ctx, node, spec, out);
  const scales = [spec.data, spec.updates].flatMap((t) => (t.v ? [t.v.scaleBits] : []));
  const s = scales.length > 0 ? Math.max(...scales) : ctx.targetScale(out);
  if (spec.reduction === 'add') return scatterAdd(ctx, node, spec, s, out);
  if (spec.steps === 0) return copy(ctx, node, spec, s, out);
  const size = spec.data.v ? ctx.tensors[spec.data.v.id].size : spec.data.c!.data.length;
  let v: Table = spec.data;
  for (let step = 0; step < spec.steps; step++) {
    const name = step === spec.steps - 1 ? out : `${out}/step_${step}`;
    const prev = v;
    let diff: VarTensor | undefined;
    if (prev.v || spec.updates.v) {
      const diffRows = Array.from({ length: size }, (_, p) => {
        const row = emptyRow();
        const hit = spec.at(step, p);
        if (hit?.bit !== undefined) {
          addValue(ctx, row, spec.updates, hit.update, s);
          addValue(ctx, row, prev, p, s, -1);
        }
        return row;
      });
      diff = ctx.addLayer(node, `${out}/update_minus_value_${step}`, spec.shape, diffRows, s, 0, false);
    }
    const rows = Array.from({ length: size }, (_, p) => {
      const row = emptyRow();
      const hit = spec.at(step, p);
      if (hit && hit.bit === undefined) {
        addValue(ctx, row, spec.updates, hit.update, s);
        return row;
      }
      addValue(ctx, row, prev, p, s);
      if (hit && diff) addProduct(ctx, row, spec.bits!, hit.bit!, diff, p);
      else if (hit) addWeightedTerm(ctx, row, spec.bits!, hit.bit!, spec.updates.c!.data[hit.update] - prev.c!.data[p], s);
      return row;
    });
    v = { v: ctx.addLayer(node, name, spec.shape, rows, s, 0, false) };
  }
}

/** No update at all: the output is the data. */
function copy(ctx: LowerContext, node: IrNode, spec: ScatterSpec, s: number, out: string): void {
  const size = spec.data.v ? ctx.tensors[spec.data.v.id].size : spec.data.c!.data.length;
  const rows = Array.from({ length: size }, (_, p) => {
    const row = emptyRow();
    addValue(ctx, row, spec.data, p, s);
    return row;
  });
  ctx.addLayer(node, out, spec.shape, rows, s, 0, false);
}

/** out[p] = data[p] + Σ_steps b·u: run-time updates are first aligned to scale s (a free linear layer) for their products. */
function scatterAdd(ctx: LowerContext, node: IrNode, spec: ScatterSpec, s: number, out: string): void {
  let updates = spec.updates;
  if (updates.v && updates.v.scaleBits !== s) {
    const u = updates.v;
    const rows = Array.from({ length: ctx.tensors[u.id].size }, (_, e) => {
      const row = emptyRow();
      addWeightedTerm(ctx, row, u, e, 1, s);
      return row;
    });
    updates = { v: ctx.addLayer(node, `${out}/updates_aligned`, u.shape, rows, s, 0, false) };
  }
  const size = spec.data.v ? ctx.tensors[spec.data.v.id].size : spec.data.c!.data.length;
  const rows = Array.from({ length: size }, (_, p) => {
    const row = emptyRow();
    addValue(ctx, row, spec.data, p, s);
    for (let step = 0; step < spec.steps; step++) {
      const hit = spec.at(step, p);
      if (!hit) continue;
      if (hit.bit === undefined) addValue(ctx, row, updates, hit.update, s);
      else if (updates.v) addProduct(ctx, row, spec.bits!, hit.bit, updates.v, hit.update);
      else addWeightedTerm(ctx, row, spec.bits!, hit.bit, updates.c!.data[hit.update], s);
    }
    return row;
  });
  ctx.addLayer(node, out, spec.shape, rows, s, 0, false);
}

/** Fraction bits a mul chain may carry before it is rescaled: the bounds stay far below the field. */
const MAX_CHAIN_BITS = 64;

/**
 * v[p] ← v[p]·f per step, f = 1 + b·(u − 1) at u's scale su (u itself for a constant index), only
 * at the positions some step may hit. The chain keeps the fraction bits (a position not hit this
 * step is scaled by 2^su, free) and is rescaled once at the end back to v's scale s: one rounding,
 * exact and free when su = 0 (integers); earlier only if it would carry more than 64 fraction bits.
 */
function scatterMul(ctx: LowerContext, node: IrNode, spec: ScatterSpec, out: string): void {
  const s = scaleOf(ctx, spec.data, out);
  const su = scaleOf(ctx, spec.updates, out);
  const one = 1n << BigInt(su);
  const size = spec.data.v ? ctx.tensors[spec.data.v.id].size : spec.data.c!.data.length;
  const hitAt = Array.from({ length: spec.steps }, (_, step) => Array.from({ length: size }, (_, p) => spec.at(step, p)));
  // The positions some step may hit; the others are copied from the data at the end.
  const hit = Array.from({ length: size }, (_, p) => p).filter((p) => hitAt.some((h) => h[p]));
  if (hit.length === 0) return copy(ctx, node, spec, s, out);
  let uMinusOne: VarTensor | undefined;
  if (spec.updates.v && hitAt.some((h) => h.some((x) => x?.bit !== undefined))) {
    const u = spec.updates.v;
    const rows = Array.from({ length: ctx.tensors[u.id].size }, (_, e) => ({ ...emptyRow(), bias: -one, terms: [[u.id, e, 1n]] as RowDraft['terms'], error: ctx.error(u, e) }));
    uMinusOne = ctx.addLayer(node, `${out}/updates_minus_one`, u.shape, rows, su, 0, false);
  }
  const shape = [hit.length];
  // v over the hit positions: the data (at scale s), then each step's product chain at scale s + extra.
  let v: Table = spec.data;
  let at = (h: number) => hit[h];
  let extra = 0;
  for (let step = 0; step < spec.steps; step++) {
    const hits = hit.map((p) => hitAt[step][p]);
    let factor: VarTensor | undefined;
    if (hits.some((x) => x?.bit !== undefined)) {
      const factorRows = hits.map((x) => {
        const row = emptyRow();
        if (x?.bit === undefined) return row;
        row.bias = one;
        if (uMinusOne) addProduct(ctx, row, spec.bits!, x.bit, uMinusOne, x.update);
        else addWeightedTerm(ctx, row, spec.bits!, x.bit, spec.updates.c!.data[x.update] - 1, su);
        return row;
      });
      factor = ctx.addLayer(node, `${out}/factor_${step}`, shape, factorRows, su, 0, false);
    }
    const prev = v;
    const prevAt = at;
    const acc = s + extra + su;
    const rows = hits.map((x, h) => {
      const row = emptyRow();
      // f: the factor, or for a constant index the update itself.
      const f: Table = x?.bit === undefined ? spec.updates : { v: factor! };
      const fi = x?.bit === undefined ? (x?.update ?? 0) : h;
      const q = prevAt(h);
      if (!x) addValue(ctx, row, prev, q, acc);
      else if (prev.v && f.v) addProduct(ctx, row, prev.v, q, f.v, fi);
      else if (prev.v) addWeightedTerm(ctx, row, prev.v, q, f.c!.data[fi], acc);
      else if (f.v) addWeightedTerm(ctx, row, f.v, fi, prev.c!.data[q], acc);
      else addConstant(row, prev.c!.data[q] * f.c!.data[fi], acc);
      return row;
    });
    const last = step === spec.steps - 1;
    const rescale = last || extra + 2 * su > MAX_CHAIN_BITS ? extra + su : 0;
    const name = last && hit.length === size ? out : `${out}/step_${step}`;
    v = { v: ctx.addLayer(node, name, shape, rows, acc, rescale, false) };
    at = (h) => h;
    extra = extra + su - rescale;
  }
  if (hit.length === size) return;
  // The positions no step hits keep the data.
  const chained = v.v!;
  const index = new Map(hit.map((p, h) => [p, h]));
  const rows = Array.from({ length: size }, (_, p) => {
    const row = emptyRow();
    const h = index.get(p);
    if (h === undefined) addValue(ctx, row, spec.data, p, s);
    else addValue(ctx, row, { v: chained }, h, s);
    return row;
  });
  ctx.addLayer(node, out, spec.shape, rows, s, 0, false);
}

/**
 * ScatterElements(data, indices, updates), as onnxruntime runs it: per index element e in order, its
 * update hits the position of e's line at axis coordinate indices[e].
 */
export function lowerScatterElements(node: IrNode, ctx: LowerContext): void {
  const shapes = node.inputs.map((x) => ctx.graph.shapes.get(x)!);
  const axis = scatterElementsAxis(node, shapes);
  const n = shapes[0][axis];
  const { base, stride } = gatherElementsLines(shapes[0], shapes[1], axis);
  const idx = ctx.constant(node.inputs[1]) ? undefined : indexTensor(ctx, node, 1);
  if (!idx) {
    throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (ScatterElements): constant indices with run-time data are not supported yet`, { node: node.name, opType: node.opType });
  }
  const bits = indicatorBits(ctx, node, normalizedIndex(ctx, node, idx, n), n, 'indicator');
  // The index elements of each line, in order, by the line's position at axis coordinate 0.
  const lines = new Map<number, number[]>();
  base.forEach((b, e) => lines.set(b, [...(lines.get(b) ?? []), e]));
  const lineOf = (p: number) => p - (Math.floor(p / stride) % n) * stride;
  lowerScatter(ctx, node, {
    shape: shapes[0],
    data: tableOf(ctx, node.inputs[0]),
    updates: tableOf(ctx, node.inputs[2]),
    bits,
    steps: Math.max(0, ...[...lines.values()].map((l) => l.length)),
    at(step, p) {
      const e = lines.get(lineOf(p))?.[step];
      if (e === undefined) return undefined;
      const bit = e * n + (Math.floor(p / stride) % n);
      return possible(ctx, bits, bit) ? { update: e, bit } : undefined;
    },
    reduction: scatterElementsReduction(node),
  });
}
