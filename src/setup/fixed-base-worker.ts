// Worker side of FixedBaseMultiplier: computes k·G for many scalars k and one fixed
// generator G (of G1 or G2) with a signed-digit windowed table, calling the curve's
// wasm functions (snarkjs's own bn128 code) directly so the per-addition cost is one
// wasm call. See fixed-base.ts for the protocol.
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
  half: number;          // table entries per window: multiples 1..half of the window base
  nWindows: number;
  pTable: number;        // affine points, window-major
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
  const addMixed = f('addMixed'), toAffine = f('toAffine'), double = f('double'), copy = f('copy'), zero = f('zero');

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

function multiply(group: FixedBaseGroup, scalars: Uint8Array): Uint8Array {
  const t = (tables[group] ??= buildTable(group));
  const n = scalars.byteLength / 32;
  const addMixed = wasm[`${t.prefix}_addMixed`], subMixed = wasm[`${t.prefix}_subMixed`], zero = wasm[`${t.prefix}_zero`];
  const mark = alloc(0);
  const pAcc = alloc(n * t.sJacobian);
  const pOut = alloc(n * t.sAffine, 2 * n * t.sAffine);
  const full = 1 << t.window;

  for (let i = 0; i < n; i++) {
    const acc = pAcc + i * t.sJacobian;
    zero(acc);
    let carry = 0;
    for (let w = 0; w < t.nWindows; w++) {
      // Signed digits in (-half, half] halve the table; negation is free in subMixed.
      let d = readBits(scalars, i * 32, w * t.window, t.window) + carry;
      carry = d > t.half ? 1 : 0;
      if (carry) d -= full;
      if (d > 0) addMixed(acc, t.pTable + (w * t.half + d - 1) * t.sAffine, acc);
      else if (d < 0) subMixed(acc, t.pTable + (w * t.half - d - 1) * t.sAffine, acc);
    }
  }
  scalars.fill(0); // the scalars are secret-derived

  wasm[`${t.prefix}_batchToAffine`](pAcc, n, pOut);
  const out = new Uint8Array(memory.buffer, pOut, n * t.sAffine).slice();
  // Partial sums reveal nothing new, but wipe them anyway.
  new Uint8Array(memory.buffer, pAcc, n * (t.sJacobian + t.sAffine)).fill(0);
  freeTo(mark);
  return out;
}

parentPort!.on('message', (job: FixedBaseJob) => {
  try {
    const points = multiply(job.group, job.scalars);
    parentPort!.postMessage({ id: job.id, points }, [points.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ id: job.id, error: String((err as Error)?.stack ?? err) });
  }
});
