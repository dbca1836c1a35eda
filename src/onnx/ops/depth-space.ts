/**
 * DepthToSpace (modes DCR and CRD) and SpaceToDepth on [N, C, H, W]: pure rearrangements, index
 * maps (no constraint once lowered).
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { forEachCoord, checkAttributes, indexMapFamily, newIndexMap, requireCount } from './index-map';
import { intAttr, unsupportedAttr } from './op-family';
import { stringAttr } from './windows';

function blockOf(node: IrNode, shapes: number[][]): { b: number; shape: number[] } {
  checkAttributes(node, node.opType === 'DepthToSpace' ? ['blocksize', 'mode'] : ['blocksize']);
  requireCount(node, shapes.length, 1);
  const b = intAttr(node, 'blocksize', 0);
  if (!Number.isInteger(b) || b < 1) throw unsupportedAttr(node, 'blocksize', node.attributes.blocksize);
  const shape = shapes[0];
  const bad = (why: string) => new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (${node.opType}): ${why} (input [${shape}], blocksize ${b})`, { node: node.name });
  if (shape.length !== 4) throw bad('the input must be [N, C, H, W]');
  const [n, c, h, w] = shape;
  if (node.opType === 'DepthToSpace') {
    if (c % (b * b) !== 0) throw bad('C is not a multiple of blocksize²');
    return { b, shape: [n, c / (b * b), h * b, w * b] };
  }
  if (h % b !== 0 || w % b !== 0) throw bad('H and W are not multiples of blocksize');
  return { b, shape: [n, c * b * b, h / b, w / b] };
}

export const depthSpaceFamily = indexMapFamily(['DepthToSpace', 'SpaceToDepth'], {
  operands: () => [0],
  shapes: (node, shapes) => [blockOf(node, shapes).shape],
  maps(node, shapes) {
    const { b, shape } = blockOf(node, shapes);
    const [, c, h, w] = shapes[0];
    const map = newIndexMap(shape);
    const at = (bn: number, ch: number, y: number, x: number) => ((bn * c + ch) * h + y) * w + x;
    if (node.opType === 'DepthToSpace') {
      const mode = stringAttr(node, 'mode', 'DCR');
      if (mode !== 'DCR' && mode !== 'CRD') throw unsupportedAttr(node, 'mode', mode);
      const co = shape[1];
      forEachCoord(shape, ([bn, ch, y, x], flat) => {
        const [by, bx] = [y % b, x % b];
        const src = mode === 'DCR' ? (by * b + bx) * co + ch : ch * b * b + by * b + bx;
        map.index[flat] = at(bn, src, Math.floor(y / b), Math.floor(x / b));
      });
    } else {
      // Output channel (by·b + bx)·C + ch holds the input at (ch, y·b + by, x·b + bx).
      forEachCoord(shape, ([bn, och, y, x], flat) => {
        const ch = och % c;
        const blk = Math.floor(och / c);
        map.index[flat] = at(bn, ch, y * b + Math.floor(blk / b), x * b + (blk % b));
      });
    }
    return [map];
  },
});
