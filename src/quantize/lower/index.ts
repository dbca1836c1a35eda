/** Lowering, one function per op family (the families of src/onnx/ops). */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import type { LowerContext } from '../context';
import { lowerAdd } from './add';
import { lowerArgMax } from './argmax';
import { withNode } from './coefficient';
import { lowerGemm } from './gemm';
import { lowerBatchNorm } from './batchnorm';
import { lowerConv } from './conv';
import { lowerElementwise } from './elementwise';
import { lowerPool } from './pool';
import { lowerReduce } from './reduce';
import { lowerReduceLogSumExp } from './reduce-log-sum-exp';
import { lowerRelu } from './relu';
import { lowerReshape } from './reshape';
import { SHAPE_LOWERINGS } from './shape-ops';
import { lowerMinMax } from './minmax';
import { lowerActivation } from './activations';
import { lowerSmooth } from './smooth';
import { lowerMath } from './math';
import { lowerDivide } from './divide';
import { lowerLogSoftmax } from './log-softmax';
import { mathFamily } from '../../onnx/ops/math';
import { lowerSoftmax } from './softmax';
import { QUANTIZED_LOWERINGS } from './quantized';
import { LOGIC_LOWERINGS } from './logic';
import { lowerTreeEnsemble } from './tree-ensemble';
import { INDEXING_LOWERINGS } from './indexing';
import { lowerScatterElements } from './scatter';
import { lowerGatherND, lowerScatterND } from './gather-scatter-nd';
import { TREE_CLASSIFIER, TREE_REGRESSOR } from '../../onnx/ops/tree-ensemble';
import { lowerInverseStdDev } from './inverse-stddev';
import { SPATIAL_LOWERINGS } from './spatial';
import { lowerMod } from './mod';
import { lowerBitShift } from './bitshift';
import { lowerIntegerDiv } from './integer-div';
import { INTEGER_DIV_OP } from '../../onnx/ops/integer-div';
import { INVERSE_STDDEV_OP } from '../../onnx/ops/inverse-stddev';

const LOWERINGS: Record<string, (node: IrNode, ctx: LowerContext) => void> = {
  ...SHAPE_LOWERINGS,
  Gemm: lowerGemm,
  MatMul: lowerGemm,
  Add: lowerAdd,
  Relu: lowerRelu,
  Reshape: lowerReshape,
  Flatten: lowerReshape,
  Identity: lowerReshape,
  Conv: lowerConv,
  AveragePool: lowerPool,
  GlobalAveragePool: lowerPool,
  BatchNormalization: lowerBatchNorm,
  Sub: lowerElementwise,
  Sum: lowerElementwise,
  Neg: lowerElementwise,
  Mul: lowerElementwise,
  Div: lowerDivide,
  ReduceSum: lowerReduce,
  ReduceMean: lowerReduce,
  ReduceLogSumExp: lowerReduceLogSumExp,
  MaxPool: lowerMinMax,
  GlobalMaxPool: lowerMinMax,
  Max: lowerMinMax,
  Min: lowerMinMax,
  ReduceMax: lowerMinMax,
  ReduceMin: lowerMinMax,
  Clip: lowerActivation,
  LeakyRelu: lowerActivation,
  PRelu: lowerActivation,
  HardSigmoid: lowerActivation,
  HardSwish: lowerActivation,
  Abs: lowerActivation,
  Sigmoid: lowerSmooth,
  Tanh: lowerSmooth,
  Softplus: lowerSmooth,
  Elu: lowerSmooth,
  Selu: lowerSmooth,
  Celu: lowerSmooth,
  Gelu: lowerSmooth,
  Softmax: lowerSoftmax,
  LogSoftmax: lowerLogSoftmax,
  ...Object.fromEntries(mathFamily.ops.map((op) => [op, lowerMath])),
  ...QUANTIZED_LOWERINGS,
  ArgMax: lowerArgMax,
  // Last: its Equal, Not and Where on run-time tensors replace the constant-only entries of SHAPE_LOWERINGS.
  ...LOGIC_LOWERINGS,
  [TREE_REGRESSOR]: lowerTreeEnsemble,
  [TREE_CLASSIFIER]: lowerTreeEnsemble,
  [INVERSE_STDDEV_OP]: lowerInverseStdDev,
  ...SPATIAL_LOWERINGS,
  // Gather and Cast with run-time indices / integer targets replace the SHAPE_LOWERINGS entries.
  ...INDEXING_LOWERINGS,
  ScatterElements: lowerScatterElements,
  GatherND: lowerGatherND,
  ScatterND: lowerScatterND,
  Mod: lowerMod,
  BitShift: lowerBitShift,
  [INTEGER_DIV_OP]: lowerIntegerDiv,
};

export function lowerNode(node: IrNode, ctx: LowerContext): void {
  const lower = LOWERINGS[node.opType];
  if (!lower) throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}) has no lowering`, { node: node.name });
  withNode(node, () => lower(node, ctx));
}
