// Worker side of FixedBaseMultiplier: computes k·G for many scalars k and one fixed
// generator G (of G1 or G2) with a signed-digit windowed table. The arithmetic is
// snarkjs's own bn128 wasm code, instantiated here and called directly (no task queue).
// See fixed-base.ts for the protocol.
import { parentPort, workerData } from 'node:worker_threads';
import type { FixedBaseGroup, FixedBaseJob, FixedBaseWorkerInit, WasmApi } from './fixed-base';

type WasmFn = (...args: number[]) => number;

const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const init = workerData as FixedBaseWorkerInit;
const memory = new WebAssemblyApi.Memory({ initial: init.initialPages });
const wasm = new WebAssemblyApi.Instance(init.wasmModule, { env: { memory } }).exports as Record<string, WasmFn>;

// The wasm code keeps its free-memory pointer at address 0 and allocates its own
// temporaries above it (batchToAffine of n points takes 2·n field elements), so our
// allocations move that pointer and leave `scratch` bytes of room behind it.
function alloc(bytes: number, scratch = 0): number {
  const u32 = new Uint32Array(memory.buffer, 0, 1);
  const p = (u32[0] + 7) & ~7;
  u32[0] = p + bytes;
  const needed = p + bytes + scratch + (1 << 16);
  const have = memory.buffer.byteLength;
  if (needed > have) memory.grow(Math.ceil((needed - have) / 65536));
  return p;
}
function freeTo(p: number): void {
  new Uint32Array(memory.buffer, 0, 1)[0] = p;
}

interface Table {
  prefix: string;
  window: number;
  half: number; // table entries per window: multiples 1..half of the window base
  nWindows: number;
  pTable: number; // affine points, window-major
  sAffine: number;
  sJacobian: number;
}

const tables: Partial<Record<FixedBaseGroup, Table>> = {};

function buildTable(group: FixedBaseGroup): Table {
  const g = init.groups[group];
  const sAffine = g.n8 * 2;
  const sJacobian = g.n8 * 3;
  const half = 1 << (g.window - 1);
  // Scalars are < 2^254; signed recoding can carry one more bit.
  const nWindows = Math.ceil(255 / g.window);
  const nEntries = nWindows * half;
  const pTable = alloc(nEntries * sAffine);
  const mark = alloc(0);
  const pJac = alloc(nEntries * sJacobian);
  const pBase = alloc(sAffine);
  const pNext = alloc(sJacobian, 2 * nEntries * g.n8);
  const f = (name: string) => wasm[`${g.prefix}_${name}`];
  const addMixed = f('addMixed'),
    toAffine = f('toAffine'),
    double = f('double'),
    copy = f('copy'),
    zero = f('zero');

  copy(g.pGenerator, pNext);
  for (let w = 0; w < nWindows; w++) {
    // Entry k-1 of window w is k·2^(w·window)·G.
    toAffine(pNext, pBase);
    const row = pJac + w * half * sJacobian;
    zero(row);
    addMixed(row, pBase, row);
    for (let k = 1; k < half; k++) addMixed(row + (k - 1) * sJacobian, pBase, row + k * sJacobian);
    double(row + (half - 1) * sJacobian, pNext);
  }
  f('batchToAffine')(pJac, nEntries, pTable);
  freeTo(mark);
  return { prefix: g.prefix, window: g.window, half, nWindows, pTable, sAffine, sJacobian };
}

/** Reads `bits` bits (≤ 16) starting at bit `pos` of a little-endian 32-byte scalar. */
function readBits(s: Uint8Array, base: number, pos: number, bits: number): number {
  const byte = pos >> 3;
  const at = (k: number) => (byte + k < 32 ? s[base + byte + k] : 0);
  const v = at(0) | (at(1) << 8) | (at(2) << 16);
  return (v >>> (pos & 7)) & ((1 << bits) - 1);
}

/**
 * Signed window digits, scalar-major: scalar = Σ_w d_w·2^(w·window) with d_w in
 * (−half, half], so the table only needs the multiples 1..half (negating is cheap).
 */
function recode(scalars: Uint8Array, t: Table): Int32Array {
  const n = scalars.byteLength / 32;
  const digits = new Int32Array(n * t.nWindows);
  const full = 1 << t.window;
  for (let i = 0; i < n; i++) {
    let carry = 0;
    for (let w = 0; w < t.nWindows; w++) {
      let d = readBits(scalars, i * 32, w * t.window, t.window) + carry;
      carry = d > t.half ? 1 : 0;
      if (carry) d -= full;
      digits[i * t.nWindows + w] = d;
    }
  }
  return digits;
}

