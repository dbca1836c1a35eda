/**
 * Which layers the outputs' static error bound comes from. For each layer, the model is lowered
 * again with that layer's output taken as exact: the fall of the outputs' bound is the error that
 * flows through the layer (what all the layers up to it contributed). What a layer adds itself is
 * that figure less the largest of its inputs' (exact on a chain of layers; on a graph whose paths
 * join, an estimate). Each input is a source too: its rounding. One lowering per layer and input: the search is bounded by MAX_ATTRIBUTED_LAYERS.
 */
import type { Graph } from '../formats/graph';
import type { QuantizedModel } from '../formats/quantized-model';
import type { CompileSettings } from '../formats/settings';
import { outputErrorBound } from './precision-search';
import { CalibrationRanges, quantizeWithRanges } from './quantize';

export const MAX_ATTRIBUTED_LAYERS = 200;

export interface LayerErrorShare {
  layer: string;
  opType: string;
  /** Fall of the outputs' bound when this layer's output (or this input) is exact. */
  through: number;
  /** What this layer adds: `through` less the largest `through` of the layers feeding it. */
  added: number;
}

export function attributeError(graph: Graph, settings: CompileSettings, ranges: CalibrationRanges, model: QuantizedModel): LayerErrorShare[] | undefined {
  if (model.layers.length > MAX_ATTRIBUTED_LAYERS) return undefined;
  const total = outputErrorBound(model);
  const throughByTensor = new Map<number, number>();
  const through = (tensor: number) => Math.max(0, total - outputErrorBound(quantizeWithRanges(graph, settings, ranges, model.tensors[tensor].name)));
  // An input's rounding is where the error starts: its share is what flows from it.
  const shares: LayerErrorShare[] = model.inputs.map((input) => {
    const t = through(input.tensor);
    throughByTensor.set(input.tensor, t);
    return { layer: input.name, opType: 'input', through: t, added: t };
  });
  for (const layer of model.layers) {
    const t = through(layer.out);
    const fed = new Set<number>();
    for (const row of layer.rows) {
      for (const [t] of row.terms) fed.add(t);
      for (const [a, , b] of row.products) fed.add(a).add(b);
    }
    const upstream = Math.max(0, ...[...fed].map((id) => throughByTensor.get(id) ?? 0));
    // A layer that adds no error of its own (a segment selection) still passes its inputs' on.
    throughByTensor.set(layer.out, Math.max(t, upstream));
    const share = { layer: layer.node, opType: layer.opType, through: Math.max(t, upstream), added: Math.max(0, t - upstream) };
    // The layers one node lowers to (a Tanh's segment selection and its output) are one share.
    const last = shares[shares.length - 1];
    if (last && last.layer === share.layer && last.opType !== 'input') {
      last.through = Math.max(last.through, share.through);
      last.added += share.added;
      last.opType = share.opType;
    } else shares.push(share);
  }
  return shares;
}
