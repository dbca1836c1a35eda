/** Squeeze and Unsqueeze: only the shape changes (row-major data is the same), lowered as aliases. */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { checkAttributes, intParam, normalizeAxes, requireCount } from './index-map';
import type { OpFamily } from './op-family';

type Consts = Array<FloatTensor | undefined>;

/** Axes come from the attribute (opset < 13) or the optional second input (opset ≥ 13). */
function squeezeAxes(node: IrNode, shapes: number[][], consts: Consts): number[] | undefined {
  checkAttributes(node, ['axes']);
  requireCount(node, shapes.length, 1, node.attributes.axes !== undefined ? 1 : 2);
  return intParam(node, consts, shapes.length, 1, 'axes', 'axes');
}

function squeezeShape(node: IrNode, shapes: number[][], consts: Consts): number[] {
  const inShape = shapes[0];
  const given = squeezeAxes(node, shapes, consts);
  if (given === undefined) return inShape.filter((d) => d !== 1);
  const axes = normalizeAxes(node, given, inShape.length);
  for (const a of axes) {
    if (inShape[a] !== 1) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Squeeze): axis ${a} of [${inShape}] has size ${inShape[a]}, not 1`, { node: node.name });
  }
  return inShape.filter((_, i) => !axes.includes(i));
}

function unsqueezeShape(node: IrNode, shapes: number[][], consts: Consts): number[] {
  const inShape = shapes[0];
  const given = squeezeAxes(node, shapes, consts);
  if (given === undefined) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (Unsqueeze) has no axes`, { node: node.name });
  const rank = inShape.length + given.length;
  const axes = normalizeAxes(node, given, rank);
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : inShape[k++]);
  return out;
}

function outShape(node: IrNode, shapes: number[][], consts: Consts): number[] {
  return node.opType === 'Squeeze' ? squeezeShape(node, shapes, consts) : unsqueezeShape(node, shapes, consts);
}

export const squeezeFamily: OpFamily = {
  ops: ['Squeeze', 'Unsqueeze'],
  inferShapes: (node, shapes, consts) => [outShape(node, shapes, consts)],
  evalFloat: (node, inputs) => [
    {
      shape: outShape(
        node,
        inputs.map((t) => t.shape),
        inputs,
      ),
      data: inputs[0].data,
    },
  ],
};
