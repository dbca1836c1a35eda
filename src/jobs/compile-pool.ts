/**
 * The compile thread: compile jobs (compile + Groth16 setup) run in a Piscina pool of one worker
 * thread by default (ZKML_COMPILE_CONCURRENCY), so the process that takes them keeps answering requests. A job that runs too
 * long is stopped (JOB_TIMEOUT); closing the pool stops a running job as JobInterrupted, which the
 * runner leaves unrecorded so that the job runs again after a restart. Stopping a job first tells
 * the thread to kill circom (a child process would outlive it), then terminates the thread, which
 * takes snarkjs's threads with it; Piscina starts a fresh thread for the next job.
 */
import * as path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import Piscina from 'piscina';
import { asZkmlError, unwrapTask, ZkmlError } from '../errors';
import { CompileTask, CompileTaskResult, STOP, TaskMessage } from './compile-task';
import { CompileProgress, CompileSummary } from '../app/compile-and-setup';

export interface CompileJob {
  onnxPath: string;
  buildDir: string;
  settings?: Record<string, unknown>;
  calibration?: unknown;
}

/** The pool was closed while the job ran: its outcome is unknown, not a failure. */
export class JobInterrupted extends Error {
  constructor() {
    super('the compile thread was stopped (shutdown)');
    this.name = 'JobInterrupted';
  }
}

/**
 * Heap cap of the compile thread (V8's old generation; snarkjs's big buffers live outside it): a
 * model that would need more is MODEL_TOO_LARGE, and the thread, not the service, dies.
 */
export const COMPILE_HEAP_MB = 2048;

/** How long a stopping thread gets to kill circom; a thread busy in synchronous code has none running. */
const STOP_GRACE_MS = 3_000;

export class CompilePool {
  private readonly pool: Piscina<CompileTask, CompileTaskResult>;
  private readonly closing = new AbortController();
  private readonly running = new Set<Promise<unknown>>();

  /** timeoutMs: how long one job may run, from when the thread starts it; cacheDir: the dev ptau cache; threads: compiles at once; heapMb: each compile thread's heap cap. */
  constructor(
    private readonly timeoutMs: number,
    private readonly cacheDir?: string,
    threads = 1,
    private readonly heapMb = COMPILE_HEAP_MB,
  ) {
    this.pool = new Piscina({
      filename: path.resolve(__dirname, 'compile-task.js'),
      minThreads: 0,
      maxThreads: threads,
      // Compiles are rare and the thread holds onnxruntime, snarkjs and the model's memory: let it go.
      idleTimeout: 60_000,
      // Between jobs the thread's event loop must run (to reap a killed circom); Atomics.wait would block it.
      atomics: 'disabled',
      resourceLimits: { maxOldGenerationSizeMb: heapMb },
    });
    // A thread that dies with no task running (out of memory while idle or starting) is reported on
    // the pool, not on a task: it must not take the process down; Piscina starts another.
    this.pool.on('error', () => undefined);
  }

  run(job: CompileJob, onProgress: (p: CompileProgress) => void): Promise<CompileSummary> {
    const run = this.runNow(job, onProgress);
    const settled = run.catch(() => undefined);
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
    return run;
  }

  private async runNow(job: CompileJob, onProgress: (p: CompileProgress) => void): Promise<CompileSummary> {
    if (this.closing.signal.aborted) throw new JobInterrupted();
    const { port1, port2 } = new MessageChannel();
    const terminate = new AbortController();
    let stopped: 'timeout' | 'shutdown' | undefined;
    let timeout: NodeJS.Timeout | undefined;
    let grace: NodeJS.Timeout | undefined;
    const stop = (why: 'timeout' | 'shutdown') => {
      if (stopped) return;
      stopped = why;
      port1.postMessage(STOP);
      grace = setTimeout(() => terminate.abort(), STOP_GRACE_MS);
    };
    port1.on('message', (m: TaskMessage) => {
      if (m.kind === 'stopped') return terminate.abort();
      // The clock starts at the first progress, when the thread starts the job, not while it waits behind another.
      timeout ??= setTimeout(() => stop('timeout'), this.timeoutMs);
      onProgress({ phase: m.phase, percent: m.percent });
    });
    const onClose = () => stop('shutdown');
    this.closing.signal.addEventListener('abort', onClose);

    let result: CompileTaskResult | undefined;
    let thrown: unknown;
    try {
      result = await this.pool.run({ ...job, cacheDir: this.cacheDir, port: port2 }, { transferList: [port2], signal: terminate.signal });
    } catch (err) {
      thrown = err;
    } finally {
      clearTimeout(timeout);
      clearTimeout(grace);
      this.closing.signal.removeEventListener('abort', onClose);
      port1.close();
    }
    // Once stopped, whatever the thread said last (circom killed, say) is not the job's outcome.
    if (stopped === 'shutdown') throw new JobInterrupted();
    if (stopped === 'timeout') throw new ZkmlError('JOB_TIMEOUT', `the compile job did not finish within ${Math.round(this.timeoutMs / 1000)} s and was stopped`);
    // The thread died (out of memory, a crash in native code): Piscina starts a new one.
    if (!result && (thrown as { code?: string })?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      throw new ZkmlError('MODEL_TOO_LARGE', `compiling the model needs more than the compile thread's ${this.heapMb} MB`, { limit: this.heapMb, unit: 'MB' }, { cause: thrown });
    }
    if (!result) throw asZkmlError(thrown);
    // A ZkmlError thrown in the thread arrives as it was there: code, message, details.
    return unwrapTask(result);
  }

  /** Stops running compiles (JobInterrupted) and terminates the thread. */
  async close(): Promise<void> {
    this.closing.abort();
    await Promise.all(this.running);
    await this.pool.destroy();
  }
}
