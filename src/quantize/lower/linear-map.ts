/**
 * Constant-weight linear maps (Resize, CumSum; src/onnx/ops/linear-map.ts) → one accumulate layer:
 * the weights are coefficients, so the layer costs no constraint when they are exact at a few
 * fraction bits (nearest: 1; bilinear at scale 2: 1/4, 3/4; sums: 1), else one rescale per element.
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { familyOf } from '../../onnx/ops';
import type { LinearMapFamily } from '../../onnx/ops/linear-map';
import type { LowerContext } from '../context';
import { coefficientScale, finishLinear } from './linear';
import { addWeightedTerm, emptyRow } from './terms';

export function lowerLinearMap(node: IrNode, ctx: LowerContext): void {
  const spec = (familyOf(node.opType) as LinearMapFamily).linearMap;
  const x = ctx.variable(node.inputs[0])!;
  const shapes = node.inputs.map((n) => ctx.variable(n)?.shape ?? ctx.constant(n)?.shape ?? []);
  const consts = node.inputs.map((n) => ctx.constant(n));
  node.inputs.forEach((name, p) => {
    if (p > 0 && name !== '' && !consts[p]) {
      throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}): input ${p} ('${name}') is computed at run time; only a constant is supported`, {
        node: node.name,
        opType: node.opType,
      });
    }
  });
  const map = spec.map(node, shapes, consts);
  const all = new Float64Array(map.weights.reduce((n, w) => n + w.length, 0));
  let k = 0;
  for (const w of map.weights) for (const v of w) all[k++] = v;
  const { scale, exact } = coefficientScale(all, ctx.settings);
  const accScale = x.scaleBits + scale;
  const rows = map.sources.map((src, o) => {
    const row = emptyRow();
    src.forEach((i, r) => addWeightedTerm(ctx, row, x, i, map.weights[o][r], accScale));
    return row;
  });
  finishLinear(ctx, node, map.outShape, rows, accScale, exact);
}
