/** Shape arithmetic shared by the op families: strides, broadcasting, index mapping. */
import { ZkmlError } from '../errors';
import type { FloatTensor } from '../formats/graph';
import { sizeOf } from '../formats/graph';

export function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Numpy-style broadcast of two shapes; throws SHAPE_MISMATCH naming the node. */
export function broadcastShapes(a: number[], b: number[], node: string): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ZkmlError('SHAPE_MISMATCH', `node '${node}': shapes [${a}] and [${b}] do not broadcast`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** For each flat index of `outShape`, the flat index of the broadcast source of shape `src`. */
export function broadcastIndexMap(src: number[], outShape: number[]): Int32Array {
  const total = sizeOf(outShape);
  const map = new Int32Array(total);
  const srcStrides = strides(src);
  const outStrides = strides(outShape);
  const offset = outShape.length - src.length;
  for (let flat = 0; flat < total; flat++) {
    let rem = flat;
    let idx = 0;
    for (let d = 0; d < outShape.length; d++) {
      const coord = Math.floor(rem / outStrides[d]);
      rem -= coord * outStrides[d];
      const sd = d - offset;
      if (sd >= 0 && src[sd] !== 1) idx += coord * srcStrides[sd];
    }
    map[flat] = idx;
  }
  return map;
}

/** a ∘ b elementwise with numpy broadcasting (the float semantics of ONNX's binary ops). */
export function broadcastBinary(a: FloatTensor, b: FloatTensor, node: string, f: (x: number, y: number) => number): FloatTensor {
  const shape = broadcastShapes(a.shape, b.shape, node);
  const ma = broadcastIndexMap(a.shape, shape);
  const mb = broadcastIndexMap(b.shape, shape);
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = f(a.data[ma[i]], b.data[mb[i]]);
  return { shape, data };
}
