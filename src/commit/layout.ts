/**
 * What a model's circuit commits to: the pack specs of its inputs and outputs (over all batch
 * items) and of its private weights, from the ranges the circuit itself enforces. Inputs: their range check. Outputs: the
 * static bound analysis, whose intervals hold for every witness because every layer is a fully
 * constrained function of the range-checked inputs (and a rescale's decomposition pins its range).
 */
import { analyzeLayer } from '../quantize/bounds';
import { paramIntervals } from '../quantize/params';
import type { Interval, QuantizedModel } from '../formats/quantized-model';
import { chainConstraints, PackSpec, packedWords } from './scheme';

export interface CommitmentLayout {
  batchSize: number;
  /** Present when the input is hashed: one spec per model input, in model order. */
  inputs?: PackSpec[];
  /** Present when the output is hashed: one spec per model output, in model order. */
  outputs?: PackSpec[];
  /** Present with private weights: one spec per weight group (shared by every batch item). */
  weights?: PackSpec[];
}

export const batchSize = (model: QuantizedModel): number => model.settings.batchSize ?? 1;

/** Every tensor's element intervals, recomputed from the input ranges exactly as quantization did. */
export function tensorIntervals(model: QuantizedModel): Interval[][] {
  const bounds: Interval[][] = model.tensors.map(() => []);
  for (const input of model.inputs) bounds[input.tensor] = new Array<Interval>(model.tensors[input.tensor].size).fill({ lo: input.lo, hi: input.hi });
  const params = paramIntervals(model.params);
  for (const layer of model.layers) bounds[layer.out] = analyzeLayer({ ...layer }, bounds, params);
  return bounds;
}

const bitLength = (v: bigint): number => (v <= 0n ? 0 : v.toString(2).length);

/** The smallest [lo, lo + 2^width) holding every interval (width at least 1). */
function spanning(name: string, size: number, intervals: Interval[]): PackSpec {
  const lo = intervals.reduce((a, i) => (i.lo < a ? i.lo : a), intervals[0].lo);
  const hi = intervals.reduce((a, i) => (i.hi > a ? i.hi : a), intervals[0].hi);
  return { name, size, lo, width: Math.max(1, bitLength(hi - lo)) };
}

export function commitmentLayout(model: QuantizedModel): CommitmentLayout {
  const k = batchSize(model);
  const layout: CommitmentLayout = { batchSize: k };
  if (model.inputs.some((i) => i.visibility === 'hashed')) {
    // The input range check is RangeCheck(bits, lo) with hi - lo + 1 = 2^bits.
    layout.inputs = model.inputs.map((i) => {
      const n = model.tensors[i.tensor].size;
      return { name: i.name, size: n * k, lo: i.lo, width: Math.max(1, bitLength(i.hi - i.lo + 1n) - 1) };
    });
  }
  if (model.settings.outputVisibility === 'hashed') {
    const bounds = tensorIntervals(model);
    layout.outputs = model.outputs.map((o) => spanning(o.name, bounds[o.tensor].length * k, bounds[o.tensor]));
  }
  // A weight signal is range-checked to its group's committed range where it is packed.
  if (model.params) layout.weights = model.params.map((g) => ({ name: g.name, size: g.values.length, lo: g.lo, width: g.width }));
  return layout;
}

/** Words and constraints of one commitment. */
export function commitmentCost(specs: PackSpec[]): { elements: number; words: number; constraints: number } {
  const words = specs.reduce((a, s) => a + packedWords(s), 0);
  return { elements: specs.reduce((a, s) => a + s.size, 0), words, constraints: chainConstraints(words) };
}
