/**
 * The upload's ingest check in a worker thread: typed errors come back with their codes and details,
 * the event loop keeps running while a slow file is checked, and a file past the heap cap is
 * MODEL_TOO_LARGE instead of a dead process.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ZkmlError } from '../../src/errors';
import { checkIngestibleOffThread } from '../../src/jobs/ingest-thread';
import { writeOnnx } from '../../src/onnx/writer';
import { readModelBytes } from '../helpers/onnx-builders';

const reluChain = (n: number): Uint8Array =>
  writeOnnx({
    name: 'chain',
    inputs: [{ name: 'x', elemType: 'float32', shape: [1, 4] }],
    outputs: [{ name: 'y', elemType: 'float32', shape: [1, 4] }],
    nodes: Array.from({ length: n }, (_, i) => ({ opType: 'Relu', name: `r${i}`, inputs: [i === 0 ? 'x' : `t${i - 1}`], outputs: [i === n - 1 ? 'y' : `t${i}`] })),
  });

const rejectsWith = (p: Promise<unknown>, code: string) => assert.rejects(p, (e: unknown) => e instanceof ZkmlError && e.code === code);

test('a shipped model passes; malformed and too large files come back with their codes and details', async () => {
  await checkIngestibleOffThread(readModelBytes('tiny'));
  await rejectsWith(checkIngestibleOffThread(Uint8Array.from([1, 2, 3, 4, 5])), 'ONNX_MALFORMED');
  await assert.rejects(
    checkIngestibleOffThread(reluChain(20_000)),
    (e: unknown) => e instanceof ZkmlError && e.code === 'MODEL_TOO_LARGE' && e.details?.count === 20_000 && e.details?.unit === 'nodes',
  );
});

test('the event loop keeps running while a slow file is ingested', async () => {
  const bytes = reluChain(4000);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const t0 = Date.now();
  try {
    await checkIngestibleOffThread(bytes);
  } finally {
    clearInterval(timer);
  }
  const elapsed = Date.now() - t0;
  // On the event loop the check would run in one synchronous stretch: no tick at all.
  assert.ok(ticks >= Math.floor(elapsed / 10 / 4), `${ticks} ticks in ${elapsed} ms`);
  assert.ok(ticks > 3, `${ticks} ticks in ${elapsed} ms`);
});

test('past the heap cap the upload is MODEL_TOO_LARGE, and the process lives on', async () => {
  await assert.rejects(checkIngestibleOffThread(reluChain(4000), 4), (e: unknown) => e instanceof ZkmlError && e.code === 'MODEL_TOO_LARGE' && e.details?.unit === 'MB');
  await checkIngestibleOffThread(readModelBytes('tiny'));
});
