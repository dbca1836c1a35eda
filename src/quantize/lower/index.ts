/** Lowering, one function per op family (the families of src/onnx/ops). */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../onnx/ir';
import type { LowerContext } from '../context';
import { lowerAdd } from './add';
import { lowerGemm } from './gemm';
import { lowerRelu } from './relu';
import { lowerReshape } from './reshape';

const LOWERINGS: Record<string, (node: IrNode, ctx: LowerContext) => void> = {
  Gemm: lowerGemm,
  MatMul: lowerGemm,
  Add: lowerAdd,
  Relu: lowerRelu,
  Reshape: lowerReshape,
  Flatten: lowerReshape,
  Identity: lowerReshape,
};

export function lowerNode(node: IrNode, ctx: LowerContext): void {
  const lower = LOWERINGS[node.opType];
  if (!lower) throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}) has no lowering`, { node: node.name });
  lower(node, ctx);
}
