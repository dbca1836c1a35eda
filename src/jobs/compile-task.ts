/**
 * A compile job's work: compile the ONNX model, then its Groth16 setup, in one build folder. It runs
 * as the Piscina task of the compile thread (src/jobs/compile-pool.ts), so ingest, quantization and
 * snarkjs's key generation never hold the service's event loop. The task's MessagePort carries
 * progress to the pool and 'stop' from it; a failure comes back as the outcome's ErrorEnvelope
 * (src/errors.ts), since a thrown ZkmlError would lose its code crossing the thread boundary
 * (structured cloning keeps only an Error's message).
 */
// First: snarkjs must be loaded as on a main thread before anything else requires it (see there).
import '../snark/in-worker';
import type { MessagePort } from 'node:worker_threads';
import { compileAndSetup, CompileProgress, CompileSummary } from '../app/compile-and-setup';
import { settleTask, TaskOutcome } from '../errors';

export interface CompileTask {
  onnxPath: string;
  buildDir: string;
  settings?: Record<string, unknown>;
  calibration?: unknown;
  /** The dev ptau cache (the service's ZKML_CACHE_DIR). */
  cacheDir?: string;
  /** Sends a TaskMessage per phase; receives 'stop'. */
  port: MessagePort;
}

/** From the pool: kill circom now, the thread is about to be terminated. */
export const STOP = 'stop';
const STOP_SETTLE_MS = 200;

export type TaskMessage = ({ kind: 'progress' } & CompileProgress) | { kind: 'stopped' };

export type CompileTaskResult = TaskOutcome<CompileSummary>;

export default async function compileTask(task: CompileTask): Promise<CompileTaskResult> {
  const post = (m: TaskMessage) => task.port.postMessage(m);
  // circom is a child process: terminating this thread would leave it running, so it is killed first.
  const stop = new AbortController();
  const work = compileAndSetup(task.onnxPath, task.buildDir, {
    settings: task.settings,
    calibration: task.calibration,
    cacheDir: task.cacheDir,
    onProgress: (p) => post({ kind: 'progress', ...p }),
    signal: stop.signal,
  });
  task.port.on('message', (m) => {
    if (m !== STOP) return;
    stop.abort();
    // A killed circom ends the work at once, and this task then returns while the thread lives on to
    // reap it. Otherwise (snarkjs, synchronous code) only terminating the thread stops the work.
    void Promise.race([work.catch(() => undefined), new Promise((r) => setTimeout(r, STOP_SETTLE_MS))]).then(() => post({ kind: 'stopped' }));
  });
  try {
    return await settleTask(() => work);
  } finally {
    task.port.close();
  }
}
