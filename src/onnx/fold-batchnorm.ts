/**
 * Ingest rewrite: a BatchNormalization whose input comes from a Conv, ConvTranspose (one group), Gemm or MatMul (with constant
 * weights, and no other reader of the product) is folded into that node's weights and bias:
 * W'[c] = a[c]·W[c], bias'[c] = a[c]·bias[c] + b[c], with y = a·x + b the BatchNorm's affine map.
 * The circuit then pays for one rescale instead of two. A MatMul becomes a Gemm to carry the bias.
 * Anything else keeps the BatchNorm node, which lowers as a per-channel affine map.
 */
import type { FloatTensor, Graph, IrNode } from '../formats/graph';
import { sizeOf } from '../formats/graph';
import { gemmParams } from './ops/gemm';
import { Affine, batchNormAffine } from './ops/batchnorm';
import { broadcastIndexMap } from './tensor';

/** W with every slice along `axis` scaled by a[slice]. */
function scaleAlong(w: FloatTensor, axis: number, a: Float64Array): FloatTensor {
  const inner = sizeOf(w.shape.slice(axis + 1));
  return { shape: w.shape, data: w.data.map((v, i) => v * a[Math.floor(i / inner) % w.shape[axis]]) };
}

/** The folded node, or undefined when `producer` cannot absorb the affine map. */
function fold(graph: Graph, producer: IrNode, f: Affine, out: string, tag: string): IrNode | undefined {
  const k = (name: string) => graph.constants.get(name);
  const add = (name: string, t: FloatTensor): string => {
    const unique = `${name}__${tag}`;
    graph.constants.set(unique, t);
    graph.shapes.set(unique, t.shape);
    return unique;
  };
  const channels = f.a.length;
  if (producer.opType === 'Conv' || producer.opType === 'ConvTranspose') {
    const [x, wName, bName] = producer.inputs;
    const w = k(wName)!;
    // ConvTranspose's W is [C, M/group, ...]: its output channel is axis 1 (one group only).
    const transposed = producer.opType === 'ConvTranspose';
    if (transposed && (producer.attributes.group ?? 1) !== 1) return undefined;
    const bias = bName ? k(bName)!.data : new Float64Array(channels);
    const b = f.b.map((t, c) => f.a[c] * bias[c] + t);
    return { ...producer, inputs: [x, add(wName, scaleAlong(w, transposed ? 1 : 0, f.a)), add(bName ?? 'B', { shape: [channels], data: b })], outputs: [out] };
  }
  const [aName, wName, cName] = producer.inputs;
  const w = k(wName);
  if (!w || w.shape.length !== 2 || graph.shapes.get(aName)?.length !== 2) return undefined;
  const p = producer.opType === 'Gemm' ? gemmParams(producer) : { alpha: 1, beta: 1, transA: false, transB: false };
  const outShape = graph.shapes.get(producer.outputs[0])!;
  let c: FloatTensor = { shape: [channels], data: f.b };
  if (cName) {
    const old = k(cName);
    if (!old) return undefined;
    // A bias that varies along rows keeps its full [M, N] shape; otherwise it becomes per column.
    const shape = old.shape.length === 2 && old.shape[0] > 1 ? outShape : [channels];
    const map = broadcastIndexMap(old.shape, shape);
    c = { shape, data: Float64Array.from({ length: sizeOf(shape) }, (_, i) => f.a[i % channels] * p.beta * old.data[map[i]] + f.b[i % channels]) };
  }
  const attributes = producer.opType === 'Gemm' ? { ...producer.attributes, beta: 1 } : {};
  return {
    ...producer,
    opType: 'Gemm',
    inputs: [aName, add(wName, scaleAlong(w, p.transB ? 0 : 1, f.a)), add(cName ?? 'C', c)],
    outputs: [out],
    attributes,
  };
}

export function foldBatchNorm(graph: Graph): Graph {
  const readers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const producerOf = new Map<string, number>();
  const nodes: Array<IrNode | undefined> = [...graph.nodes];
  nodes.forEach((n, i) => n!.outputs.forEach((o) => producerOf.set(o, i)));

  nodes.forEach((bn, j) => {
    if (bn?.opType !== 'BatchNormalization') return;
    const x = bn.inputs[0];
    const i = producerOf.get(x);
    const producer = i === undefined ? undefined : nodes[i];
    if (!producer || !['Conv', 'ConvTranspose', 'Gemm', 'MatMul'].includes(producer.opType)) return;
    if (readers.get(x) !== 1 || outputs.has(x)) return;
    const affine = batchNormAffine(
      bn,
      bn.inputs.slice(1).map((n) => graph.constants.get(n)!),
    );
    const folded = fold(graph, producer, affine, bn.outputs[0], bn.name);
    if (!folded) return;
    nodes[i!] = folded;
    nodes[j] = undefined;
    producerOf.set(bn.outputs[0], i!);
  });
  return { ...graph, nodes: nodes.filter((n): n is IrNode => n !== undefined) };
}
