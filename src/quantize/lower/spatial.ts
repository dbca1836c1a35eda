/** Lowerings of the spatial and indexing families (src/onnx/ops/spatial.ts). */
import type { IrNode } from '../../formats/graph';
import type { LowerContext } from '../context';
import { lowerConv } from './conv';
import { lowerLinearMap } from './linear-map';
import { lowerIndexMapped } from './shape-ops';
import { lowerTopK } from './topk';

export const SPATIAL_LOWERINGS: Record<string, (node: IrNode, ctx: LowerContext) => void> = {
  ConvTranspose: lowerConv,
  Resize: lowerLinearMap,
  Upsample: lowerLinearMap,
  CumSum: lowerLinearMap,
  DepthToSpace: lowerIndexMapped,
  SpaceToDepth: lowerIndexMapped,
  Trilu: lowerIndexMapped,
  TopK: lowerTopK,
};
