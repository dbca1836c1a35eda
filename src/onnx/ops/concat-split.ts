/** Concat and Split: joining and cutting along one axis, as index maps (no constraint once lowered). */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { strides } from '../tensor';
import { checkAttributes, forEachCoord, IndexMap, indexMapFamily, intParam, newIndexMap, normalizeAxis, requireCount } from './index-map';
import { intAttr } from './op-family';

function concatAxis(node: IrNode, shapes: number[][]): number {
  checkAttributes(node, ['axis']);
  if (shapes.length === 0) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (Concat) has no inputs`, { node: node.name });
  if (node.attributes.axis === undefined) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (Concat) has no axis attribute`, { node: node.name });
  const rank = shapes[0].length;
  const axis = normalizeAxis(node, intAttr(node, 'axis', 0), rank);
  for (const s of shapes) {
    if (s.length !== rank || s.some((d, i) => i !== axis && d !== shapes[0][i])) {
      throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Concat): inputs of shapes ${shapes.map((x) => `[${x}]`).join(', ')} cannot be joined on axis ${axis}`, { node: node.name });
    }
  }
  return axis;
}

function concatShape(node: IrNode, shapes: number[][]): number[] {
  const axis = concatAxis(node, shapes);
  const out = [...shapes[0]];
  out[axis] = shapes.reduce((a, s) => a + s[axis], 0);
  return out;
}

export const concatFamily = indexMapFamily(['Concat'], {
  operands: (_node, n) => Array.from({ length: n }, (_, i) => i),
  shapes: (node, shapes) => [concatShape(node, shapes)],
  maps(node, shapes) {
    const axis = concatAxis(node, shapes);
    const shape = concatShape(node, shapes);
    const map = newIndexMap(shape);
    const outer = sizeOf(shape.slice(0, axis));
    const inner = sizeOf(shape.slice(axis + 1));
    let o = 0;
    for (let a = 0; a < outer; a++) {
      shapes.forEach((s, k) => {
        const block = s[axis] * inner;
        for (let j = 0; j < block; j++, o++) {
          map.operand[o] = k;
          map.index[o] = a * block + j;
        }
      });
    }
    return [map];
  },
});

/** Sizes of Split's parts: the split input (opset ≥ 13) or attribute, else equal parts (num_outputs, opset 18). */
function splitSizes(node: IrNode, shapes: number[][], consts: Parameters<typeof intParam>[1]): { axis: number; sizes: number[] } {
  checkAttributes(node, ['axis', 'split', 'num_outputs']);
  requireCount(node, shapes.length, 1, 2);
  const rank = shapes[0].length;
  const axis = normalizeAxis(node, intAttr(node, 'axis', 0), rank);
  const dim = shapes[0][axis];
  const parts = node.outputs.length;
  const given = intParam(node, consts, shapes.length, 1, 'split', 'split');
  let sizes: number[];
  if (given !== undefined) {
    sizes = given;
  } else {
    const num = node.attributes.num_outputs !== undefined ? intAttr(node, 'num_outputs', parts) : parts;
    if (num !== parts) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Split): num_outputs=${num} but the node has ${parts} outputs`, { node: node.name });
    if (dim % num !== 0 && node.attributes.num_outputs === undefined) {
      throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Split): dimension ${dim} does not split into ${num} equal parts`, { node: node.name });
    }
    // opset 18: ceil(dim / num) per part, the last one smaller.
    const chunk = Math.ceil(dim / num);
    sizes = Array.from({ length: num }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
  }
  if (sizes.length !== parts || sizes.some((s) => s < 0) || sizes.reduce((a, b) => a + b, 0) !== dim) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Split): parts [${sizes}] do not split dimension ${dim} of [${shapes[0]}] into ${parts} outputs`, { node: node.name });
  }
  return { axis, sizes };
}

export const splitFamily = indexMapFamily(['Split'], {
  operands: () => [0],
  shapes(node, shapes, consts) {
    const { axis, sizes } = splitSizes(node, shapes, consts);
    return sizes.map((s) => shapes[0].map((d, i) => (i === axis ? s : d)));
  },
  maps(node, shapes, consts) {
    const { axis, sizes } = splitSizes(node, shapes, consts);
    const inStrides = strides(shapes[0]);
    let offset = 0;
    return sizes.map((s) => {
      const map: IndexMap = newIndexMap(shapes[0].map((d, i) => (i === axis ? s : d)));
      const start = offset;
      forEachCoord(map.shape, (c, flat) => {
        let idx = 0;
        for (let d = 0; d < c.length; d++) idx += (d === axis ? c[d] + start : c[d]) * inStrides[d];
        map.index[flat] = idx;
      });
      offset += s;
      return map;
    });
  },
});
