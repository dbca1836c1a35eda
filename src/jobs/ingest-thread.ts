/**
 * An upload's ingest check off the event loop: one short-lived worker thread per upload (uploads are
 * rare; the thread ends with its check), under a heap cap, so a file that would take seconds or
 * gigabytes to ingest never blocks other requests. Past the cap the thread dies and the upload is
 * MODEL_TOO_LARGE, not a dead process.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { TaskOutcome, unwrapTask, ZkmlError } from '../errors';

/** Heap of the ingest thread: ingest of the largest corpus model takes well under 100 MB. */
export const INGEST_HEAP_MB = 512;

export function checkIngestibleOffThread(bytes: Uint8Array, heapMb = INGEST_HEAP_MB): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.resolve(__dirname, 'ingest-task.js'), {
      workerData: bytes,
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: Math.min(64, heapMb / 4) },
    });
    let settled = false;
    worker.once('message', (outcome: TaskOutcome<void>) => {
      settled = true;
      try {
        resolve(unwrapTask(outcome));
      } catch (err) {
        reject(err);
      }
    });
    worker.once('error', (err: Error & { code?: string }) => {
      if (settled) return;
      settled = true;
      reject(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new ZkmlError('MODEL_TOO_LARGE', `ingesting the model needs more than ${heapMb} MB`, { limit: heapMb, unit: 'MB' }, { cause: err })
          : new ZkmlError('INTERNAL', `the ingest thread failed: ${err.message}`, undefined, { cause: err }),
      );
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new ZkmlError('INTERNAL', `the ingest thread exited with code ${code} before answering`));
    });
  });
}
