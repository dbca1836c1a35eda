/**
 * Resize (opsets 10–19) and Upsample (7–9) with constant scales or sizes: mode nearest (every
 * nearest_mode) or linear (multilinear over the resized axes), with the coordinate transformation
 * modes half_pixel, pytorch_half_pixel, align_corners and asymmetric.
 * Each output element is a constant-weight sum of at most 2^r input elements (one for nearest), so
 * the op is a LinearMap: free in the circuit when the weights are exact at a few fraction bits.
 * Refused with the attribute named: cubic, tf_crop_and_resize, tf_half_pixel_for_nearest,
 * half_pixel_symmetric, antialias,
 * keep_aspect_ratio_policy other than stretch, exclude_outside.
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { strides } from '../tensor';
import { intsAttr, normalizeAxes } from './index-map';
import { LinearMap, linearMapFamily } from './linear-map';
import { intAttr, unsupportedAttr } from './op-family';
import { allowAttributes, stringAttr } from './windows';

type Consts = Array<FloatTensor | undefined>;

interface ResizePlan {
  inShape: number[];
  outShape: number[];
  /** Per axis: the scale the coordinate transformation divides by. */
  scales: number[];
  mode: 'nearest' | 'linear';
  transform: string;
  nearestMode: string;
}

// tf_half_pixel_for_nearest is refused: onnxruntime itself does not run it, so it cannot be checked.
const TRANSFORMS = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'];
const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

function floatsOf(node: IrNode, consts: Consts, position: number, what: string): number[] | undefined {
  if (position >= node.inputs.length || node.inputs[position] === '') return undefined;
  const c = consts[position];
  if (!c) {
    throw new ZkmlError('ONNX_DYNAMIC_SHAPE', `node '${node.name}' (${node.opType}): ${what} (input ${position}) is computed at run time; it must be a constant`, { node: node.name, input: position });
  }
  return c.data.length === 0 ? undefined : Array.from(c.data);
}

