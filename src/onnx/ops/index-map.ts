/**
 * Data-moving shape ops (Concat, Split, Slice, Pad, Transpose, Expand, Tile, Gather, Where) share one
 * description: for every output element, which operand and which flat index of it the element is
 * copied from, or a fill value. Float evaluation (constant folding, calibration) and lowering (one
 * copy term per element, no constraint) both read the same map, so they cannot disagree.
 */
import { ZkmlError } from '../../errors';
import type { AttrValue, FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { DEFAULT_PARSE_LIMITS } from '../parse';
import type { OpFamily } from './op-family';
import { unsupportedAttr } from './op-family';

/** Operand number of an element that holds the map's fill value instead of a copied element. */
export const FILL = -1;

export interface IndexMap {
  /** Output shape. */
  shape: number[];
  /** Per output element: the operand it is copied from (a position in the op's operand list), or FILL. */
  operand: Int32Array;
  /** Per output element: flat (row-major) index in that operand. */
  index: Int32Array;
  fill: number;
}

export function newIndexMap(shape: number[], fill = 0): IndexMap {
  const n = sizeOf(shape);
  return { shape, operand: new Int32Array(n), index: new Int32Array(n), fill };
}

/** Visits every coordinate of `shape` in row-major order; `coord` is reused between calls. */
export function forEachCoord(shape: number[], fn: (coord: number[], flat: number) => void): void {
  const n = sizeOf(shape);
  const coord = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    fn(coord, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++coord[d] < shape[d]) break;
      coord[d] = 0;
    }
  }
}

export function applyIndexMap(map: IndexMap, operands: Float64Array[]): FloatTensor {
  const data = new Float64Array(map.index.length);
  for (let i = 0; i < data.length; i++) data[i] = map.operand[i] === FILL ? map.fill : operands[map.operand[i]][map.index[i]];
  return { shape: map.shape, data };
}

/** Whether the map copies operand 0 of `sourceSize` elements unchanged (a pure relabelling of the shape). */
export function isIdentityMap(map: IndexMap, sourceSize: number): boolean {
  if (map.index.length !== sourceSize) return false;
  for (let i = 0; i < sourceSize; i++) if (map.operand[i] !== 0 || map.index[i] !== i) return false;
  return true;
}

export interface IndexMapOp {
  /** Node input positions whose elements are moved; every other input is a parameter read at compile time. */
  operands(node: IrNode, nInputs: number): number[];
  /** Static output shapes; parameters that decide a shape must be constants (else ONNX_DYNAMIC_SHAPE). */
  shapes(node: IrNode, inShapes: number[][], consts: Array<FloatTensor | undefined>): number[][];
  /** One map per output; every parameter input is given in `consts`. */
  maps(node: IrNode, inShapes: number[][], consts: Array<FloatTensor | undefined>): IndexMap[];
  /** Why a parameter computed at run time cannot be compiled (its values select elements). */
  runtimeParam?(node: IrNode, position: number): string;
}

export interface IndexMapFamily extends OpFamily {
  readonly indexMap: IndexMapOp;
}

export function indexMapFamily(ops: string[], spec: IndexMapOp): IndexMapFamily {
  return {
    ops,
    indexMap: spec,
    inferShapes(node, shapes, consts) {
      const out = spec.shapes(node, shapes, consts);
      for (const s of out) checkFoldSize(node, s);
      return out;
    },
    evalFloat(node, inputs) {
      const operands = spec.operands(node, inputs.length).map((p) => inputs[p].data);
      // An omitted optional input ('') arrives as undefined at its position.
      const shapes = inputs.map((t) => t?.shape) as number[][];
      return spec.maps(node, shapes, inputs).map((m) => applyIndexMap(m, operands));
    },
  };
}

// ---- helpers shared by the shape families ----

/** Output tensors are materialized while folding and lowering: keep them within the parser's tensor limit. */
export function checkFoldSize(node: IrNode, shape: number[]): void {
  const n = sizeOf(shape);
  if (n > DEFAULT_PARSE_LIMITS.maxTensorElements) {
    throw new ZkmlError('MODEL_TOO_LARGE', `node '${node.name}' (${node.opType}) makes a tensor of ${n} elements, more than the limit of ${DEFAULT_PARSE_LIMITS.maxTensorElements}`, {
      node: node.name,
      count: n,
      limit: DEFAULT_PARSE_LIMITS.maxTensorElements,
      unit: 'elements',
    });
  }
}

/** A negative axis counts from the end; anything outside [-rank, rank) is SHAPE_MISMATCH. */
export function normalizeAxis(node: IrNode, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (${node.opType}): axis ${axis} is out of range for rank ${rank}`, { node: node.name });
  }
  return axis < 0 ? axis + rank : axis;
}

export function normalizeAxes(node: IrNode, axes: number[], rank: number): number[] {
  const out = axes.map((a) => normalizeAxis(node, a, rank));
  if (new Set(out).size !== out.length) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (${node.opType}): axes [${axes}] repeat an axis`, { node: node.name });
  }
  return out;
}

/** Refuses attributes outside the op's list, naming the first one. */
export function checkAttributes(node: IrNode, allowed: readonly string[]): void {
  for (const [k, v] of Object.entries(node.attributes)) if (!allowed.includes(k)) throw unsupportedAttr(node, k, v);
}

export function intsAttr(node: IrNode, name: string): number[] | undefined {
  const v: AttrValue | undefined = node.attributes[name];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw unsupportedAttr(node, name, v);
  return v as number[];
}

/**
 * Integer values of a parameter given as input `position` (newer opsets) or attribute `attr` (older
 * ones). A parameter computed at run time is ONNX_DYNAMIC_SHAPE: shapes must be fixed at compile time.
 */
export function intParam(node: IrNode, consts: Array<FloatTensor | undefined>, nInputs: number, position: number, attr: string | undefined, what: string): number[] | undefined {
  const fromAttr = attr !== undefined ? intsAttr(node, attr) : undefined;
  if (fromAttr !== undefined) return fromAttr;
  if (position >= nInputs || node.inputs[position] === '') return undefined;
  const c = consts[position];
  if (!c) {
    throw new ZkmlError('ONNX_DYNAMIC_SHAPE', `node '${node.name}' (${node.opType}): ${what} (input ${position}) is computed at run time; it must be a constant`, {
      node: node.name,
      input: position,
    });
  }
  const values = Array.from(c.data);
  if (!values.every(Number.isFinite)) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (${node.opType}): ${what} holds non-finite values`, { node: node.name });
  return values.map(Math.trunc);
}

export function requireCount(node: IrNode, n: number, min: number, max = min): void {
  if (n < min || n > max) {
    throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (${node.opType}) has ${n} inputs, expected ${min === max ? min : `${min}..${max}`}`, { node: node.name });
  }
}
