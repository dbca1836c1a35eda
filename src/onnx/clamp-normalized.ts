/**
 * Ingest rewrite after the graph is built: the normalised output of a LayerNorm-like group,
 * y = (d ⊙ s)·r with r = 1/√(mean(d²) + ε) over a group of n elements (s a constant scale, or none),
 * gets a Clip to ±√n·max|s|. Why: the interval analysis bounds |d| and r each at its worst case
 * (r up to 1/√ε ≈ 316), so every layer after a LayerNorm would carry that factor in its bit widths,
 * while in truth |d_i| <= √(Σ d²) = √(n·mean(d²)) < √n/r. The Clip is therefore exact in float (it
 * never cuts a true value); in integers it only cuts values the approximation error pushed past the
 * true bound, moving them toward the truth. It is a proved op like any other Clip (docs/attention.md).
 * It costs two relus per element, and pays only when wide layers follow: it is added when a MatMul,
 * Gemm or Conv reads the normalised values downstream (a transformer block), not for a final LayerNorm.
 */
import type { FloatTensor, Graph, IrNode } from '../formats/graph';
import { INVERSE_STDDEV_OP } from './ops/inverse-stddev';
import { reducePlan } from './ops/reduce';
import { valueLinks } from './value-links';

function constantScalar(graph: Graph, name: string): number | undefined {
  const t = graph.constants.get(name);
  return t && t.data.length === 1 ? t.data[0] : undefined;
}

/** The tensor d whose mean square `v` is (ReduceMean(Pow(d, 2)) or ReduceMean(Mul(d, d)), kept dims), and the group size. */
function meanSquareOf(graph: Graph, producer: Map<string, IrNode>, v: string): { d: string; n: number } | undefined {
  const mean = producer.get(v);
  if (mean?.opType !== 'ReduceMean') return undefined;
  const sq = producer.get(mean.inputs[0]);
  const d = sq?.opType === 'Pow' && constantScalar(graph, sq.inputs[1]) === 2 ? sq.inputs[0] : sq?.opType === 'Mul' && sq.inputs[0] === sq.inputs[1] ? sq.inputs[0] : undefined;
  if (!d || !sq) return undefined;
  const shape = graph.shapes.get(sq.outputs[0])!;
  const axes: FloatTensor | undefined = mean.inputs[1] ? graph.constants.get(mean.inputs[1]) : undefined;
  const plan = reducePlan(mean, shape, axes);
  // r must broadcast back over d's group: kept dimensions only.
  if (plan.outShape.length !== shape.length) return undefined;
  return { d, n: Math.max(...plan.counts) };
}

const WIDE_OPS: ReadonlySet<string> = new Set(['MatMul', 'Gemm', 'Conv']);

/** Whether a MatMul, Gemm or Conv reads `tensor` or anything computed from it. */
function feedsWideLayer(tensor: string, consumers: Map<string, IrNode[]>): boolean {
  const seen = new Set<string>();
  const stack = [tensor];
  while (stack.length > 0) {
    const t = stack.pop()!;
    for (const c of consumers.get(t) ?? []) {
      if (WIDE_OPS.has(c.opType)) return true;
      for (const o of c.outputs) {
        if (seen.has(o)) continue;
        seen.add(o);
        stack.push(o);
      }
    }
  }
  return false;
}

export function clampNormalized(graph: Graph): Graph {
  const { producer, consumers } = valueLinks(graph.nodes);
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const nodes: IrNode[] = [];
  for (const node of graph.nodes) {
    nodes.push(node);
    if (node.opType !== 'Mul' || node.inputs.length !== 2) continue;
    const at = [0, 1].find((i) => producer.get(node.inputs[i])?.opType === INVERSE_STDDEV_OP);
    if (at === undefined) continue;
    const group = meanSquareOf(graph, producer, producer.get(node.inputs[at])!.inputs[0]);
    if (!group) continue;
    // The other operand: d itself, or d times a constant scale.
    const other = node.inputs[1 - at];
    let scale = 1;
    if (other !== group.d) {
      const scaled = producer.get(other);
      const s = scaled?.opType === 'Mul' && scaled.inputs.length === 2 ? scaled.inputs.findIndex((x) => x === group.d) : -1;
      const t = s >= 0 ? graph.constants.get(scaled!.inputs[1 - s]) : undefined;
      if (!t) continue;
      scale = Math.max(...Array.from(t.data, Math.abs));
    }
    const bound = Math.sqrt(group.n) * scale;
    if (!Number.isFinite(bound) || bound === 0) continue;
    const out = node.outputs[0];
    // The graph's outputs keep their producers' names; a clamp of an output is left out.
    if (outputs.has(out) || !feedsWideLayer(out, consumers)) continue;
    const raw = `${out}#unclamped`;
    nodes[nodes.length - 1] = { ...node, outputs: [raw] };
    graph.shapes.set(raw, graph.shapes.get(out)!);
    graph.constants.set(`${raw}#lo`, { shape: [], data: Float64Array.of(-bound) });
    graph.constants.set(`${raw}#hi`, { shape: [], data: Float64Array.of(bound) });
    nodes.push({ name: `${node.name}#clamp`, opType: 'Clip', inputs: [raw, `${raw}#lo`, `${raw}#hi`], outputs: [out], attributes: {} });
  }
  return { ...graph, nodes };
}