function resizePlan(node: IrNode, inShape: number[], consts: Consts): ResizePlan {
  const upsample = node.opType === 'Upsample';
  allowAttributes(
    node,
    upsample
      ? ['mode', 'scales']
      : ['mode', 'coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value', 'antialias', 'axes', 'keep_aspect_ratio_policy'],
  );
  const rank = inShape.length;
  const modeName = stringAttr(node, 'mode', 'nearest');
  // Upsample called linear mode 'bilinear' in opset 7.
  const mode = modeName === 'bilinear' ? 'linear' : modeName;
  if (mode !== 'nearest' && mode !== 'linear') throw unsupportedAttr(node, 'mode', modeName);
  if (intAttr(node, 'antialias', 0) !== 0) throw unsupportedAttr(node, 'antialias', node.attributes.antialias);
  if (intAttr(node, 'exclude_outside', 0) !== 0) throw unsupportedAttr(node, 'exclude_outside', node.attributes.exclude_outside);
  const policy = stringAttr(node, 'keep_aspect_ratio_policy', 'stretch');
  if (policy !== 'stretch') throw unsupportedAttr(node, 'keep_aspect_ratio_policy', policy);
  // Opset 10's Resize and Upsample transform asymmetrically and round nearest down.
  const legacy = upsample || node.inputs.length === 2;
  const transform = legacy ? 'asymmetric' : stringAttr(node, 'coordinate_transformation_mode', 'half_pixel');
  if (!TRANSFORMS.includes(transform)) throw unsupportedAttr(node, 'coordinate_transformation_mode', transform);
  const nearestMode = legacy ? 'floor' : stringAttr(node, 'nearest_mode', 'round_prefer_floor');
  if (!NEAREST_MODES.includes(nearestMode)) throw unsupportedAttr(node, 'nearest_mode', nearestMode);

  const attrAxes = intsAttr(node, 'axes');
  const axes = attrAxes ? normalizeAxes(node, attrAxes, rank) : inShape.map((_, i) => i);
  // Upsample-7 holds its scales in an attribute (floats, read by the same checker as ints).
  const scalesIn = upsample && node.attributes.scales !== undefined ? intsAttr(node, 'scales') : floatsOf(node, consts, legacy ? 1 : 2, 'scales');
  const sizesIn = legacy ? undefined : floatsOf(node, consts, 3, 'sizes');
  const scales = new Array<number>(rank).fill(1);
  const outShape = [...inShape];
  const bad = (why: string) => new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (${node.opType}): ${why}`, { node: node.name });
  if (sizesIn) {
    if (sizesIn.length !== axes.length || sizesIn.some((s) => !Number.isInteger(s) || s < 1)) throw bad(`sizes [${sizesIn}] do not fit ${axes.length} axes`);
    axes.forEach((a, i) => {
      outShape[a] = sizesIn[i];
      scales[a] = sizesIn[i] / inShape[a];
    });
  } else if (scalesIn) {
    if (scalesIn.length !== axes.length || scalesIn.some((s) => !(s > 0) || !Number.isFinite(s))) throw bad(`scales [${scalesIn}] do not fit ${axes.length} axes`);
    axes.forEach((a, i) => {
      scales[a] = scalesIn[i];
      outShape[a] = Math.floor(inShape[a] * scalesIn[i]);
    });
  } else {
    throw bad('neither scales nor sizes is given');
  }
  if (outShape.some((d) => d < 1)) throw bad(`the output shape [${outShape}] is empty`);
  return { inShape, outShape, scales, mode, transform, nearestMode };
}

/** The input coordinate an output coordinate maps to, before rounding or clamping. */
function sourceCoordinate(p: ResizePlan, axis: number, x: number): number {
  const inSize = p.inShape[axis];
  const outSize = p.outShape[axis];
  const s = p.scales[axis];
  switch (p.transform) {
    case 'half_pixel':
      return (x + 0.5) / s - 0.5;
    case 'pytorch_half_pixel':
      return outSize > 1 ? (x + 0.5) / s - 0.5 : 0;
    case 'align_corners':
      return outSize === 1 ? 0 : (x * (inSize - 1)) / (outSize - 1);
    default:
      return x / s;
  }
}

function nearestIndex(mode: string, v: number): number {
  switch (mode) {
    case 'floor':
      return Math.floor(v);
    case 'ceil':
      return Math.ceil(v);
    case 'round_prefer_ceil':
      return Math.round(v);
    default:
      return v === Math.floor(v) + 0.5 ? Math.floor(v) : Math.round(v);
  }
}

/** Per axis and output coordinate: the input coordinates read and their weights. */
function axisTaps(p: ResizePlan, axis: number): Array<Array<[number, number]>> {
  const inSize = p.inShape[axis];
  const clamp = (i: number) => Math.min(Math.max(i, 0), inSize - 1);
  return Array.from({ length: p.outShape[axis] }, (_, x) => {
    if (p.outShape[axis] === inSize && p.scales[axis] === 1) return [[x, 1]];
    // float32 as onnxruntime computes the coordinate, so a coordinate on a .5 rounds the same way.
    const v = Math.fround(sourceCoordinate(p, axis, x));
    if (p.mode === 'nearest') return [[clamp(nearestIndex(p.nearestMode, v)), 1]];
    const c = Math.min(Math.max(v, 0), inSize - 1);
    const lo = Math.floor(c);
    const hi = Math.min(lo + 1, inSize - 1);
    const frac = c - lo;
    if (hi === lo || frac === 0) return [[lo, 1]];
    return [
      [lo, 1 - frac],
      [hi, frac],
    ];
  });
}

function resizeMap(node: IrNode, inShapes: number[][], consts: Consts): LinearMap {
  const p = resizePlan(node, inShapes[0], consts);
  const taps = p.inShape.map((_, a) => axisTaps(p, a));
  const inStrides = strides(p.inShape);
  const outStrides = strides(p.outShape);
  const sources: Int32Array[] = [];
  const weights: Float64Array[] = [];
  for (let o = 0; o < sizeOf(p.outShape); o++) {
    let terms: Array<[number, number]> = [[0, 1]];
    for (let a = 0; a < p.inShape.length; a++) {
      const x = Math.floor(o / outStrides[a]) % p.outShape[a];
      terms = terms.flatMap(([idx, w]) => taps[a][x].map(([i, wi]): [number, number] => [idx + i * inStrides[a], w * wi]));
    }
    sources.push(Int32Array.from(terms, (t) => t[0]));
    weights.push(Float64Array.from(terms, (t) => t[1]));
  }
  return { outShape: p.outShape, sources, weights };
}

export const resizeFamily = linearMapFamily(['Resize', 'Upsample'], {
  shape: (node, inShapes, consts) => resizePlan(node, inShapes[0], consts).outShape,
  map: resizeMap,
});
