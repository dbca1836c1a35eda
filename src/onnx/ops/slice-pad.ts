/** Slice and Pad: windows of a tensor, as index maps (no constraint once lowered). */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { strides } from '../tensor';
import { checkAttributes, FILL, forEachCoord, indexMapFamily, intParam, newIndexMap, normalizeAxes, requireCount } from './index-map';
import { floatAttr, present, unsupportedAttr } from './op-family';

type Consts = Array<FloatTensor | undefined>;

interface SliceSpec {
  shape: number[];
  start: number[];
  step: number[];
}

/**
 * ONNX Slice: starts/ends/axes/steps as constant inputs (opset ≥ 10) or attributes (opset < 10).
 * Negative starts/ends count from the end; out-of-range ones are clamped; negative steps walk backwards.
 */
function sliceSpec(node: IrNode, shapes: number[][], consts: Consts): SliceSpec {
  checkAttributes(node, ['starts', 'ends', 'axes']);
  const byAttr = node.attributes.starts !== undefined;
  requireCount(node, shapes.length, byAttr ? 1 : 3, byAttr ? 1 : 5);
  const inShape = shapes[0];
  const rank = inShape.length;
  const starts = intParam(node, consts, shapes.length, 1, byAttr ? 'starts' : undefined, 'starts')!;
  const ends = intParam(node, consts, shapes.length, 2, byAttr ? 'ends' : undefined, 'ends');
  if (ends === undefined) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (Slice) has no ends`, { node: node.name });
  const axes = normalizeAxes(node, intParam(node, consts, shapes.length, 3, byAttr ? 'axes' : undefined, 'axes') ?? starts.map((_, i) => i), rank);
  const steps = byAttr ? starts.map(() => 1) : (intParam(node, consts, shapes.length, 4, undefined, 'steps') ?? starts.map(() => 1));
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (Slice): starts, ends, axes and steps differ in length`, { node: node.name });
  }
  const spec: SliceSpec = { shape: [...inShape], start: inShape.map(() => 0), step: inShape.map(() => 1) };
  axes.forEach((axis, i) => {
    const dim = inShape[axis];
    const step = steps[i];
    if (step === 0) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (Slice): step 0 on axis ${axis}`, { node: node.name });
    let start = starts[i] < 0 ? starts[i] + dim : starts[i];
    let end = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (step > 0) {
      start = Math.min(Math.max(start, 0), dim);
      end = Math.min(Math.max(end, 0), dim);
    } else {
      start = Math.min(Math.max(start, 0), dim - 1);
      end = Math.min(Math.max(end, -1), dim - 1);
    }
    spec.shape[axis] = Math.max(0, Math.ceil((end - start) / step));
    spec.start[axis] = start;
    spec.step[axis] = step;
  });
  return spec;
}

export const sliceFamily = indexMapFamily(['Slice'], {
  operands: () => [0],
  shapes: (node, shapes, consts) => [sliceSpec(node, shapes, consts).shape],
  maps(node, shapes, consts) {
    const spec = sliceSpec(node, shapes, consts);
    const inStrides = strides(shapes[0]);
    const map = newIndexMap(spec.shape);
    forEachCoord(spec.shape, (c, flat) => {
      let idx = 0;
      for (let d = 0; d < c.length; d++) idx += (spec.start[d] + c[d] * spec.step[d]) * inStrides[d];
      map.index[flat] = idx;
    });
    return [map];
  },
});

const PAD_MODES = ['constant', 'reflect', 'edge', 'wrap'] as const;
type PadMode = (typeof PAD_MODES)[number];

interface PadSpec {
  mode: PadMode;
  shape: number[];
  begin: number[];
}

/** Pad: pads (and value) as attributes (opset < 11) or inputs pads, constant_value, axes (opset ≥ 11, axes from 18). */
function padSpec(node: IrNode, shapes: number[][], consts: Consts): PadSpec {
  checkAttributes(node, ['mode', 'pads', 'value']);
  const byAttr = node.attributes.pads !== undefined;
  requireCount(node, shapes.length, 1, byAttr ? 1 : 4);
  const mode = (node.attributes.mode ?? 'constant') as PadMode;
  if (typeof mode !== 'string' || !PAD_MODES.includes(mode)) throw unsupportedAttr(node, 'mode', node.attributes.mode);
  const inShape = shapes[0];
  const rank = inShape.length;
  const pads = intParam(node, consts, shapes.length, 1, byAttr ? 'pads' : undefined, 'pads');
  if (pads === undefined) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (Pad) has no pads`, { node: node.name });
  const axes = normalizeAxes(node, intParam(node, consts, shapes.length, 3, undefined, 'axes') ?? inShape.map((_, i) => i), rank);
  if (pads.length !== 2 * axes.length) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Pad): ${pads.length} pads for ${axes.length} axes`, { node: node.name });
  }
  const spec: PadSpec = { mode, shape: [...inShape], begin: inShape.map(() => 0) };
  axes.forEach((axis, i) => {
    const b = pads[i];
    const e = pads[i + axes.length];
    const size = inShape[axis] + b + e;
    if (size < 0) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Pad): pads ${b}, ${e} remove more than axis ${axis} holds`, { node: node.name });
    if (mode !== 'constant' && inShape[axis] === 0 && size > 0) {
      throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Pad): ${mode} padding of an empty axis ${axis}`, { node: node.name });
    }
    spec.shape[axis] = size;
    spec.begin[axis] = b;
  });
  return spec;
}

/** Source coordinate of padded coordinate `i` (already shifted by the begin pad) on an axis of size d; -1 = fill. */
function padSource(mode: PadMode, i: number, d: number): number {
  if (i >= 0 && i < d) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'edge':
      return i < 0 ? 0 : d - 1;
    case 'wrap':
      return ((i % d) + d) % d;
    case 'reflect': {
      if (d === 1) return 0;
      const period = 2 * (d - 1);
      const r = ((i % period) + period) % period;
      return r < d ? r : period - r;
    }
  }
}

export const padFamily = indexMapFamily(['Pad'], {
  // The fill of constant mode comes from input 2 (constant_value) when present: a copied scalar.
  operands: (node, n) => (node.attributes.pads === undefined && n >= 3 && present(node, 2) ? [0, 2] : [0]),
  shapes: (node, shapes, consts) => [padSpec(node, shapes, consts).shape],
  maps(node, shapes, consts) {
    const spec = padSpec(node, shapes, consts);
    const inShape = shapes[0];
    const inStrides = strides(inShape);
    const valueOperand = node.attributes.pads === undefined && shapes.length >= 3 && present(node, 2);
    if (valueOperand && shapes[2].reduce((a, b) => a * b, 1) !== 1) {
      throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Pad): constant_value must hold one value, has shape [${shapes[2]}]`, { node: node.name });
    }
    const map = newIndexMap(spec.shape, floatAttr(node, 'value', 0));
    forEachCoord(spec.shape, (c, flat) => {
      let idx = 0;
      for (let d = 0; d < c.length; d++) {
        const s = padSource(spec.mode, c[d] - spec.begin[d], inShape[d]);
        if (s < 0) {
          idx = -1;
          break;
        }
        idx += s * inStrides[d];
      }
      if (idx >= 0) {
        map.index[flat] = idx;
      } else if (valueOperand) {
        map.operand[flat] = 1;
        map.index[flat] = 0;
      } else {
        map.operand[flat] = FILL;
      }
    });
    return [map];
  },
});
