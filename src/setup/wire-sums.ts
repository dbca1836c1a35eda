/**
 * One point per wire, Σ scalar · base over the wire's terms, computed as batched multi-exponentiations
 * in wasmcurves on the curve's worker threads (ffjavascript's thread manager).
 *
 * A task takes a run of consecutive wires holding up to CHUNK_POINTS terms. Within a wire the terms are
 * grouped by sign and by scalar length (1, 2, 4, 8, 16 or 32 bytes): each group is one multi-exponentiation
 * with scalars of that length, so short coefficients cost short exponentiations, and the negative groups
 * are subtracted. The task ends with one batch conversion to affine points (the zkey's form) and to the
 * uncompressed form the circuit hash is computed over. At most a few tasks are in flight, so memory stays
 * bounded by the chunk size, whatever the circuit.
 */
import type { SnarkjsCurve } from '../snark/snarkjs';
import { TermScalars } from './term-scalars';

export type Group = 'G1' | 'G2';

const CHUNK_POINTS = 1 << 13;
const CHUNK_WIRES = 1 << 14;
const SIZE_CLASSES = [1, 2, 4, 8, 16, 32];
const GROUPS = 2 * SIZE_CLASSES.length;

/** The terms of one key section: term j adds scalars[scalarOf[j]] · tables[tableOf[j]][rowOf[j]] to point outOf[j]. */
export interface WireSumPlan {
  group: Group;
  nOut: number;
  nTerms: number;
  outOf: Uint32Array;
  tableOf: Uint8Array;
  rowOf: Uint32Array;
  scalarOf: Uint32Array;
}

export interface WireSumChunk {
  /** Affine points, little-endian Montgomery (the zkey's encoding). */
  lem: Uint8Array;
  /** The same points uncompressed (what the circuit hash covers). */
  uncompressed: Uint8Array;
}

export async function sumWires(
  curve: SnarkjsCurve,
  plan: WireSumPlan,
  scalars: TermScalars,
  tables: Uint8Array[],
  write: (chunk: WireSumChunk) => Promise<void>,
  onProgress?: (fraction: number) => void,
): Promise<void> {
  const G = curve[plan.group];
  const sG = G.F.n8 * 2;
  const sGmid = G.F.n8 * 3;
  const p = plan.group === 'G1' ? 'g1m' : 'g2m';

  // Counting sort of the terms by output point.
  const start = new Uint32Array(plan.nOut + 1);
  for (let j = 0; j < plan.nTerms; j++) start[plan.outOf[j] + 1]++;
  for (let w = 0; w < plan.nOut; w++) start[w + 1] += start[w];
  const order = new Uint32Array(plan.nTerms);
  const fill = start.slice(0, plan.nOut);
  for (let j = 0; j < plan.nTerms; j++) order[fill[plan.outOf[j]]++] = j;

  const concurrency: number = curve.tm.concurrency;
  const inFlight: Array<Promise<Uint8Array[]>> = [];
  const flushOne = async (): Promise<void> => {
    const [lem, uncompressed] = await inFlight.shift()!;
    await write({ lem, uncompressed });
  };

  let w0 = 0;
  let done = 0;
  while (w0 < plan.nOut) {
    let w1 = w0 + 1;
    while (w1 < plan.nOut && w1 - w0 < CHUNK_WIRES && start[w1 + 1] - start[w0] <= CHUNK_POINTS) w1++;
    inFlight.push(curve.tm.queueAction(chunkTask(w0, w1)));
    done += start[w1] - start[w0];
    if (inFlight.length >= 2 * concurrency) {
      await flushOne();
      onProgress?.(done / Math.max(1, plan.nTerms));
    }
    w0 = w1;
  }
  while (inFlight.length > 0) await flushOne();
  onProgress?.(1);

  function chunkTask(w0: number, w1: number): object[] {
    const nPoints = start[w1] - start[w0];
    let scalarBytes = 0;
    for (let k = start[w0]; k < start[w1]; k++) scalarBytes += classBytes(scalars.bytes[plan.scalarOf[order[k]]]);
    const bases = new Uint8Array(Math.max(1, nPoints * sG));
    const scalarBuf = new Uint8Array(Math.max(1, scalarBytes));
    const nOut = w1 - w0;
    const task: object[] = [
      { cmd: 'ALLOCSET', var: 0, buff: bases },
      { cmd: 'ALLOCSET', var: 1, buff: scalarBuf },
      { cmd: 'ALLOC', var: 2, len: nOut * sGmid },
      { cmd: 'ALLOC', var: 3, len: sGmid },
    ];
    let pB = 0;
    let pS = 0;
    const counts = new Uint32Array(GROUPS);
    const groupOf = (j: number): number => {
      const s = plan.scalarOf[j];
      return scalars.negative[s] * SIZE_CLASSES.length + classIndex(scalars.bytes[s]);
    };
    for (let w = w0; w < w1; w++) {
      const out = { var: 2, offset: (w - w0) * sGmid };
      counts.fill(0);
      for (let k = start[w]; k < start[w + 1]; k++) counts[groupOf(order[k])]++;
      let first = true;
      for (let g = 0; g < GROUPS; g++) {
        const n = counts[g];
        if (n === 0) continue;
        const size = SIZE_CLASSES[g % SIZE_CLASSES.length];
        const negative = g >= SIZE_CLASSES.length;
        const b0 = pB;
        const s0 = pS;
        for (let k = start[w]; k < start[w + 1]; k++) {
          const j = order[k];
          if (groupOf(j) !== g) continue;
          const table = tables[plan.tableOf[j]];
          const at = plan.rowOf[j] * sG;
          bases.set(table.subarray(at, at + sG), pB);
          pB += sG;
          const m = plan.scalarOf[j] * 32;
          scalarBuf.set(scalars.magnitude.subarray(m, m + size), pS);
          pS += size;
        }
        const target = first ? out : { var: 3 };
        if (n === 1) {
          task.push({ cmd: 'CALL', fnName: `${p}_timesScalarAffine`, params: [{ var: 0, offset: b0 }, { var: 1, offset: s0 }, { val: size }, target] });
        } else {
          task.push({ cmd: 'CALL', fnName: `${p}_multiexpAffine`, params: [{ var: 0, offset: b0 }, { var: 1, offset: s0 }, { val: size }, { val: n }, target] });
        }
        if (first) {
          if (negative) task.push({ cmd: 'CALL', fnName: `${p}_neg`, params: [out, out] });
        } else {
          task.push({ cmd: 'CALL', fnName: negative ? `${p}_sub` : `${p}_add`, params: [out, { var: 3 }, out] });
        }
        first = false;
      }
      if (first) task.push({ cmd: 'CALL', fnName: `${p}_zero`, params: [out] });
    }
    task.push({ cmd: 'CALL', fnName: `${p}_batchToAffine`, params: [{ var: 2 }, { val: nOut }, { var: 2 }] });
    task.push({ cmd: 'GET', out: 0, var: 2, len: nOut * sG });
    task.push({ cmd: 'CALL', fnName: `${p}_batchLEMtoU`, params: [{ var: 2 }, { val: nOut }, { var: 2 }] });
    task.push({ cmd: 'GET', out: 1, var: 2, len: nOut * sG });
    return task;
  }
}

function classIndex(bytes: number): number {
  let c = 0;
  while (SIZE_CLASSES[c] < bytes) c++;
  return c;
}

function classBytes(bytes: number): number {
  return SIZE_CLASSES[classIndex(bytes)];
}
