/**
 * Ingest rewrite: the LayerNorm that exporters write out op by op (PyTorch before opset 17, GPT
 * implementations by hand),
 *   v = ReduceMean(Pow(z, 2))  (or ReduceMean(Mul(z, z)))   s = Sqrt(Add(v, ε))   y = Div(n, s),
 * becomes y = Mul(n, zkml.InverseStdDev(v; ε)), the op LayerNormalization expands into
 * (docs/normalisation.md). Why: at the variance's scale ε rounds to 0, so Sqrt then Div would need
 * 1/√v near 0 (unbounded, refused), and the bound analysis cannot see that a mean of squares is not
 * negative. The rewrite is exact in float: v >= 0 because it is a mean of squares, so
 * 1/√(max(v, 0) + ε) = 1/√(v + ε). Only that shape is rewritten; a Sqrt anywhere else stays a Sqrt.
 */
import type { FloatTensor, IrNode } from '../formats/graph';
import { INVERSE_STDDEV_OP } from './ops/inverse-stddev';
import type { RawGraph } from './parse';
import { valueLinks } from './value-links';

/** A scalar (or one-element) constant's value: an initializer or a Constant node's tensor. */
function scalarConstant(name: string, raw: RawGraph, producer: Map<string, IrNode>): number | undefined {
  let t: FloatTensor | undefined = raw.initializers.get(name);
  const p = producer.get(name);
  if (!t && p?.opType === 'Constant') {
    const v = p.attributes.value;
    if (v && typeof v === 'object' && !Array.isArray(v)) t = v as FloatTensor;
    else if (typeof p.attributes.value_float === 'number') return p.attributes.value_float;
  }
  return t && t.data.length === 1 ? t.data[0] : undefined;
}

/** Whether `name` is a mean of squares: ReduceMean(Pow(z, 2)) or ReduceMean(Mul(z, z)). */
function isMeanOfSquares(name: string, raw: RawGraph, producer: Map<string, IrNode>): boolean {
  const mean = producer.get(name);
  if (mean?.opType !== 'ReduceMean' || mean.inputs.length !== 1) return false;
  const sq = producer.get(mean.inputs[0]);
  if (sq?.opType === 'Pow') return sq.inputs.length === 2 && scalarConstant(sq.inputs[1], raw, producer) === 2;
  return sq?.opType === 'Mul' && sq.inputs.length === 2 && sq.inputs[0] === sq.inputs[1];
}

export function fuseDecomposedLayerNorm(raw: RawGraph): RawGraph {
  const { producer, consumers } = valueLinks(raw.nodes);
  const graphOutputs = new Set(raw.outputs.map((o) => o.name));
  const dropped = new Set<IrNode>();
  const replaced = new Map<IrNode, IrNode>();
  for (const sqrt of raw.nodes) {
    if (sqrt.opType !== 'Sqrt' || graphOutputs.has(sqrt.outputs[0])) continue;
    const add = producer.get(sqrt.inputs[0]);
    if (add?.opType !== 'Add' || add.inputs.length !== 2 || graphOutputs.has(add.outputs[0])) continue;
    if ((consumers.get(add.outputs[0]) ?? []).length !== 1) continue;
    const epsAt = [0, 1].find((i) => {
      const e = scalarConstant(add.inputs[i], raw, producer);
      return e !== undefined && e > 0 && Number.isFinite(e) && isMeanOfSquares(add.inputs[1 - i], raw, producer);
    });
    if (epsAt === undefined) continue;
    const divs = consumers.get(sqrt.outputs[0]) ?? [];
    if (divs.length === 0 || !divs.every((d) => d.opType === 'Div' && d.inputs.length === 2 && d.inputs[1] === sqrt.outputs[0] && d.inputs[0] !== sqrt.outputs[0])) continue;
    const epsilon = scalarConstant(add.inputs[epsAt], raw, producer)!;
    const r = `${sqrt.outputs[0]}#inverse`;
    dropped.add(add);
    replaced.set(sqrt, { name: `${sqrt.name}#inverse`, opType: INVERSE_STDDEV_OP, inputs: [add.inputs[1 - epsAt]], outputs: [r], attributes: { epsilon } });
    for (const d of divs) replaced.set(d, { ...d, opType: 'Mul', inputs: [d.inputs[0], r], attributes: {} });
  }
  if (replaced.size === 0) return raw;
  return { ...raw, nodes: raw.nodes.filter((n) => !dropped.has(n)).map((n) => replaced.get(n) ?? n) };
}
