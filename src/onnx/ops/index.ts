/** The op allowlist: every supported ONNX op maps to its family. */
import { addFamily } from './add';
import { argMaxFamily } from './argmax';
import { gemmFamily } from './gemm';
import { batchNormFamily } from './batchnorm';
import { convFamily } from './conv';
import { SPATIAL_FAMILIES } from './spatial';
import { elementwiseFamily } from './elementwise';
import { poolFamily } from './pool';
import { reduceFamily } from './reduce';
import { reduceLogSumExpFamily } from './reduce-log-sum-exp';
import type { OpFamily } from './op-family';
import { reluFamily } from './relu';
import { reshapeFamily } from './reshape';
import { SHAPE_FAMILIES } from './shape-ops';
import { minMaxFamily } from './minmax';
import { activationsFamily } from './activations';
import { smoothFamily } from './smooth';
import { mathFamily } from './math';
import { logSoftmaxFamily } from './log-softmax';
import { softmaxFamily } from './softmax';
import { quantizedFamily } from './quantized';
import { logicFamily } from './logic';
import { treeEnsembleFamily } from './tree-ensemble';
import { gatherElementsFamily, oneHotFamily, scatterElementsFamily } from './indexing';
import { NORMALIZATION_OPS } from '../expand-normalization';
import { RECURRENT_OPS } from '../expand-recurrent';
import { REDUCE_EXPANSIONS } from '../expand-reduce';
import { HARDMAX_OP } from '../expand-hardmax';
import { SCAN_OP } from '../expand-scan';
import { LOOP_OP } from '../expand-loop';
import { IF_OP } from '../expand-if';
import { LP_POOL_OP } from '../expand-lp-pool';
import { INVERSE_STDDEV_OP, inverseStdDevFamily } from './inverse-stddev';
import { modFamily } from './mod';
import { bitShiftFamily } from './bitshift';
import { INTEGER_DIV_OP, integerDivFamily } from './integer-div';
import { gatherNdFamily, scatterNdFamily } from './gather-scatter-nd';

const FAMILIES: OpFamily[] = [
  gemmFamily,
  addFamily,
  reluFamily,
  reshapeFamily,
  convFamily,
  poolFamily,
  batchNormFamily,
  elementwiseFamily,
  reduceFamily,
  reduceLogSumExpFamily,
  ...SHAPE_FAMILIES,
  minMaxFamily,
  activationsFamily,
  smoothFamily,
  mathFamily,
  logSoftmaxFamily,
  softmaxFamily,
  quantizedFamily,
  argMaxFamily,
  logicFamily,
  treeEnsembleFamily,
  inverseStdDevFamily,
  ...SPATIAL_FAMILIES,
  gatherElementsFamily,
  oneHotFamily,
  scatterElementsFamily,
  modFamily,
  bitShiftFamily,
  integerDivFamily,
  gatherNdFamily,
  scatterNdFamily,
];

const BY_OP = new Map<string, OpFamily>();
for (const f of FAMILIES) for (const op of f.ops) BY_OP.set(op, f);

/** Constant is folded at ingest and never reaches a family; the normalisations, LpPool and recurrent nets are expanded at ingest (expand-normalization.ts, expand-lp-pool.ts, expand-recurrent.ts), Scan and Loop unrolled (expand-scan.ts, expand-loop.ts), If inlined (expand-if.ts). */
export const SUPPORTED_OPS: readonly string[] = [
  'Constant',
  ...[...BY_OP.keys()].filter((op) => op !== INVERSE_STDDEV_OP && op !== INTEGER_DIV_OP),
  ...NORMALIZATION_OPS,
  ...RECURRENT_OPS,
  ...REDUCE_EXPANSIONS,
  HARDMAX_OP,
  SCAN_OP,
  LOOP_OP,
  IF_OP,
  LP_POOL_OP,
].sort();

export function familyOf(opType: string): OpFamily | undefined {
  return BY_OP.get(opType);
}
