/**
 * Which run-time tensors hold integers in the float model, by what their ops compute: a Cast of
 * such a tensor to an integer type is exact (the identity), so it compiles as an alias; a Cast of any
 * other run-time tensor to an integer type would truncate, which the circuit does not model, and is
 * refused here at ingest, naming the node (docs/logic.md).
 *
 * Integer-valued: integer and bool graph inputs, constants whose values are all integers, the
 * results of comparisons, logic, ArgMax, Floor/Ceil/Sign, the quantized ops, casts to integer types, and ops that
 * only move, add or multiply integer-valued operands. Bool-valued (0 or 1): comparison and logic
 * results, bool inputs and bool casts of bools, and tensors moved from them.
 */
import { ZkmlError } from '../errors';
import type { Graph, IrNode } from '../formats/graph';

/** Results that are bits: comparisons and logic. */
const BOOL_RESULTS = new Set(['Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Equal', 'Not', 'And', 'Or', 'Xor']);
/** Results that are integers whatever their operands (the quantized ops' results are rounded and saturated integers). */
const INTEGER_RESULTS = new Set([
  'ArgMax',
  'ArgMin',
  'Floor',
  'Ceil',
  'Sign',
  'Round',
  'Shape',
  'Size',
  'QuantizeLinear',
  'QLinearConv',
  'QLinearMatMul',
  'ConvInteger',
  'MatMulInteger',
  'zkml.IntegerDiv',
]);
/** Ops whose result is integer-valued when every operand at these positions is (others are parameters). */
const INTEGER_PRESERVING: Record<string, (node: IrNode) => number[]> = {
  Identity: () => [0],
  Reshape: () => [0],
  Flatten: () => [0],
  Squeeze: () => [0],
  Unsqueeze: () => [0],
  Transpose: () => [0],
  Slice: () => [0],
  Expand: () => [0],
  Tile: () => [0],
  Gather: () => [0],
  GatherElements: () => [0],
  Split: () => [0],
  Concat: (n) => n.inputs.map((_, i) => i),
  Where: () => [1, 2],
  Add: () => [0, 1],
  Sub: () => [0, 1],
  Mul: () => [0, 1],
  Neg: () => [0],
  Sum: (n) => n.inputs.map((_, i) => i),
  ReduceSum: () => [0],
  MatMul: () => [0, 1],
  Max: (n) => n.inputs.map((_, i) => i),
  Min: (n) => n.inputs.map((_, i) => i),
  ReduceMax: () => [0],
  ReduceMin: () => [0],
  Relu: () => [0],
  Abs: () => [0],
  OneHot: () => [2],
  ScatterElements: () => [0, 2],
  BitShift: () => [0],
  GatherND: () => [0],
  ScatterND: () => [0, 2],
};
/** Ops that only move elements, so bits stay bits. */
const MOVING = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Slice', 'Expand', 'Tile', 'Gather', 'GatherElements', 'GatherND', 'ScatterND', 'Split', 'Concat']);
/** ONNX TensorProto float types: a cast to one of them keeps the value. */
const FLOAT_TYPES = new Set([1, 10, 11, 16]);
const BOOL_TYPE = 9;

const INTEGER_ELEM = new Set(['int64', 'int32', 'int8', 'uint8', 'bool']);

export interface IntegerValued {
  integer: Set<string>;
  bool: Set<string>;
}

export function isIntegerCast(node: IrNode): boolean {
  return node.opType === 'Cast' && typeof node.attributes.to === 'number' && !FLOAT_TYPES.has(node.attributes.to);
}

/** The integer- and bool-valued run-time tensors of the graph (constants are looked up directly). */
export function integerValued(graph: Graph): IntegerValued {
  const integer = new Set<string>();
  const bool = new Set<string>();
  const constInt = (name: string) => {
    const c = graph.constants.get(name);
    return c !== undefined && c.data.every(Number.isInteger);
  };
  const constBool = (name: string) => {
    const c = graph.constants.get(name);
    return c !== undefined && c.data.every((v) => v === 0 || v === 1);
  };
  const isInt = (name: string) => name === '' || integer.has(name) || constInt(name);
  const isBool = (name: string) => bool.has(name) || constBool(name);
  for (const v of graph.inputs) {
    if (INTEGER_ELEM.has(v.elemType)) integer.add(v.name);
    if (v.elemType === 'bool') bool.add(v.name);
  }
  for (const node of graph.nodes) {
    let isInteger = false;
    let isBit = false;
    if (BOOL_RESULTS.has(node.opType)) isInteger = isBit = true;
    else if (INTEGER_RESULTS.has(node.opType)) isInteger = true;
    else if (node.opType === 'Cast') {
      isInteger = isIntegerCast(node) || isInt(node.inputs[0]);
      isBit = isBool(node.inputs[0]) || node.attributes.to === BOOL_TYPE;
    } else if (INTEGER_PRESERVING[node.opType]) {
      const positions = INTEGER_PRESERVING[node.opType](node).filter((p) => p < node.inputs.length);
      isInteger = positions.every((p) => isInt(node.inputs[p]));
      isBit = MOVING.has(node.opType) && positions.every((p) => isBool(node.inputs[p]));
    }
    for (const o of node.outputs) {
      if (isInteger) integer.add(o);
      if (isBit) bool.add(o);
    }
  }
  return { integer, bool };
}

/** Refuses a run-time Cast to an integer type of a tensor that may hold fractions (it would truncate). */
export function checkIntegerCasts(graph: Graph): void {
  const { integer, bool } = integerValued(graph);
  for (const node of graph.nodes) {
    if (!isIntegerCast(node)) continue;
    const x = node.inputs[0];
    const exact = node.attributes.to === BOOL_TYPE ? bool.has(x) : integer.has(x);
    if (!exact) {
      throw new ZkmlError(
        'ONNX_UNSUPPORTED_ATTRIBUTE',
        `node '${node.name}' (Cast): a cast to ${node.attributes.to === BOOL_TYPE ? 'bool' : 'an integer type'} of '${x}', which may hold ${node.attributes.to === BOOL_TYPE ? 'values other than 0 and 1' : 'fractions'}, truncates it, which the circuit does not model; only a cast of a tensor known to hold ${node.attributes.to === BOOL_TYPE ? 'bools' : 'integers'} (comparison and logic results, ArgMax indices, integer inputs and constants, and sums, products and moves of them) is supported`,
        { node: node.name, opType: 'Cast', attribute: 'to' },
      );
    }
  }
}
