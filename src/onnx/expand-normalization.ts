/**
 * Ingest rewrite: LayerNormalization and InstanceNormalization are expanded into ops the compiler already proves, so the integer reference, the bound analysis
 * and the circuit come from those families (docs/normalisation.md):
 *   mean = ReduceMean(x), d = x − mean, var = ReduceMean(d²), r = 1/√(var + ε), y = d·scale·r + bias.
 * The mean and the variance are exact integer sums and one product; r (ops/inverse-stddev.ts) is a
 * measured piecewise-linear approximation over var's bounded range, like the math ops. Scale and bias must be constants.
 */
import { ZkmlError } from '../errors';
import type { FloatTensor, IrNode } from '../formats/graph';
import { Builder, Expansion, refuse } from './graph-builder';
import { INVERSE_STDDEV_OP } from './ops/inverse-stddev';
import { floatAttr, intAttr, present, unsupportedAttr } from './ops/op-family';

export const NORMALIZATION_OPS: readonly string[] = ['LayerNormalization', 'InstanceNormalization'];

/** A constant input (scale or bias), or a refusal naming it: a computed one would need a product per element. */
function constantInput(node: IrNode, i: number, what: string, consts: Array<FloatTensor | undefined>): FloatTensor | undefined {
  if (!present(node, i)) return undefined;
  const t = consts[i];
  if (!t) throw refuse(node, `the ${what} '${node.inputs[i]}' is computed at run time; only a constant ${what} is supported`);
  return t;
}

/** Only the first output (Y); LayerNormalization's Mean and InvStdDev outputs are not supported. */
function onlyFirstOutput(node: IrNode): void {
  if (node.outputs.slice(1).some((o) => o !== '')) throw refuse(node, `only the output Y is supported, not '${node.outputs.slice(1).filter((o) => o !== '')}'`);
}

/** (x − mean)·(var + ε)^−½ over `axes`, then ·scale + bias (skipped when they are 1 and 0). */
function standardize(b: Builder, x: string, axes: number[], epsilon: number, scale: FloatTensor | undefined, bias: FloatTensor | undefined, out: string): void {
  const reduce = { axes, keepdims: 1 };
  const mean = b.op('ReduceMean', [x], reduce);
  const d = b.op('Sub', [x, mean]);
  const sq = b.op('Pow', [d, b.constant('two', { shape: [], data: Float64Array.of(2) })]);
  const variance = b.op('ReduceMean', [sq], reduce);
  // ε inside the function, not an Add: quantized, a small ε rounds to 0 and 1/√v is unbounded there.
  const r = b.op(INVERSE_STDDEV_OP, [variance], { epsilon });
  const hasScale = scale !== undefined && scale.data.some((v) => v !== 1);
  const hasBias = bias !== undefined && bias.data.some((v) => v !== 0);
  const scaled = hasScale ? b.op('Mul', [d, b.constant('scale', scale)]) : d;
  const normalized = b.op('Mul', [scaled, r], {}, hasBias ? undefined : out);
  if (hasBias) b.op('Add', [normalized, b.constant('bias', bias)], {}, out);
}

/** [C] → [C, 1, ..., 1] so it broadcasts over the channel axis of a rank-`rank` tensor. */
function perChannel(t: FloatTensor | undefined, rank: number): FloatTensor | undefined {
  return t && { shape: [t.data.length, ...Array<number>(rank - 2).fill(1)], data: t.data };
}

function allowOnly(node: IrNode, names: string[]): void {
  for (const k of Object.keys(node.attributes)) if (!names.includes(k)) throw unsupportedAttr(node, k, node.attributes[k]);
}

function layerNorm(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>, b: Builder): void {
  allowOnly(node, ['axis', 'epsilon', 'stash_type']);
  onlyFirstOutput(node);
  const rank = shapes[0].length;
  const axis = intAttr(node, 'axis', -1);
  const stash = intAttr(node, 'stash_type', 1);
  if (stash !== 1) throw unsupportedAttr(node, 'stash_type', stash);
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) throw unsupportedAttr(node, 'axis', axis);
  if (!present(node, 1)) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (LayerNormalization) has no Scale input`, { node: node.name });
  const scale = constantInput(node, 1, 'scale', consts);
  const bias = constantInput(node, 2, 'bias', consts);
  const axes = shapes[0].map((_, i) => i).filter((i) => i >= a);
  standardize(b, node.inputs[0], axes, floatAttr(node, 'epsilon', 1e-5), scale, bias, node.outputs[0]);
}

function instanceNorm(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>, b: Builder): void {
  allowOnly(node, ['epsilon']);
  const rank = shapes[0].length;
  if (rank < 3) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (InstanceNormalization): input of rank ${rank}, expected N×C×D1×...`, { node: node.name });
  const scale = constantInput(node, 1, 'scale', consts);
  const bias = constantInput(node, 2, 'bias', consts);
  const axes = shapes[0].map((_, i) => i).slice(2);
  standardize(b, node.inputs[0], axes, floatAttr(node, 'epsilon', 1e-5), perChannel(scale, rank), perChannel(bias, rank), node.outputs[0]);
}

export function isNormalization(opType: string): boolean {
  return NORMALIZATION_OPS.includes(opType);
}

/**
 * The ops `node` expands into (its outputs keep their names), given its input shapes and the
 * constant inputs; new constants are named after the node.
 */
export function expandNormalization(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>): Expansion {
  const b = new Builder(node);
  if (node.inputs.length < 1 || node.inputs[0] === '') throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (${node.opType}) has no input X`, { node: node.name });
  switch (node.opType) {
    case 'LayerNormalization':
      layerNorm(node, shapes, consts, b);
      break;
    case 'InstanceNormalization':
      instanceNorm(node, shapes, consts, b);
      break;
    default:
      throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}) is not supported yet`, { nodes: [{ name: node.name, opType: node.opType }] });
  }
  return b.expansion();
}
