/**
 * Matrix products as explicit index pairs: out[o] = sum over (a[i], b[i]) of A[a] * B[b].
 * MatMul (numpy semantics, batch broadcasting, 1-D promotion) and Gemm (transA/transB) both reduce
 * to this; float evaluation and lowering to circuit terms share it, so they cannot disagree.
 */
import { ZkmlError } from '../../errors';
import { sizeOf } from '../../formats/graph';
import { broadcastIndexMap, broadcastShapes, strides } from '../tensor';

export interface Contraction {
  outShape: number[];
  /** For each flat output index, the flat indices into A and into B that are multiplied and summed. */
  pairs: Array<{ a: Int32Array; b: Int32Array }>;
}

export function matmulContraction(shapeA: number[], shapeB: number[], node: string): Contraction {
  if (shapeA.length === 0 || shapeB.length === 0) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node}': MatMul of a scalar`);
  }
  const a2 = shapeA.length === 1 ? [1, shapeA[0]] : shapeA;
  const b2 = shapeB.length === 1 ? [shapeB[0], 1] : shapeB;
  const [m, k] = a2.slice(-2);
  const [kb, n] = b2.slice(-2);
  if (k !== kb) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node}': MatMul inner dimensions ${k} and ${kb} differ ([${shapeA}] x [${shapeB}])`);
  }
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2), node);
  const batchSize = sizeOf(batch);
  const aBatch = broadcastIndexMap(a2.slice(0, -2), batch);
  const bBatch = broadcastIndexMap(b2.slice(0, -2), batch);
  const pairs: Contraction['pairs'] = [];
  for (let t = 0; t < batchSize; t++) {
    const aBase = aBatch[t] * m * k;
    const bBase = bBatch[t] * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const a = new Int32Array(k);
        const b = new Int32Array(k);
        for (let r = 0; r < k; r++) {
          a[r] = aBase + i * k + r;
          b[r] = bBase + r * n + j;
        }
        pairs.push({ a, b });
      }
    }
  }
  const outShape = [...batch];
  if (shapeA.length !== 1) outShape.push(m);
  if (shapeB.length !== 1) outShape.push(n);
  return { outShape, pairs };
}

export function gemmContraction(shapeA: number[], shapeB: number[], transA: boolean, transB: boolean, node: string): Contraction {
  if (shapeA.length !== 2 || shapeB.length !== 2) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node}': Gemm needs 2-D operands, got [${shapeA}] and [${shapeB}]`);
  }
  const [m, k] = transA ? [shapeA[1], shapeA[0]] : shapeA;
  const [kb, n] = transB ? [shapeB[1], shapeB[0]] : shapeB;
  if (k !== kb) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node}': Gemm inner dimensions ${k} and ${kb} differ`);
  }
  const sa = strides(shapeA);
  const sb = strides(shapeB);
  const pairs: Contraction['pairs'] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const a = new Int32Array(k);
      const b = new Int32Array(k);
      for (let r = 0; r < k; r++) {
        a[r] = transA ? r * sa[0] + i : i * sa[0] + r;
        b[r] = transB ? j * sb[0] + r : r * sb[0] + j;
      }
      pairs.push({ a, b });
    }
  }
  return { outShape: [m, n], pairs };
}

export function evalContraction(c: Contraction, a: Float64Array, b: Float64Array, scale = 1): Float64Array {
  const out = new Float64Array(c.pairs.length);
  c.pairs.forEach((p, o) => {
    let s = 0;
    for (let r = 0; r < p.a.length; r++) s += a[p.a[r]] * b[p.b[r]];
    out[o] = s * scale;
  });
  return out;
}
