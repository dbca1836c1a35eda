/**
 * GatherND and ScatterND (docs/logic.md, "Indices computed at run time"). Constant indices with
 * GatherND or ScatterND's reduction none are a fixed copy (./shape-ops). Otherwise each index tuple
 * becomes one cell index over the indexed axes: every coordinate wrapped into [0, s_k) by its own
 * range check (no witness outside [−s_k, s_k)), then cell = Σ_k c_k·Π_{l>k} s_l, a free linear
 * layer; the cell's indicator bits (./indexing) select a slice (GatherND, as Gather does) or say
 * where an update lands (ScatterND, ./scatter). Constant indices with add or mul give the hits as
 * certainties: no bits.
 */
import type { IrNode } from '../../formats/graph';
import { gatherNdPlan, NdLayout, scatterNdPlan, scatterNdTargets } from '../../onnx/ops/gather-scatter-nd';
import type { LowerContext, RowDraft, VarTensor } from '../context';
import { indexTensor, indicatorBits, possible, select, tableOf, wrappedIndex } from './indexing';
import { lowerScatter, ScatterHit } from './scatter';
import { lowerIndexMapped } from './shape-ops';
import { emptyRow } from './terms';

/** Each index tuple's cell over the indexed axes, range-checked and wrapped coordinate by coordinate. */
function cellIndex(ctx: LowerContext, node: IrNode, idx: VarTensor, plan: NdLayout): VarTensor {
  const m = plan.axes.length;
  const tuples = Array.from({ length: plan.tuples }, (_, t) => t);
  const wrapped = plan.axes.map((s, k) =>
    wrappedIndex(
      ctx,
      node,
      idx,
      tuples.map((t) => t * m + k),
      s,
      `index_in_range_${k}`,
    ),
  );
  if (m === 1) return wrapped[0] ?? idx;
  const coordinate = (k: number, t: number): [VarTensor, number] => (wrapped[k] ? [wrapped[k]!, t] : [idx, t * m + k]);
  const rows = tuples.map((t) => {
    const row: RowDraft = emptyRow();
    let stride = 1;
    for (let k = m - 1; k >= 0; k--) {
      const [v, e] = coordinate(k, t);
      row.terms.push([v.id, e, BigInt(stride)]);
      row.error += stride * ctx.error(v, e);
      stride *= plan.axes[k];
    }
    return row;
  });
  return ctx.addLayer(node, `${node.outputs[0]}/cell`, [plan.tuples], rows, 0, 0, false);
}

/** GatherND(data, indices): out[t, r] = data[batch(t), cell(t), r], selected by the cell's bits. */
export function lowerGatherND(node: IrNode, ctx: LowerContext): void {
  if (ctx.constant(node.inputs[1])) return lowerIndexMapped(node, ctx);
  const plan = gatherNdPlan(
    node,
    node.inputs.map((x) => ctx.graph.shapes.get(x)!),
  );
  const idx = indexTensor(ctx, node, 1);
  const bits = indicatorBits(ctx, node, cellIndex(ctx, node, idx, plan), plan.cells, 'indicator');
  const { slice, perBatch, batchStride } = plan;
  select(
    ctx,
    node,
    bits,
    plan.cells,
    tableOf(ctx, node.inputs[0]),
    plan.outShape,
    (o) => Math.floor(o / slice),
    (o, k) => Math.floor(o / slice / perBatch) * batchStride + k * slice + (o % slice),
  );
}

/** ScatterND(data, indices, updates): tuple t's slice of updates lands at cell(t), in order. */
export function lowerScatterND(node: IrNode, ctx: LowerContext): void {
  const shapes = node.inputs.map((x) => ctx.graph.shapes.get(x)!);
  const plan = scatterNdPlan(node, shapes);
  const constant = ctx.constant(node.inputs[1]);
  if (constant && plan.reduction === 'none') return lowerIndexMapped(node, ctx);
  const { slice, cells } = plan;
  const hitOf = (t: number, p: number): number => t * slice + (p % slice);
  let at: (step: number, p: number) => ScatterHit | undefined;
  let bits: VarTensor | undefined;
  if (constant) {
    const targets = scatterNdTargets(node, plan, constant.data);
    at = (t, p) => (p - (p % slice) === targets[t] ? { update: hitOf(t, p) } : undefined);
  } else {
    const b = indicatorBits(ctx, node, cellIndex(ctx, node, indexTensor(ctx, node, 1), plan), cells, 'indicator');
    bits = b;
    at = (t, p) => {
      const bit = t * cells + Math.floor(p / slice);
      return possible(ctx, b, bit) ? { update: hitOf(t, p), bit } : undefined;
    };
  }
  lowerScatter(ctx, node, {
    shape: shapes[0],
    data: tableOf(ctx, node.inputs[0]),
    updates: tableOf(ctx, node.inputs[2]),
    bits,
    steps: plan.tuples,
    at,
    reduction: plan.reduction,
  });
}
