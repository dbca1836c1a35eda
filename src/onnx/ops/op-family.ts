/**
 * One op family = one file: its attribute checks, static shape rule and float semantics.
 * Lowering to circuit primitives lives in src/quantize/lower/, one file per family as well.
 */
import { ZkmlError } from '../../errors';
import type { AttrValue, FloatTensor, IrNode } from '../../formats/graph';

export interface OpFamily {
  readonly ops: readonly string[];
  /** Static output shapes from input shapes; constant inputs are given where known (e.g. Reshape's shape). */
  inferShapes(node: IrNode, inputShapes: number[][], constInputs: Array<FloatTensor | undefined>): number[][];
  /** Float semantics, used for constant folding and calibration. */
  evalFloat(node: IrNode, inputs: FloatTensor[]): FloatTensor[];
}

export function intAttr(node: IrNode, name: string, fallback: number): number {
  const v = node.attributes[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw unsupportedAttr(node, name, v);
  return v;
}

export function floatAttr(node: IrNode, name: string, fallback: number): number {
  return intAttr(node, name, fallback);
}

export function unsupportedAttr(node: IrNode, name: string, value: AttrValue | undefined): ZkmlError {
  const shown = typeof value === 'object' && !Array.isArray(value) ? 'tensor' : JSON.stringify(value);
  return new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}' (${node.opType}): attribute ${name}=${shown} is not supported`, { node: node.name, opType: node.opType, attribute: name });
}

export function requireInputs(node: IrNode, shapes: number[][], min: number, max = min): void {
  if (shapes.length < min || shapes.length > max) {
    throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (${node.opType}) has ${shapes.length} inputs, expected ${min === max ? min : `${min}..${max}`}`);
  }
}

/** Whether optional input i is given (ingest keeps an omitted input's position as ''). */
export function present(node: IrNode, i: number): boolean {
  return node.inputs[i] !== undefined && node.inputs[i] !== '';
}
