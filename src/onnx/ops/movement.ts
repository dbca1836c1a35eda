/**
 * Transpose, Expand, Tile, Gather and Where (with a constant condition): every output element is
 * one input element, chosen at compile time. Index maps, no constraint once lowered.
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { broadcastIndexMap, broadcastShapes, strides } from '../tensor';
import { checkAttributes, forEachCoord, indexMapFamily, intParam, intsAttr, newIndexMap, normalizeAxis, requireCount } from './index-map';
import { intAttr } from './op-family';

function transposePerm(node: IrNode, shapes: number[][]): number[] {
  checkAttributes(node, ['perm']);
  requireCount(node, shapes.length, 1);
  const rank = shapes[0].length;
  const perm = intsAttr(node, 'perm') ?? shapes[0].map((_, i) => rank - 1 - i);
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== rank || sorted.some((p, i) => p !== i)) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Transpose): perm [${perm}] is not a permutation of the ${rank} axes`, { node: node.name });
  }
  return perm;
}

export const transposeFamily = indexMapFamily(['Transpose'], {
  operands: () => [0],
  shapes(node, shapes) {
    const perm = transposePerm(node, shapes);
    return [perm.map((p) => shapes[0][p])];
  },
  maps(node, shapes) {
    const perm = transposePerm(node, shapes);
    const inStrides = strides(shapes[0]);
    const map = newIndexMap(perm.map((p) => shapes[0][p]));
    forEachCoord(map.shape, (c, flat) => {
      let idx = 0;
      for (let d = 0; d < c.length; d++) idx += c[d] * inStrides[perm[d]];
      map.index[flat] = idx;
    });
    return [map];
  },
});

function expandShape(node: IrNode, shapes: number[][], consts: Parameters<typeof intParam>[1]): number[] {
  checkAttributes(node, []);
  requireCount(node, shapes.length, 2);
  const target = intParam(node, consts, 2, 1, undefined, 'shape')!;
  if (target.some((d) => d < 0)) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Expand): negative dimension in [${target}]`, { node: node.name });
  return broadcastShapes(shapes[0], target, node.name);
}

/** Expand: numpy broadcast of the input against a constant shape. */
export const expandFamily = indexMapFamily(['Expand'], {
  operands: () => [0],
  shapes: (node, shapes, consts) => [expandShape(node, shapes, consts)],
  maps(node, shapes, consts) {
    const shape = expandShape(node, shapes, consts);
    return [{ ...newIndexMap(shape), index: broadcastIndexMap(shapes[0], shape) }];
  },
});

function tileShape(node: IrNode, shapes: number[][], consts: Parameters<typeof intParam>[1]): number[] {
  checkAttributes(node, []);
  requireCount(node, shapes.length, 2);
  const repeats = intParam(node, consts, 2, 1, undefined, 'repeats')!;
  if (repeats.length !== shapes[0].length || repeats.some((r) => r < 0)) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Tile): repeats [${repeats}] do not fit input [${shapes[0]}]`, { node: node.name });
  }
  return shapes[0].map((d, i) => d * repeats[i]);
}

/** Tile: the input repeated along every axis (constant repeats). */
export const tileFamily = indexMapFamily(['Tile'], {
  operands: () => [0],
  shapes: (node, shapes, consts) => [tileShape(node, shapes, consts)],
  maps(node, shapes, consts) {
    const shape = tileShape(node, shapes, consts);
    const inShape = shapes[0];
    const inStrides = strides(inShape);
    const map = newIndexMap(shape);
    forEachCoord(shape, (c, flat) => {
      let idx = 0;
      for (let d = 0; d < c.length; d++) idx += (c[d] % inShape[d]) * inStrides[d];
      map.index[flat] = idx;
    });
    return [map];
  },
});

function gatherAxis(node: IrNode, shapes: number[][]): number {
  checkAttributes(node, ['axis']);
  requireCount(node, shapes.length, 2);
  if (shapes[0].length === 0) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Gather): cannot gather from a scalar`, { node: node.name });
  return normalizeAxis(node, intAttr(node, 'axis', 0), shapes[0].length);
}

/** Indices made non-negative; out of range is SHAPE_MISMATCH (onnxruntime refuses them too). */
function gatherIndices(node: IrNode, axis: number, dim: number, values: Float64Array): number[] {
  return Array.from(values, (v) => {
    const i = v < 0 ? v + dim : v;
    if (!Number.isInteger(i) || i < 0 || i >= dim) {
      throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Gather): index ${v} is out of range for axis ${axis} of size ${dim}`, { node: node.name });
    }
    return i;
  });
}

/** Gather: data.shape[:axis] + indices.shape + data.shape[axis+1:]; indices must be constants to compile. */
export const gatherFamily = indexMapFamily(['Gather'], {
  operands: () => [0],
  shapes(node, shapes, consts) {
    const axis = gatherAxis(node, shapes);
    if (consts[1]) gatherIndices(node, axis, shapes[0][axis], consts[1].data);
    return [[...shapes[0].slice(0, axis), ...shapes[1], ...shapes[0].slice(axis + 1)]];
  },
  maps(node, shapes, consts) {
    const axis = gatherAxis(node, shapes);
    const data = shapes[0];
    const dim = data[axis];
    const indices = gatherIndices(node, axis, dim, consts[1]!.data);
    const outer = sizeOf(data.slice(0, axis));
    const inner = sizeOf(data.slice(axis + 1));
    const map = newIndexMap([...data.slice(0, axis), ...shapes[1], ...data.slice(axis + 1)]);
    let o = 0;
    for (let a = 0; a < outer; a++) {
      for (const i of indices) {
        for (let j = 0; j < inner; j++, o++) map.index[o] = (a * dim + i) * inner + j;
      }
    }
    return [map];
  },
  runtimeParam: () => 'its indices are computed at run time (a data-dependent lookup); only constant indices are supported',
});

function whereShape(node: IrNode, shapes: number[][]): number[] {
  checkAttributes(node, []);
  requireCount(node, shapes.length, 3);
  return broadcastShapes(broadcastShapes(shapes[0], shapes[1], node.name), shapes[2], node.name);
}

/** Where(cond, X, Y): X where cond, else Y, broadcast; compiled only when cond is a constant (a fixed selection). */
export const whereFamily = indexMapFamily(['Where'], {
  operands: () => [1, 2],
  shapes: (node, shapes) => [whereShape(node, shapes)],
  maps(node, shapes, consts) {
    const shape = whereShape(node, shapes);
    const cond = consts[0]!.data;
    const mc = broadcastIndexMap(shapes[0], shape);
    const mx = broadcastIndexMap(shapes[1], shape);
    const my = broadcastIndexMap(shapes[2], shape);
    const map = newIndexMap(shape);
    for (let i = 0; i < map.index.length; i++) {
      const pick = cond[mc[i]] !== 0;
      map.operand[i] = pick ? 0 : 1;
      map.index[i] = pick ? mx[i] : my[i];
    }
    return [map];
  },
  runtimeParam: () => 'its condition is computed at run time (a data-dependent selection); only a constant condition is supported',
});
