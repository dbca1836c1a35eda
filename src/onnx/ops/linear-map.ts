/**
 * Ops whose every output element is a constant-weight sum of input elements (Resize in linear mode,
 * CumSum): out[o] = Σ weights[o][r] · x[sources[o][r]]. Float evaluation and lowering (one
 * accumulate row per element, the weights as coefficients) both read this one description.
 */
import type { FloatTensor, IrNode } from '../../formats/graph';
import { checkFoldSize } from './index-map';
import type { OpFamily } from './op-family';

export interface LinearMap {
  outShape: number[];
  sources: Int32Array[];
  weights: Float64Array[];
}

export function evalLinearMap(map: LinearMap, x: Float64Array): FloatTensor {
  const data = new Float64Array(map.sources.length);
  map.sources.forEach((src, o) => {
    let s = 0;
    for (let r = 0; r < src.length; r++) s += map.weights[o][r] * x[src[r]];
    data[o] = s;
  });
  return { shape: map.outShape, data };
}

export interface LinearMapOp {
  /** Static output shape; parameters that decide it must be constants. */
  shape(node: IrNode, inShapes: number[][], consts: Array<FloatTensor | undefined>): number[];
  /** The map of input 0 to the output; every parameter input is given in `consts`. */
  map(node: IrNode, inShapes: number[][], consts: Array<FloatTensor | undefined>): LinearMap;
}

export interface LinearMapFamily extends OpFamily {
  readonly linearMap: LinearMapOp;
}

/** A family whose operand is input 0; every other input is a parameter read at compile time. */
export function linearMapFamily(ops: string[], spec: LinearMapOp): LinearMapFamily {
  return {
    ops,
    linearMap: spec,
    inferShapes(node, shapes, consts) {
      const out = spec.shape(node, shapes, consts);
      checkFoldSize(node, out);
      return [out];
    },
    evalFloat(node, inputs) {
      const shapes = inputs.map((t) => t?.shape) as number[][];
      return [evalLinearMap(spec.map(node, shapes, inputs), inputs[0].data)];
    },
  };
}
