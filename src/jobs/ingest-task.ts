/**
 * The upload check's worker thread: ingest the bytes it was given (workerData) and post back a
 * TaskOutcome, so a large or hostile file never holds the service's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkIngestible } from '../onnx/load';
import { settleTask } from '../errors';

void settleTask(async () => checkIngestible(workerData as Uint8Array)).then((outcome) => parentPort!.postMessage(outcome));
