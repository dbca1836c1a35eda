/**
 * Ingest rewrite: LayerNormalization, InstanceNormalization and GroupNormalization are expanded into ops the compiler already proves, so the integer reference, the bound analysis
 * and the circuit come from those families (docs/normalisation.md):
 *   mean = ReduceMean(x), d = x − mean, var = ReduceMean(d²), r = 1/√(var + ε), y = d·scale·r + bias.
 * The mean and the variance are exact integer sums and one product; r (ops/inverse-stddev.ts) is a
 * measured piecewise-linear approximation over var's bounded range, like the math ops. Scale and bias must be constants.
 * LpNormalization is the same without the mean: y = x·r with r ≈ 1/‖x‖ (p = 2: 1/√(n·mean(x²)); p = 1: 1/√(S²) of S = Σ|x|).
 */
import { ZkmlError } from '../errors';
import type { FloatTensor, IrNode } from '../formats/graph';
import { Builder, Expansion, refuse } from './graph-builder';
import { INVERSE_STDDEV_OP } from './ops/inverse-stddev';
import { floatAttr, intAttr, present, unsupportedAttr } from './ops/op-family';

export const NORMALIZATION_OPS: readonly string[] = ['GroupNormalization', 'InstanceNormalization', 'LayerNormalization', 'LpNormalization'];

/** LpNormalization's ε inside 1/√(v + ε) (ONNX has none): a row whose mean square (p = 2) or squared sum (p = 1) is below it is scaled by at most 1/√ε. */
export const LP_NORM_EPSILON = 1e-5;

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
function standardize(b: Builder, x: string, axes: number[], epsilon: number, scale: FloatTensor | undefined, bias: FloatTensor | undefined, out?: string): string {
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
  return hasBias ? b.op('Add', [normalized, b.constant('bias', bias)], {}, out) : normalized;
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

/**
 * GroupNormalization: x [N, C, ...] reshaped to [N, G, C/G·spatial] and standardized over the last
 * axis, then reshaped back. Scale and bias are per channel (opset 21, length C) or per group (opset
 * 18, length G): either way laid out as [G, C/G·spatial] so they stay a coefficient on d and a
 * constant before the reshape, like LayerNormalization's.
 */
function groupNorm(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>, b: Builder): void {
  allowOnly(node, ['epsilon', 'num_groups', 'stash_type']);
  const shape = shapes[0];
  if (shape.length < 2) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (GroupNormalization): input of rank ${shape.length}, expected N×C×...`, { node: node.name });
  const [n, c] = shape;
  const groups = intAttr(node, 'num_groups', NaN);
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0) throw unsupportedAttr(node, 'num_groups', node.attributes.num_groups);
  const stash = intAttr(node, 'stash_type', 1);
  if (stash !== 1) throw unsupportedAttr(node, 'stash_type', stash);
  const perGroup = c / groups;
  const spatial = shape.slice(2).reduce((a, d) => a * d, 1);
  const rest = perGroup * spatial;
  const layout = (t: FloatTensor | undefined, what: string): FloatTensor | undefined => {
    if (!t) return undefined;
    const len = t.data.length;
    if (len !== c && len !== groups) {
      throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (GroupNormalization): ${what} of ${len} values, expected C = ${c} (opset 21) or num_groups = ${groups} (opset 18)`, {
        node: node.name,
      });
    }
    const data = new Float64Array(groups * rest);
    for (let i = 0; i < data.length; i++) {
      const channel = Math.floor(i / rest) * perGroup + Math.floor((i % rest) / spatial);
      data[i] = len === c ? t.data[channel] : t.data[Math.floor(channel / perGroup)];
    }
    return { shape: [groups, rest], data };
  };
  for (const [i, what] of [
    [1, 'scale'],
    [2, 'bias'],
  ] as const) {
    if (!present(node, i)) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (GroupNormalization) has no ${what} input`, { node: node.name });
  }
  const scale = layout(constantInput(node, 1, 'scale', consts), 'scale');
  const bias = layout(constantInput(node, 2, 'bias', consts), 'bias');
  const grouped = b.op('Reshape', [node.inputs[0], b.constant('grouped', { shape: [3], data: Float64Array.of(n, groups, rest) })]);
  const y = standardize(b, grouped, [2], floatAttr(node, 'epsilon', 1e-5), scale, bias);
  b.op('Reshape', [y, b.constant('shape', { shape: [shape.length], data: Float64Array.from(shape) })], {}, node.outputs[0]);
}

/**
 * LpNormalization: y = x / ‖x‖_p along `axis`, p = 1 or 2, as x·r with r ≈ 1/‖x‖ the internal
 * 1/√(v + ε) op (the variance's, ε = LP_NORM_EPSILON): p = 2 takes v = mean(x²) and a coefficient
 * 1/√n on x, the LayerNorm form without the mean (so clamp-normalized.ts bounds it by 1); p = 1
 * takes v = S² of S = Σ|x| (one product per row, S >= 0 exact).
 */
function lpNorm(node: IrNode, shapes: number[][], b: Builder): void {
  allowOnly(node, ['axis', 'p']);
  const rank = shapes[0].length;
  const axis = intAttr(node, 'axis', -1);
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) throw unsupportedAttr(node, 'axis', axis);
  const p = intAttr(node, 'p', 2);
  if (p !== 1 && p !== 2) throw unsupportedAttr(node, 'p', p);
  const x = node.inputs[0];
  const reduce = { axes: [a], keepdims: 1 };
  const two = () => b.constant('two', { shape: [], data: Float64Array.of(2) });
  if (p === 2) {
    const r = b.op(INVERSE_STDDEV_OP, [b.op('ReduceMean', [b.op('Pow', [x, two()])], reduce)], { epsilon: LP_NORM_EPSILON });
    const scaled = b.op('Mul', [x, b.constant('scale', { shape: [], data: Float64Array.of(1 / Math.sqrt(shapes[0][a])) })]);
    b.op('Mul', [scaled, r], {}, node.outputs[0]);
  } else {
    const sum = b.op('ReduceSum', [b.op('Abs', [x])], reduce);
    const r = b.op(INVERSE_STDDEV_OP, [b.op('Pow', [sum, two()])], { epsilon: LP_NORM_EPSILON });
    b.op('Mul', [x, r], {}, node.outputs[0]);
  }
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
    case 'GroupNormalization':
      groupNorm(node, shapes, consts, b);
      break;
    case 'LpNormalization':
      lpNorm(node, shapes, b);
      break;
    default:
      throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}) is not supported yet`, { nodes: [{ name: node.name, opType: node.opType }] });
  }
  return b.expansion();
}
