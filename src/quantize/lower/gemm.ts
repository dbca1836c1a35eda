/** Gemm and MatMul → one accumulate layer: constant operands become coefficients, variable × variable become products. */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { gemmContraction, matmulContraction } from '../../onnx/ops/contraction';
import { gemmParams } from '../../onnx/ops/gemm';
import { broadcastIndexMap } from '../../onnx/tensor';
import type { LowerContext, RowDraft } from '../context';
import { weightScale } from '../scales';
import { requantizedCoefficientScale } from './linear';
import { addConstant, addProduct, addWeightedTerm, emptyRow, finishRescaled, slot } from './terms';

export function lowerGemm(node: IrNode, ctx: LowerContext): void {
  const isGemm = node.opType === 'Gemm';
  const p = isGemm ? gemmParams(node) : { alpha: 1, beta: 1, transA: false, transB: false };
  const [nameA, nameB, nameC] = node.inputs;
  const shapeOf = (n: string) => ctx.variable(n)?.shape ?? ctx.constant(n)!.shape;
  const contraction = isGemm ? gemmContraction(shapeOf(nameA), shapeOf(nameB), p.transA, p.transB, node.name) : matmulContraction(shapeOf(nameA), shapeOf(nameB), node.name);
  const varA = ctx.variable(nameA);
  const varB = ctx.variable(nameB);

  let accScale: number;
  let rows: RowDraft[];
  if (varA && varB) {
    if (p.alpha !== 1) {
      throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}' (Gemm): alpha=${p.alpha} with two variable operands is not supported`, { node: node.name });
    }
    accScale = varA.scaleBits + varB.scaleBits;
    rows = contraction.pairs.map((pair) => {
      const row = emptyRow();
      for (let r = 0; r < pair.a.length; r++) addProduct(ctx, row, varA, pair.a[r], varB, pair.b[r]);
      return row;
    });
  } else {
    // One operand is constant: it becomes the coefficients of a linear combination (no constraints).
    const x = (varA ?? varB)!;
    const weights = ctx.constant(varA ? nameB : nameA)!;
    const scaled = weights.data.map((w) => w * p.alpha);
    const wp = ctx.paramTensor(node, 'weights', scaled.length);
    accScale = x.scaleBits + (ctx.feedsOnlyQuantize(node.outputs[0]) ? requantizedCoefficientScale(scaled, ctx.settings) : weightScale(scaled, ctx.settings));
    rows = contraction.pairs.map((pair) => {
      const row = emptyRow();
      const xs = varA ? pair.a : pair.b;
      const ws = varA ? pair.b : pair.a;
      for (let r = 0; r < xs.length; r++) addWeightedTerm(ctx, row, x, xs[r], scaled[ws[r]], accScale, slot(wp, ws[r]));
      return row;
    });
  }

  if (nameC) {
    const map = broadcastIndexMap(shapeOf(nameC), contraction.outShape);
    const constC = ctx.constant(nameC);
    const varC = ctx.variable(nameC);
    const cp = constC && ctx.paramTensor(node, 'bias', constC.data.length);
    if (varC && varC.scaleBits > accScale) {
      throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}': a variable bias finer than the product scale is not supported`, { node: node.name });
    }
    rows.forEach((row, o) => {
      if (constC) addConstant(row, p.beta * constC.data[map[o]], accScale, slot(cp, map[o]));
      else addWeightedTerm(ctx, row, varC!, map[o], p.beta, accScale);
    });
  }

  finishRescaled(ctx, node, contraction.outShape, rows, accScale);
}
