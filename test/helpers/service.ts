/** Helpers for the service tests: the tiny model (inputs, upload and compile), batch polling; HTTP calls, polling and the service child process come from tools/service-child.ts. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { http, waitFor } from '../../tools/service-child';
import { calibrationFile, modelFile, REPO_ROOT } from './onnx-builders';

export { http, startChild, waitFor } from '../../tools/service-child';
export type { Child, HttpResult } from '../../tools/service-child';

/** Polls a batch until all n items are done; fails at once if any item failed. */
export async function waitForBatch(base: string, batchId: string, n: number, what = 'the batch', headers: Record<string, string> = {}): Promise<any> {
  return waitFor(
    what,
    async () => {
      const b = await http(base, 'GET', `/v1/batches/${batchId}?limit=100`, undefined, headers);
      if (b.body.counts.failed > 0) throw new Error(`${what}: failed items ${JSON.stringify(b.body.items.filter((i: any) => i.error))}`);
      return b.body.counts.done === n && b.body;
    },
    120_000,
    100,
  );
}

export const TINY_INPUT = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'models', 'tiny', 'input.json'), 'utf8'));
export const tinyOnnx = (): Uint8Array => fs.readFileSync(modelFile('tiny'));
export const tinyCalibration = (): unknown => JSON.parse(fs.readFileSync(calibrationFile('tiny'), 'utf8'));

/** Distinct valid inputs for the tiny model (values in [-1, 1)). */
export function tinyInputs(n: number): unknown[] {
  return Array.from({ length: n }, (_, i) => ({ input_data: [[((i % 17) - 8) / 10, (((i * 7) % 19) - 9) / 10, 0.25, -0.5 + (i % 5) / 10]] }));
}

/** Uploads and compiles the tiny model, waiting until it is ready; returns its id. */
export async function readyTiny(base: string, headers: Record<string, string> = {}, timeoutMs = 120_000): Promise<string> {
  const up = await http(base, 'POST', '/v1/models?name=tiny', tinyOnnx(), headers);
  if (up.status !== 201) throw new Error(`upload: ${up.status} ${JSON.stringify(up.body)}`);
  const c = await http(base, 'POST', `/v1/models/${up.body.id}/compile`, { calibration: tinyCalibration() }, headers);
  if (c.status !== 202) throw new Error(`compile: ${c.status} ${JSON.stringify(c.body)}`);
  await waitFor(
    'the model to be ready',
    async () => {
      const m = await http(base, 'GET', `/v1/models/${up.body.id}`, undefined, headers);
      if (m.body.status === 'failed') throw new Error(`compile failed: ${JSON.stringify(m.body.error)}`);
      return m.body.status === 'ready';
    },
    timeoutMs,
    100,
  );
  return up.body.id;
}
