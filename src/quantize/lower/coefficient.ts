/**
 * Float constants (weights, biases, attribute values) become integer coefficients here, and only
 * here: a NaN or infinite constant has no integer value, so it is refused with WEIGHTS_NOT_FINITE
 * naming the node being lowered. (A -Infinity mask that folds away before lowering never gets here.)
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';

type NodeName = Pick<IrNode, 'name' | 'opType'>;

// The node being lowered. Held here for the duration of its lowering rather than passed down, so
// the row helpers (addWeightedTerm, addConstant, the min/max and PWL builders) need no node argument.
let lowering: NodeName | undefined;

/** Runs `lower` with `node` as the node that a non-finite constant is reported against. */
export function withNode<T>(node: NodeName, lower: () => T): T {
  const outer = lowering;
  lowering = node;
  try {
    return lower();
  } finally {
    lowering = outer;
  }
}

/** round(value · 2^scaleBits) as an integer; WEIGHTS_NOT_FINITE when that is not a finite number. */
export function toCoefficient(value: number, scaleBits: number): bigint {
  const q = Math.round(value * 2 ** scaleBits);
  if (!Number.isFinite(q)) {
    if (!lowering) throw new ZkmlError('WEIGHTS_NOT_FINITE', 'a weight or constant is NaN or infinite');
    throw new ZkmlError('WEIGHTS_NOT_FINITE', `node '${lowering.name}' (${lowering.opType}) has a NaN or infinite weight or constant`, { node: lowering.name });
  }
  return BigInt(q);
}
