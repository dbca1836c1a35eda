/** The spatial and indexing families (issue 14, item 6), registered together in ./index.ts. */
import { convTransposeFamily } from './conv-transpose';
import { cumSumFamily } from './cumsum';
import { depthSpaceFamily } from './depth-space';
import { nonZeroFamily } from './nonzero';
import type { OpFamily } from './op-family';
import { resizeFamily } from './resize';
import { topKFamily } from './topk';
import { triluFamily } from './trilu';

export const SPATIAL_FAMILIES: OpFamily[] = [convTransposeFamily, resizeFamily, cumSumFamily, depthSpaceFamily, triluFamily, nonZeroFamily, topKFamily];
