/**
 * GatherND (batch_dims) and ScatterND (reductions none, add and mul): shapes and float semantics.
 * With constant indices, GatherND and ScatterND with reduction none are fixed index maps, so pure
 * wiring (src/quantize/lower/shape-ops.ts); with indices computed at run time, and for ScatterND's
 * add and mul, src/quantize/lower/gather-scatter-nd.ts selects by indicator bits. Reductions max and
 * min are refused at ingest, naming the node and the attribute. Negative indices count from the
 * end; a constant one outside [−s, s) is SHAPE_MISMATCH at ingest, as onnxruntime refuses it (a
 * run-time one has no witness). A repeated ScatterND index with reduction none keeps the last
 * update (the spec leaves it undefined; onnxruntime writes in order), as ScatterElements does; with
 * add and mul every update counts.
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { checkAttributes, IndexMap, indexMapFamily, newIndexMap, requireCount } from './index-map';
import { checkedIndex } from './indexing';
import { intAttr, unsupportedAttr } from './op-family';

const mismatch = (node: IrNode, why: string) => new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (${node.opType}): ${why}`, { node: node.name });

/**
 * The flattened view both ops work in: `tuples` index tuples of `depth` coordinates, each over the
 * axes `axes` of data; a tuple picks one of `cells` = Π axes positions, each a contiguous `slice` of
 * data; `perBatch` tuples share one batch (GatherND's batch_dims), whose data starts `batchStride`
 * apart.
 */
export interface NdLayout {
  axes: number[];
  tuples: number;
  perBatch: number;
  cells: number;
  slice: number;
  batchStride: number;
}

function layout(data: number[], indices: number[], b: number, depth: number): NdLayout {
  const axes = data.slice(b, b + depth);
  const slice = sizeOf(data.slice(b + depth));
  const cells = sizeOf(axes);
  return { axes, tuples: sizeOf(indices.slice(0, -1)), perBatch: sizeOf(indices.slice(b, -1)), cells, slice, batchStride: cells * slice };
}

/** The cell (flat position over `axes`) of tuple t, its coordinates wrapped and checked. */
function cellOf(node: IrNode, values: ArrayLike<number>, t: number, axes: number[]): number {
  let cell = 0;
  for (let k = 0; k < axes.length; k++) cell = cell * axes[k] + checkedIndex(node, values[t * axes.length + k], axes[k]);
  return cell;
}

/** GatherND's batch_dims b and index depth m, checked against the shapes, and its flattened view. */
export function gatherNdPlan(node: IrNode, [data, indices]: number[][]): NdLayout & { outShape: number[] } {
  checkAttributes(node, ['batch_dims']);
  const b = intAttr(node, 'batch_dims', 0);
  const q = indices.length;
  if (!Number.isInteger(b) || b < 0 || b >= Math.min(q, data.length)) throw unsupportedAttr(node, 'batch_dims', b);
  const m = indices[q - 1];
  if (m < 1 || m > data.length - b) throw mismatch(node, `an index tuple of ${m} does not fit data [${data}] after ${b} batch dimensions`);
  if (indices.slice(0, b).some((d, k) => d !== data[k])) throw mismatch(node, `the batch dimensions of indices [${indices}] and data [${data}] differ`);
  return { ...layout(data, indices, b, m), outShape: [...indices.slice(0, q - 1), ...data.slice(b + m)] };
}

/** out[t, r] = data[batch(t), indices[t], r] for each index tuple t. */
function gatherNdMap(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>): IndexMap {
  requireCount(node, shapes.length, 2);
  const plan = gatherNdPlan(node, shapes);
  const map = newIndexMap(plan.outShape);
  const indices = consts[1];
  if (!indices) return map; // indices computed at run time: the shape only (lowering selects)
  for (let t = 0; t < plan.tuples; t++) {
    const base = Math.floor(t / plan.perBatch) * plan.batchStride + cellOf(node, indices.data, t, plan.axes) * plan.slice;
    for (let j = 0; j < plan.slice; j++) map.index[t * plan.slice + j] = base + j;
  }
  return map;
}

export const gatherNdFamily = indexMapFamily(['GatherND'], {
  operands: () => [0],
  shapes: (node, shapes, consts) => [gatherNdMap(node, shapes, consts).shape], // constant indices checked at ingest
  maps: (node, shapes, consts) => [gatherNdMap(node, shapes, consts)],
});

export type ScatterReduction = 'none' | 'add' | 'mul';

/** ScatterND's shapes (updates = indices.shape[:-1] + data.shape[k:]), reduction and flattened view. */
export function scatterNdPlan(node: IrNode, [data, indices, updates]: number[][]): NdLayout & { reduction: ScatterReduction } {
  checkAttributes(node, ['reduction']);
  const reduction = node.attributes.reduction ?? 'none';
  if (reduction !== 'none' && reduction !== 'add' && reduction !== 'mul') throw unsupportedAttr(node, 'reduction', reduction);
  const k = indices[indices.length - 1];
  if (k < 1 || k > data.length) throw mismatch(node, `an index tuple of ${k} does not fit data [${data}]`);
  const want = [...indices.slice(0, -1), ...data.slice(k)];
  if (updates.length !== want.length || updates.some((d, i) => d !== want[i])) throw mismatch(node, `updates [${updates}] should have shape [${want}]`);
  return { ...layout(data, indices, 0, k), reduction };
}

/** For each tuple t in order, the data position of its slice's first element. */
export function scatterNdTargets(node: IrNode, plan: NdLayout, indices: ArrayLike<number>): number[] {
  return Array.from({ length: plan.tuples }, (_, t) => cellOf(node, indices, t, plan.axes) * plan.slice);
}

/** Reduction none as an index map: out = data, then out[indices[t]] = updates[t] for each tuple t in order. */
function scatterNdMap(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>): IndexMap {
  requireCount(node, shapes.length, 3);
  const plan = scatterNdPlan(node, shapes);
  const map = newIndexMap(shapes[0]);
  for (let i = 0; i < map.index.length; i++) map.index[i] = i;
  const indices = consts[1];
  if (!indices) return map; // the shape only
  scatterNdTargets(node, plan, indices.data).forEach((base, t) => {
    for (let j = 0; j < plan.slice; j++) {
      map.operand[base + j] = 1;
      map.index[base + j] = t * plan.slice + j;
    }
  });
  return map;
}

const scatterNdMaps = indexMapFamily(['ScatterND'], {
  operands: () => [0, 2],
  shapes: (node, shapes, consts) => [scatterNdMap(node, shapes, consts).shape],
  maps: (node, shapes, consts) => [scatterNdMap(node, shapes, consts)],
});

/** ScatterND: out = data, then per tuple t in order out[indices[t]] = updates[t], += or *= it. */
export const scatterNdFamily = {
  ...scatterNdMaps,
  evalFloat(node: IrNode, [data, indices, updates]: FloatTensor[]): FloatTensor[] {
    const plan = scatterNdPlan(node, [data.shape, indices.shape, updates.shape]);
    const out = Float64Array.from(data.data);
    scatterNdTargets(node, plan, indices.data).forEach((base, t) => {
      for (let j = 0; j < plan.slice; j++) {
        const u = updates.data[t * plan.slice + j];
        const p = base + j;
        out[p] = plan.reduction === 'add' ? out[p] + u : plan.reduction === 'mul' ? out[p] * u : u;
      }
    });
    return [{ shape: data.shape, data: out }];
  },
};
