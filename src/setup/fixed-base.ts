// Fixed-base scalar multiplication k·G for many k, spread over worker threads.
// Each worker builds a signed-digit window table for the G1 and G2 generators once and
// then needs ~255/window additions per point (batched affine additions, see the worker)
// instead of snarkjs's per-point double-and-add with ~254 doublings: about 15× cheaper.
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

export type FixedBaseGroup = 'G1' | 'G2';

/** The WebAssembly members we use (tsconfig has no "dom" lib, which would declare them). */
export interface WasmApi {
  compile(code: Uint8Array): Promise<WasmModule>;
  Memory: new (desc: { initial: number }) => { readonly buffer: ArrayBuffer; grow(pages: number): number };
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> };
}
/** Opaque compiled module; structured-cloneable to workers. */
export type WasmModule = object;
export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Sent to each worker as workerData. */
export interface FixedBaseWorkerInit {
  wasmModule: WasmModule;
  initialPages: number;
  groups: Record<FixedBaseGroup, { prefix: string; fieldPrefix: string; n8: number; pGenerator: number; window: number }>;
}
export interface FixedBaseJob {
  id: number;
  group: FixedBaseGroup;
  scalars: Uint8Array;
}
interface FixedBaseResult {
  id: number;
  points?: Uint8Array;
  error?: string;
}

/** Minimal view of a single-threaded snarkjs/ffjavascript curve that we rely on. */
export interface WasmCurveInfo {
  tm: { code: Uint8Array; pG1gen: number; pG2gen: number };
  G1: { F: { n8: number } };
  G2: { F: { n8: number } };
}

/**
 * Window width minimising table building plus evaluation additions per worker:
 * ceil(255/w) windows, each costing one addition per point plus 2^(w-1) table entries at
 * about 1.5 additions each. Capped at 16 bits to bound table memory (32 MB for G1).
 */
export function chooseWindow(pointsPerWorker: number): number {
  let best = 2;
  let bestCost = Infinity;
  for (let w = 2; w <= 16; w++) {
    const cost = Math.ceil(255 / w) * (pointsPerWorker + 1.5 * 2 ** (w - 1));
    if (cost < bestCost) {
      best = w;
      bestCost = cost;
    }
  }
  return best;
}

export class FixedBaseMultiplier {
  private readonly idle: Worker[] = [];
  private readonly queue: { job: FixedBaseJob; transfer: ArrayBuffer[] }[] = [];
  private readonly pending = new Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) {
      w.on('message', (msg: FixedBaseResult) => this.onResult(w, msg));
      w.on('error', (err) => this.fail(err));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`fixed-base worker exited with code ${code}`));
      });
      this.idle.push(w);
    }
  }

  /**
   * `curve` must be a single-threaded snarkjs curve (its tm.code holds the wasm bytes);
   * `expected` is the number of points per group, used to size the windows.
   */
  static async create(curve: WasmCurveInfo, expected: Record<FixedBaseGroup, number>, threads = os.availableParallelism()): Promise<FixedBaseMultiplier> {
    const wasmModule = await wasmApi.compile(curve.tm.code);
    const init: FixedBaseWorkerInit = {
      wasmModule,
      initialPages: 64,
      groups: {
        G1: { prefix: 'g1m', fieldPrefix: 'f1m', n8: curve.G1.F.n8, pGenerator: curve.tm.pG1gen, window: chooseWindow(expected.G1 / threads) },
        G2: { prefix: 'g2m', fieldPrefix: 'f2m', n8: curve.G2.F.n8, pGenerator: curve.tm.pG2gen, window: chooseWindow(expected.G2 / threads) },
      },
    };
    // Under ts-node the sibling is .ts; compiled it is .js.
    const workerFile = path.join(__dirname, `fixed-base-worker${path.extname(__filename)}`);
    const workers = Array.from({ length: Math.max(1, threads) }, () => new Worker(workerFile, { workerData: init }));
    return new FixedBaseMultiplier(workers);
  }

  /**
   * Returns k_i·G for the 32-byte little-endian (non-Montgomery) scalars k_i, as affine
   * points in snarkjs's LEM layout (Montgomery x‖y, all zero for the identity).
   * Takes ownership of `scalars`: the buffer is transferred and zeroed by the worker.
   */
  mul(group: FixedBaseGroup, scalars: Uint8Array): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    const job: FixedBaseJob = { id: this.nextId++, group, scalars };
    const owned = scalars.byteOffset === 0 && scalars.byteLength === scalars.buffer.byteLength;
    const transfer = owned ? [scalars.buffer as ArrayBuffer] : [];
    return new Promise((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject });
      this.queue.push({ job, transfer });
      this.dispatch();
    });
  }

  get threads(): number {
    return this.workers.length;
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const { job, transfer } = this.queue.shift()!;
      this.idle.pop()!.postMessage(job, transfer);
    }
  }

  private onResult(worker: Worker, msg: FixedBaseResult): void {
    const p = this.pending.get(msg.id);
    this.pending.delete(msg.id);
    this.idle.push(worker);
    if (msg.error !== undefined) p?.reject(new Error(msg.error));
    else p?.resolve(msg.points!);
    this.dispatch();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.queue.length = 0;
  }
}
