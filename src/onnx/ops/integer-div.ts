/**
 * ONNX Div on integer tensors: the quotient truncated toward zero (C's division), with numpy
 * broadcasting. Ingest gives a Div whose operands have an integer type this internal op
 * (load.ts, ../integer-typed.ts); the float Div stays in ./elementwise.ts. Lowered as
 * (a − fmod(a, b)) / b, an exact quotient (src/quantize/lower/integer-div.ts). A zero divisor has no
 * witness (the circuit proves b ≠ 0); its float value here is NaN, as for Mod, so calibration skips it.
 */
import { sizeOf } from '../../formats/graph';
import { broadcastIndexMap } from '../tensor';
import { broadcastAll } from './elementwise';
import { OpFamily, requireInputs } from './op-family';
import { allowAttributes } from './windows';

/** Not an ONNX op: ingest refuses it in a model, only the Div rewrite creates it. */
export const INTEGER_DIV_OP = 'zkml.IntegerDiv';

export const truncatedQuotient = (a: number, b: number): number => (b === 0 ? NaN : Math.trunc(a / b) + 0);

export const integerDivFamily: OpFamily = {
  ops: [INTEGER_DIV_OP],
  inferShapes(node, shapes) {
    allowAttributes(node, []);
    requireInputs(node, shapes, 2);
    return [broadcastAll(shapes, node.name)];
  },
  evalFloat(node, [a, b]) {
    const shape = broadcastAll([a.shape, b.shape], node.name);
    const ma = broadcastIndexMap(a.shape, shape);
    const mb = broadcastIndexMap(b.shape, shape);
    return [{ shape, data: Float64Array.from({ length: sizeOf(shape) }, (_, i) => truncatedQuotient(a.data[ma[i]], b.data[mb[i]])) }];
  },
};
