/**
 * The integer reference executor: the spec of what the circuit computes. The circuit's outputs
 * must equal these values bit for bit.
 */
import { divideRound, moduloOf, relu, roundShift } from './fixed-point';
import { paramValues } from './params';
import type { CompareTest, QuantizedModel, SegmentTable } from '../formats/quantized-model';
import { ZkmlError } from '../errors';

/** Quantized input tensors by tensor id → every tensor's integer values. */
export function runReference(model: QuantizedModel, inputs: Map<number, bigint[]>): bigint[][] {
  const values: bigint[][] = model.tensors.map(() => []);
  for (const [id, v] of inputs) values[id] = v;
  const weights = paramValues(model.params);
  for (const layer of model.layers) {
    if (layer.argmax) {
      values[layer.out] = layer.rows.map((row) =>
        argmax(
          row.terms.map(([t, i]) => values[t][i]),
          layer.argmax!.selectLast,
        ),
      );
      continue;
    }
    if (layer.segments) {
      const table = layer.segments;
      values[layer.out] = layer.rows.map((row) => segmentValue(table, values[row.terms[0][0]][row.terms[0][1]]));
      continue;
    }
    values[layer.out] = layer.rows.map((row, o) => {
      let acc = row.bias;
      for (const [p, c] of row.paramTerms ?? []) acc += c * weights[p];
      // A private weight's term multiplies the weight signal (its coefficient records the compiled value).
      for (const [t, i, c, p] of row.terms) acc += (p === undefined ? c : weights[p]) * values[t][i];
      for (const [ta, ia, tb, ib] of row.products) acc += values[ta][ia] * values[tb][ib];
      if (layer.compare) return compareTest(layer.compare, acc);
      if (layer.divide) {
        const [t, i, c] = layer.divide.divisors[o];
        const d = c * values[t][i];
        // A zero divisor has no witness (circuits/divide.circom): there is nothing to prove.
        if (d === 0n) throw new ZkmlError('INPUT_OUT_OF_RANGE', `node '${layer.node}' output ${o}: the divisor is 0 for this input (the model divides by zero)`, { node: layer.node });
        return divideRound(acc, d);
      }
      if (layer.modulo) {
        const [t, i, c] = layer.modulo.divisors[o];
        const d = c * values[t][i];
        if (d === 0n) throw new ZkmlError('INPUT_OUT_OF_RANGE', `node '${layer.node}' output ${o}: the divisor is 0 for this input (the model takes a remainder by zero)`, { node: layer.node });
        return moduloOf(acc, d, layer.modulo.fmod);
      }
      const q = roundShift(acc, layer.shift);
      return layer.relu ? relu(q) : q;
    });
  }
  return values;
}

/** The line of the segment holding x (the bound analysis guarantees there is one). */
export function segmentValue(table: SegmentTable, x: bigint): bigint {
  const j = table.lo.findIndex((lo, k) => x >= lo && x <= table.hi[k]);
  if (j < 0 && table.restrict)
    throw new ZkmlError('INPUT_OUT_OF_RANGE', `an index computed at run time is ${x}, outside [${table.lo[0]}, ${table.hi[table.hi.length - 1]}]: the circuit has no witness for it`);
  if (j < 0) throw new ZkmlError('INTERNAL', `segment layer: ${x} lies outside its segments`);
  return table.alpha[j] + table.beta[j] * x;
}

/** Index of the first (or, with selectLast, the last) largest value. */
export function argmax(xs: bigint[], selectLast: boolean): bigint {
  let best = 0;
  for (let i = 1; i < xs.length; i++) {
    if (xs[i] > xs[best] || (selectLast && xs[i] === xs[best])) best = i;
  }
  return BigInt(best);
}

/** A test layer's value: 1 when the accumulator passes the test, else 0. */
export function compareTest(test: CompareTest, acc: bigint): bigint {
  return (test === 'nonNegative' ? acc >= 0n : acc === 0n) ? 1n : 0n;
}
