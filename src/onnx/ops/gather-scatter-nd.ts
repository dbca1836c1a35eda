/**
 * GatherND (batch_dims) and ScatterND (reduction none) with constant indices: fixed index maps,
 * so pure wiring (no constraint; src/quantize/lower/shape-ops.ts). Indices computed at run time
 * and ScatterND's add/mul/max/min reductions are refused at ingest, naming the node (and the
 * attribute). Negative indices count from the end; one outside [−s, s) is SHAPE_MISMATCH, as
 * onnxruntime refuses it. A repeated ScatterND index keeps the last update (the spec leaves it
 * undefined; onnxruntime writes in order), as ScatterElements does.
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { strides } from '../tensor';
import { checkAttributes, IndexMap, indexMapFamily, newIndexMap, requireCount } from './index-map';
import { checkedIndex } from './indexing';
import { intAttr, unsupportedAttr } from './op-family';

function constantIndices(node: IrNode, consts: Array<FloatTensor | undefined>): FloatTensor {
  const indices = consts[1];
  if (!indices) {
    throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}): its indices are computed at run time; only constant indices are supported`, {
      node: node.name,
      opType: node.opType,
    });
  }
  return indices;
}

const mismatch = (node: IrNode, why: string) => new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (${node.opType}): ${why}`, { node: node.name });

/** GatherND's batch_dims b and index depth m, checked against the shapes. */
function gatherNdPlan(node: IrNode, [data, indices]: number[][]): { b: number; m: number; outShape: number[] } {
  checkAttributes(node, ['batch_dims']);
  const b = intAttr(node, 'batch_dims', 0);
  const q = indices.length;
  if (!Number.isInteger(b) || b < 0 || b >= Math.min(q, data.length)) throw unsupportedAttr(node, 'batch_dims', b);
  const m = indices[q - 1];
  if (m < 1 || m > data.length - b) throw mismatch(node, `an index tuple of ${m} does not fit data [${data}] after ${b} batch dimensions`);
  if (indices.slice(0, b).some((d, k) => d !== data[k])) throw mismatch(node, `the batch dimensions of indices [${indices}] and data [${data}] differ`);
  return { b, m, outShape: [...indices.slice(0, q - 1), ...data.slice(b + m)] };
}

/** out[c, r] = data[c[:b], indices[c], r] for the index tuple at batch-and-index coordinate c. */
function gatherNdMap(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>): IndexMap {
  requireCount(node, shapes.length, 2);
  const [data, indexShape] = shapes;
  const { b, m, outShape } = gatherNdPlan(node, shapes);
  const indices = constantIndices(node, consts).data;
  const ds = strides(data);
  const tuples = sizeOf(indexShape.slice(0, -1));
  const perBatch = sizeOf(indexShape.slice(b, -1));
  const slice = sizeOf(data.slice(b + m));
  const map = newIndexMap(outShape);
  for (let t = 0; t < tuples; t++) {
    let base = Math.floor(t / perBatch) * (b > 0 ? ds[b - 1] : 0);
    for (let k = 0; k < m; k++) base += checkedIndex(node, indices[t * m + k], data[b + k]) * ds[b + k];
    for (let j = 0; j < slice; j++) map.index[t * slice + j] = base + j;
  }
  return map;
}

export const gatherNdFamily = indexMapFamily(['GatherND'], {
  operands: () => [0],
  shapes: (node, shapes, consts) => [gatherNdMap(node, shapes, consts).shape], // indices checked at ingest
  maps: (node, shapes, consts) => [gatherNdMap(node, shapes, consts)],
  runtimeParam: () => 'its indices are computed at run time; only constant indices are supported',
});

/** ScatterND's shapes: updates = indices.shape[:-1] + data.shape[k:]; reduction none only. */
function scatterNdPlan(node: IrNode, [data, indices, updates]: number[][]): number {
  checkAttributes(node, ['reduction']);
  const reduction = node.attributes.reduction ?? 'none';
  if (reduction !== 'none') throw unsupportedAttr(node, 'reduction', reduction);
  const k = indices[indices.length - 1];
  if (k < 1 || k > data.length) throw mismatch(node, `an index tuple of ${k} does not fit data [${data}]`);
  const want = [...indices.slice(0, -1), ...data.slice(k)];
  if (updates.length !== want.length || updates.some((d, i) => d !== want[i])) throw mismatch(node, `updates [${updates}] should have shape [${want}]`);
  return k;
}

/** out = data, then out[indices[t]] = updates[t] for each tuple t in order. */
function scatterNdMap(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>): IndexMap {
  requireCount(node, shapes.length, 3);
  const [data, indexShape] = shapes;
  const k = scatterNdPlan(node, shapes);
  const indices = constantIndices(node, consts).data;
  const ds = strides(data);
  const slice = sizeOf(data.slice(k));
  const map = newIndexMap(data);
  for (let i = 0; i < map.index.length; i++) map.index[i] = i;
  const tuples = sizeOf(indexShape.slice(0, -1));
  for (let t = 0; t < tuples; t++) {
    let base = 0;
    for (let d = 0; d < k; d++) base += checkedIndex(node, indices[t * k + d], data[d]) * ds[d];
    for (let j = 0; j < slice; j++) {
      map.operand[base + j] = 1;
      map.index[base + j] = t * slice + j;
    }
  }
  return map;
}

export const scatterNdFamily = indexMapFamily(['ScatterND'], {
  operands: () => [0, 2],
  shapes: (node, shapes, consts) => [scatterNdMap(node, shapes, consts).shape],
  maps: (node, shapes, consts) => [scatterNdMap(node, shapes, consts)],
  runtimeParam: () => 'its indices are computed at run time; only constant indices are supported',
});
