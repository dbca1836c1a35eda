/** The shape and data-movement families (issue 3), registered together in ./index.ts. */
import { concatFamily, splitFamily } from './concat-split';
import { expandFamily, gatherFamily, tileFamily, transposeFamily, whereFamily } from './movement';
import type { OpFamily } from './op-family';
import { castFamily, constantOfShapeFamily, equalFamily, notFamily, rangeFamily, shapeFamily } from './shape-consts';
import { padFamily, sliceFamily } from './slice-pad';
import { squeezeFamily } from './squeeze';

export const SHAPE_FAMILIES: OpFamily[] = [
  concatFamily,
  splitFamily,
  sliceFamily,
  padFamily,
  transposeFamily,
  expandFamily,
  tileFamily,
  gatherFamily,
  whereFamily,
  squeezeFamily,
  shapeFamily,
  constantOfShapeFamily,
  rangeFamily,
  castFamily,
  equalFamily,
  notFamily,
];
