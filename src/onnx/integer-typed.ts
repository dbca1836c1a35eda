/**
 * Which values have an integer ONNX element type (int8..int64, uint8..uint64; not bool), tracked
 * node by node at ingest: ONNX Div on integers truncates toward zero, which is another op than the
 * float Div (./ops/integer-div.ts). Types come from graph inputs, initializers and Constant values,
 * Cast's `to`, the ops whose result is an index (ArgMax, Shape, TopK's indices...) or a quantized
 * integer, and otherwise ONNX's rule that an op's result has its data input's type.
 */
import type { ElemType, FloatTensor, IrNode } from '../formats/graph';

const INTEGER_ELEMS: ReadonlySet<ElemType> = new Set(['int64', 'int32', 'int8', 'uint8']);
/** TensorProto codes of the integer types (not bool). */
const INTEGER_CODES = new Set([2, 3, 4, 5, 6, 7, 12, 13]);

export const isIntegerElem = (t: ElemType | undefined): boolean => t !== undefined && INTEGER_ELEMS.has(t);

/** Outputs that are integers whatever the inputs' types, by output position. */
const INTEGER_OUTPUTS: Record<string, number[]> = {
  ArgMax: [0],
  ArgMin: [0],
  Shape: [0],
  Size: [0],
  NonZero: [0],
  TopK: [1],
  MaxPool: [1],
  QuantizeLinear: [0],
  QLinearConv: [0],
  QLinearMatMul: [0],
  ConvInteger: [0],
  MatMulInteger: [0],
  TreeEnsembleClassifier: [0],
};
/** Results that are float (or bool) whatever the data input's type. */
const NON_INTEGER_RESULTS = new Set([
  'DequantizeLinear',
  'TreeEnsembleRegressor',
  'TreeEnsembleClassifier',
  'Less',
  'LessOrEqual',
  'Greater',
  'GreaterOrEqual',
  'Equal',
  'Not',
  'And',
  'Or',
  'Xor',
  'IsNaN',
  'IsInf',
]);
/** The data input whose type the result has, where it is not the first. */
const DATA_INPUT: Record<string, number> = { Where: 1, OneHot: 2, CastLike: 1 };

/** Which of the node's outputs have an integer type, given which values do. */
export function integerTypedOutputs(node: IrNode, isInteger: (name: string) => boolean): boolean[] {
  return node.outputs.map((_, k) => {
    if (INTEGER_OUTPUTS[node.opType]?.includes(k)) return true;
    if (node.opType === 'Cast') return typeof node.attributes.to === 'number' && INTEGER_CODES.has(node.attributes.to);
    if (node.opType === 'ConstantOfShape') return isIntegerElem((node.attributes.value as FloatTensor | undefined)?.elemType); // float32 0 by default
    if (NON_INTEGER_RESULTS.has(node.opType)) return false;
    const data = node.inputs[DATA_INPUT[node.opType] ?? 0];
    return data !== undefined && data !== '' && isInteger(data);
  });
}