/**
 * k_i·G for all scalars, one window at a time across the whole batch, in affine
 * coordinates: all additions of a window share one field inversion (Montgomery's trick),
 * which makes them cheaper than mixed Jacobian additions (about 1.2× for G1, 1.6× for G2).
 */
function multiply(group: FixedBaseGroup, scalars: Uint8Array): Uint8Array {
  const t = (tables[group] ??= buildTable(group));
  const g = init.groups[group];
  const n8 = g.n8;
  const n = scalars.byteLength / 32;
  const digits = recode(scalars, t);
  scalars.fill(0); // the scalars are secret-derived

  const fp = (name: string) => wasm[`${g.fieldPrefix}_${name}`];
  const copy = fp('copy'),
    neg = fp('neg'),
    add = fp('add'),
    sub = fp('sub'),
    mul = fp('mul'),
    square = fp('square'),
    isZero = fp('isZero');
  const mark = alloc(0);
  const pAcc = alloc(n * t.sAffine); // running sums; all-zero bytes is the identity
  const pDx = alloc(n * n8);
  const pInv = alloc(n * n8, (n + 1) * n8);
  const pLambda = alloc(n8),
    pX3 = alloc(n8),
    pTmp = alloc(n8);
  new Uint8Array(memory.buffer, pAcc, n * t.sAffine).fill(0);

  const started = new Uint8Array(n); // acc_i is no longer the identity
  const who = new Int32Array(n); // batch slot -> scalar index
  const entry = new Int32Array(n); // batch slot -> table point
  const negate = new Uint8Array(n); // batch slot -> subtract instead of add
  for (let w = 0; w < t.nWindows; w++) {
    let k = 0;
    for (let i = 0; i < n; i++) {
      const d = digits[i * t.nWindows + w];
      if (d === 0) continue;
      const e = t.pTable + (w * t.half + Math.abs(d) - 1) * t.sAffine;
      const acc = pAcc + i * t.sAffine;
      if (!started[i]) {
        copy(e, acc);
        if (d > 0) copy(e + n8, acc + n8);
        else neg(e + n8, acc + n8);
        started[i] = 1;
        continue;
      }
      who[k] = i;
      entry[k] = e;
      negate[k] = d < 0 ? 1 : 0;
      sub(e, acc, pDx + k * n8); // x2 − x1
      k++;
    }
    if (k === 0) continue;
    fp('batchInverse')(pDx, n8, k, pInv, n8); // zero stays zero
    for (let j = 0; j < k; j++) {
      const i = who[j],
        e = entry[j],
        acc = pAcc + i * t.sAffine,
        inv = pInv + j * n8;
      if (isZero(inv)) {
        started[i] = addEqualX(t, acc, e, negate[j] === 1) ? 1 : 0;
        continue;
      }
      // λ = (y2 − y1)/(x2 − x1), y2 negated for a negative digit
      if (negate[j]) {
        add(e + n8, acc + n8, pTmp);
        neg(pTmp, pTmp);
      } else sub(e + n8, acc + n8, pTmp);
      mul(pTmp, inv, pLambda);
      square(pLambda, pX3); // x3 = λ² − x1 − x2
      sub(pX3, acc, pX3);
      sub(pX3, e, pX3);
      sub(acc, pX3, pTmp); // y3 = λ(x1 − x3) − y1
      mul(pLambda, pTmp, pTmp);
      sub(pTmp, acc + n8, acc + n8);
      copy(pX3, acc);
    }
  }
  digits.fill(0);

  const out = new Uint8Array(memory.buffer, pAcc, n * t.sAffine).slice();
  new Uint8Array(memory.buffer, mark, alloc(0) - mark).fill(0);
  freeTo(mark);
  return out;
}

/**
 * acc ± entry when both have the same x (a doubling or the identity). Practically never
 * happens for random scalars; the generic Jacobian code handles it. Returns false for the identity.
 */
function addEqualX(t: Table, acc: number, e: number, negative: boolean): boolean {
  const f = (name: string) => wasm[`${t.prefix}_${name}`];
  const mark = alloc(0);
  const pJac = alloc(t.sJacobian);
  f('toJacobian')(acc, pJac);
  f(negative ? 'subMixed' : 'addMixed')(pJac, e, pJac);
  f('toAffine')(pJac, acc);
  const isIdentity = f('isZero')(pJac) !== 0;
  freeTo(mark);
  return !isIdentity;
}

parentPort!.on('message', (job: FixedBaseJob) => {
  try {
    const points = multiply(job.group, job.scalars);
    parentPort!.postMessage({ id: job.id, points }, [points.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ id: job.id, error: String((err as Error)?.stack ?? err) });
  }
});
