/**
 * Piecewise-linear activations, computed exactly in the circuit from relus: Clip (ReLU6),
 * LeakyRelu, PRelu, HardSigmoid, HardSwish and Abs. All elementwise.
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { broadcastIndexMap, broadcastShapes } from '../tensor';
import { floatAttr, OpFamily, present, requireInputs, unsupportedAttr } from './op-family';
import { allowAttributes } from './windows';

/** float32 max: the opset < 11 Clip defaults; bounds this wide are "no bound". */
const FLT_MAX = 3.4028234663852886e38;

export function leakyAlpha(node: IrNode): number {
  return floatAttr(node, 'alpha', 0.01);
}

export function hardSigmoidParams(node: IrNode): { alpha: number; beta: number } {
  if (node.opType === 'HardSwish') return { alpha: 1 / 6, beta: 0.5 };
  return { alpha: floatAttr(node, 'alpha', 0.2), beta: floatAttr(node, 'beta', 0.5) };
}

/**
 * Clip's bounds: attributes min/max (opset < 11) or constant scalar inputs (opset >= 11).
 * `undefined` means no bound. Ingest keeps an omitted input's position, so Clip(x, '', max) has
 * only a max.
 */
export function clipBounds(node: IrNode, consts: Array<FloatTensor | undefined>): { lo?: number; hi?: number } {
  const named = (v: number | undefined) => (v === undefined || Math.abs(v) >= FLT_MAX ? undefined : v);
  if (node.inputs.length > 1 || consts.length > 1) {
    const scalar = (t: FloatTensor | undefined, which: string): number | undefined => {
      if (t === undefined) {
        throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}' (Clip): a ${which} bound computed at run time is not supported`, { node: node.name });
      }
      if (t.data.length !== 1) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (Clip): ${which} must be a scalar, got shape [${t.shape}]`);
      return t.data[0];
    };
    const lo = present(node, 1) ? named(scalar(consts[1], 'min')) : undefined;
    const hi = present(node, 2) ? named(scalar(consts[2], 'max')) : undefined;
    return { lo, hi };
  }
  const lo = node.attributes.min === undefined ? undefined : named(floatAttr(node, 'min', -FLT_MAX));
  const hi = node.attributes.max === undefined ? undefined : named(floatAttr(node, 'max', FLT_MAX));
  return { lo, hi };
}

function checkClip(node: IrNode, consts: Array<FloatTensor | undefined>): void {
  allowAttributes(node, ['min', 'max']);
  const { lo, hi } = clipBounds(node, consts);
  if (lo !== undefined && hi !== undefined && lo > hi) {
    throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}' (Clip): min ${lo} > max ${hi} is not supported`, { node: node.name });
  }
}

export function clip(v: number, lo: number | undefined, hi: number | undefined): number {
  const a = lo === undefined ? v : Math.max(v, lo);
  return hi === undefined ? a : Math.min(a, hi);
}

export const activationsFamily: OpFamily = {
  ops: ['Clip', 'LeakyRelu', 'PRelu', 'HardSigmoid', 'HardSwish', 'Abs'],
  inferShapes(node, shapes, consts) {
    switch (node.opType) {
      case 'Clip':
        requireInputs(node, shapes, 1, 3);
        checkClip(node, consts);
        return [shapes[0]];
      case 'PRelu': {
        requireInputs(node, shapes, 2);
        allowAttributes(node, []);
        if (consts[1] === undefined) {
          throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}' (PRelu): a slope computed at run time is not supported`, { node: node.name });
        }
        const out = broadcastShapes(shapes[0], shapes[1], node.name);
        if (out.length !== shapes[0].length || out.some((d, i) => d !== shapes[0][i])) {
          throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (PRelu): slope [${shapes[1]}] does not broadcast to X [${shapes[0]}]`);
        }
        return [out];
      }
      case 'LeakyRelu':
        requireInputs(node, shapes, 1);
        allowAttributes(node, ['alpha']);
        leakyAlpha(node);
        return [shapes[0]];
      case 'HardSigmoid':
        requireInputs(node, shapes, 1);
        allowAttributes(node, ['alpha', 'beta']);
        hardSigmoidParams(node);
        return [shapes[0]];
      default:
        requireInputs(node, shapes, 1);
        allowAttributes(node, []);
        return [shapes[0]];
    }
  },
  evalFloat(node, inputs) {
    const x = inputs[0];
    let f: (v: number, i: number) => number;
    switch (node.opType) {
      case 'Clip': {
        const { lo, hi } = clipBounds(node, inputs);
        f = (v) => clip(v, lo, hi);
        break;
      }
      case 'LeakyRelu': {
        const a = leakyAlpha(node);
        f = (v) => (v >= 0 ? v : a * v);
        break;
      }
      case 'PRelu': {
        const map = broadcastIndexMap(inputs[1].shape, x.shape);
        const slope = inputs[1].data;
        f = (v, i) => (v >= 0 ? v : slope[map[i]] * v);
        break;
      }
      case 'HardSigmoid': {
        const { alpha, beta } = hardSigmoidParams(node);
        f = (v) => clip(alpha * v + beta, 0, 1);
        break;
      }
      case 'HardSwish':
        f = (v) => v * clip(v / 6 + 0.5, 0, 1);
        break;
      case 'Abs':
        f = (v) => Math.abs(v);
        break;
      default:
        throw unsupportedAttr(node, 'opType', node.opType);
    }
    const data = new Float64Array(sizeOf(x.shape));
    for (let i = 0; i < data.length; i++) data[i] = f(x.data[i], i);
    return [{ shape: x.shape, data }];
  },
};
