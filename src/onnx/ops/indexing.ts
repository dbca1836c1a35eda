/**
 * Data-dependent indexing: GatherElements and OneHot (Gather is ./movement's index map; with
 * indices computed at run time all three lower to an indicator vector in
 * src/quantize/lower/indexing.ts). Shapes and float semantics here.
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { strides } from '../tensor';
import { checkAttributes, forEachCoord, intParam, normalizeAxis, requireCount } from './index-map';
import { intAttr, unsupportedAttr } from './op-family';
import type { OpFamily } from './op-family';

/** An index along an axis of size n, negative ones counting from the end; out of range is an error, as in onnxruntime. */
export function checkedIndex(node: IrNode, v: number, n: number): number {
  const i = v < 0 ? v + n : v;
  if (!Number.isInteger(i) || i < 0 || i >= n) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (${node.opType}): index ${v} is out of range for an axis of size ${n}`, { node: node.name });
  }
  return i;
}

export function gatherElementsAxis(node: IrNode, shapes: number[][]): number {
  checkAttributes(node, ['axis']);
  requireCount(node, shapes.length, 2);
  const [data, indices] = shapes;
  const axis = normalizeAxis(node, intAttr(node, 'axis', 0), data.length);
  if (indices.length !== data.length || indices.some((d, k) => k !== axis && d > data[k])) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (GatherElements): indices [${indices}] do not fit data [${data}] along axis ${axis}`, { node: node.name });
  }
  return axis;
}

/** For each output element of GatherElements, the flat data position of its axis coordinate 0 and the axis stride. */
export function gatherElementsLines(dataShape: number[], indexShape: number[], axis: number): { base: Int32Array; stride: number } {
  const ds = strides(dataShape);
  const base = new Int32Array(sizeOf(indexShape));
  forEachCoord(indexShape, (c, flat) => {
    let p = 0;
    for (let d = 0; d < c.length; d++) if (d !== axis) p += c[d] * ds[d];
    base[flat] = p;
  });
  return { base, stride: ds[axis] };
}

/** GatherElements(data, indices): out[c] = data[c with c[axis] = indices[c]]. */
export const gatherElementsFamily: OpFamily = {
  ops: ['GatherElements'],
  inferShapes(node, shapes) {
    gatherElementsAxis(node, shapes);
    return [shapes[1]];
  },
  evalFloat(node, [data, indices]) {
    const axis = gatherElementsAxis(node, [data.shape, indices.shape]);
    const n = data.shape[axis];
    const { base, stride } = gatherElementsLines(data.shape, indices.shape, axis);
    const out = Float64Array.from(base, (b, i) => data.data[b + checkedIndex(node, indices.data[i], n) * stride]);
    return [{ shape: indices.shape, data: out }];
  },
};

export interface OneHotPlan {
  depth: number;
  axis: number;
  outShape: number[];
  off: number;
  on: number;
}

/** OneHot's constant depth and values, and where the one-hot axis goes. */
export function oneHotPlan(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>): OneHotPlan {
  checkAttributes(node, ['axis']);
  requireCount(node, shapes.length, 3);
  const depthValues = intParam(node, consts, 3, 1, undefined, 'depth')!;
  if (depthValues.length !== 1 || depthValues[0] < 1) {
    throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (OneHot): depth must be one positive number`, { node: node.name });
  }
  const values = consts[2];
  if (!values) {
    throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (OneHot): its values (input 2) are computed at run time; only constant off/on values are supported`, {
      node: node.name,
      opType: 'OneHot',
    });
  }
  if (values.data.length !== 2) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (OneHot): values must hold [off, on]`, { node: node.name });
  const rank = shapes[0].length;
  const axis = normalizeAxis(node, intAttr(node, 'axis', -1), rank + 1);
  const depth = depthValues[0];
  const outShape = [...shapes[0].slice(0, axis), depth, ...shapes[0].slice(axis)];
  return { depth, axis, outShape, off: values.data[0], on: values.data[1] };
}

/** The one-hot position of index v: in range [−depth, depth) (negative from the end), else none (all off, per the ONNX spec). */
export function oneHotPosition(v: number, depth: number): number {
  const t = Math.trunc(v);
  const i = t < 0 ? t + depth : t;
  return i >= 0 && i < depth ? i : -1;
}

/** OneHot(indices, depth, values): a new axis of size depth, `on` at each index and `off` elsewhere. */
export const oneHotFamily: OpFamily = {
  ops: ['OneHot'],
  inferShapes: (node, shapes, consts) => [oneHotPlan(node, shapes, consts).outShape],
  evalFloat(node, inputs) {
    const plan = oneHotPlan(
      node,
      inputs.map((t) => t.shape),
      inputs,
    );
    const indices = inputs[0];
    const inner = sizeOf(indices.shape.slice(plan.axis));
    const out = new Float64Array(sizeOf(plan.outShape));
    forEachCoord(plan.outShape, (c, flat) => {
      const k = c[plan.axis];
      const src = flat % inner;
      const outer = Math.floor(flat / (plan.depth * inner));
      out[flat] = oneHotPosition(indices.data[outer * inner + src], plan.depth) === k ? plan.on : plan.off;
    });
    return [{ shape: plan.outShape, data: out }];
  },
};

export function scatterElementsAxis(node: IrNode, shapes: number[][]): number {
  checkAttributes(node, ['axis', 'reduction']);
  scatterElementsReduction(node);
  requireCount(node, shapes.length, 3);
  const [data, indices, updates] = shapes;
  const axis = normalizeAxis(node, intAttr(node, 'axis', 0), data.length);
  if (indices.length !== data.length || updates.join() !== indices.join() || indices.some((d, k) => k !== axis && d > data[k])) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (ScatterElements): indices [${indices}] and updates [${updates}] do not fit data [${data}] along axis ${axis}`, { node: node.name });
  }
  return axis;
}

/** Reduction none, add or mul; max and min are refused naming the attribute. */
export function scatterElementsReduction(node: IrNode): 'none' | 'add' | 'mul' {
  const reduction = node.attributes.reduction ?? 'none';
  if (reduction !== 'none' && reduction !== 'add' && reduction !== 'mul') throw unsupportedAttr(node, 'reduction', reduction);
  return reduction;
}

/**
 * ScatterElements(data, indices, updates): out = data, then for each index element in order,
 * out[c with c[axis] = indices[c]] = updates[c], += or *= it (reduction none: onnxruntime's order, a
 * repeated index keeps the last update; the ONNX spec leaves repeats undefined).
 */
export const scatterElementsFamily: OpFamily = {
  ops: ['ScatterElements'],
  inferShapes(node, shapes) {
    scatterElementsAxis(node, shapes);
    return [shapes[0]];
  },
  evalFloat(node, [data, indices, updates]) {
    const axis = scatterElementsAxis(node, [data.shape, indices.shape, updates.shape]);
    const n = data.shape[axis];
    const { base, stride } = gatherElementsLines(data.shape, indices.shape, axis);
    const reduction = scatterElementsReduction(node);
    const out = Float64Array.from(data.data);
    base.forEach((b, i) => {
      const p = b + checkedIndex(node, indices.data[i], n) * stride;
      out[p] = reduction === 'add' ? out[p] + updates.data[i] : reduction === 'mul' ? out[p] * updates.data[i] : updates.data[i];
    });
    return [{ shape: data.shape, data: out }];
  },
};
