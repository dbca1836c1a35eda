/**
 * Ingest rewrite: Hardmax(x) along an axis = Cast(Equal(ArgMax(x, keepdims 1), [0, 1, …, n−1])), the
 * one-hot of the first largest element (ONNX and onnxruntime pick the first on ties, as the ArgMax
 * template does). The ArgMax is its template (n·(b + 2) constraints per row), each Equal against a
 * constant index an EqualsZero test (2 per element), the Cast of a bool to float free. Opset 13 takes
 * one axis, earlier opsets flatten from `axis`: only the last axis is accepted, where both agree.
 */
import type { FloatTensor, IrNode } from '../formats/graph';
import { Builder, Expansion, refuse } from './graph-builder';
import { intAttr } from './ops/op-family';

export const HARDMAX_OP = 'Hardmax';

export function isHardmax(opType: string): boolean {
  return opType === HARDMAX_OP;
}

export function expandHardmax(node: IrNode, shapes: number[][], _consts: Array<FloatTensor | undefined>): Expansion {
  for (const k of Object.keys(node.attributes)) if (k !== 'axis') throw refuse(node, `attribute ${k} is not supported`);
  const shape = shapes[0];
  const rank = shape.length;
  const axis = intAttr(node, 'axis', -1);
  const a = axis < 0 ? axis + rank : axis;
  if (a !== rank - 1) throw refuse(node, `axis=${axis}: only the last axis is supported (opsets before 13 flatten from the axis, 13 reduces one axis; they agree only there)`);
  const n = shape[a];
  const b = new Builder(node);
  const index = b.op('ArgMax', [node.inputs[0]], { axis: a, keepdims: 1 });
  const positions = b.constant('positions', { shape: [n], data: Float64Array.from({ length: n }, (_, i) => i) });
  const hot = b.op('Equal', [index, positions]);
  b.op('Cast', [hot], { to: 1 }, node.outputs[0]);
  return b.expansion();
}
