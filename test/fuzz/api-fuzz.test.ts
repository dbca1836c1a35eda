/**
 * Bounded fuzzing of the HTTP API's JSON bodies (proofs, batches, verify, compile, deploy): random values, near-valid bodies with one field
 * broken, wrong content types, unparsable JSON. Every answer must be a 2xx or a 4xx problem+json with
 * a stable code: never a 5xx, a hang or a crash; and the service stays healthy throughout.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ERROR_CODES } from '../../src/errors';
import { makeTempDir, seededRng } from '../helpers/onnx-builders';
import { Child, http, readyTiny, startChild, TINY_INPUT } from '../helpers/service';

const CASES = 600;

describe('fuzzing: API request bodies', () => {
  let api: Child;
  let dir: string;
  let modelId: string;
  before(async () => {
    dir = makeTempDir('api-fuzz');
    // A small queue so accepted jobs are few; 429s are answers too.
    api = await startChild('serve', { PORT: '0', ZKML_DATA_DIR: dir, ZKML_MODELS_DIR: path.join(dir, 'none'), ZKML_MAX_QUEUE: '20', ZKML_PROVER_THREADS: '1' });
    modelId = await readyTiny(api.url);
  });
  after(async () => {
    // SIGTERM: the service stops the anvil it started for the deploy bodies (SIGKILL would orphan it).
    await api?.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('random and mutated bodies get 2xx or a 4xx problem+json with a known code', async (t) => {
    const rng = seededRng(17);
    const pick = <T>(xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)];
    const scalars: unknown[] = [0, -1, 1.5, 1e308, -1e308, '', 'x'.repeat(300), null, true, false, {}, [], [[]], '0x00', 2 ** 53 + 1];
    const randomValue = (depth: number): unknown => {
      const kind = rng.int(0, depth > 2 ? 0 : 3);
      if (kind === 0) return pick(scalars);
      if (kind === 1) return Array.from({ length: rng.int(0, 5) }, () => randomValue(depth + 1));
      return Object.fromEntries(
        Array.from({ length: rng.int(0, 4) }, () => [
          pick(['modelId', 'input', 'inputs', 'receipt', 'idempotencyKey', 'onchain', 'settings', 'proof', 'publicSignals', 'salts', 'registry', '__proto__']),
          randomValue(depth + 1),
        ]),
      );
    };
    const valid: Record<string, () => Record<string, unknown>> = {
      '/v1/proofs': () => ({ modelId, input: { input_data: [TINY_INPUT.input_data[0].map((v: number) => (rng.int(0, 5) === 0 ? pick(scalars) : v))] } }),
      '/v1/batches': () => ({ modelId, inputs: [TINY_INPUT, TINY_INPUT] }),
      '/v1/verify': () => ({
        receipt: {
          proof: {
            pi_a: ['1', '2', '1'],
            pi_b: [
              ['1', '2'],
              ['3', '4'],
              ['1', '0'],
            ],
            pi_c: ['1', '2', '1'],
            protocol: 'groth16',
            curve: 'bn128',
          },
          publicSignals: ['1', '2'],
        },
      }),
      [`/v1/models/${modelId}/compile`]: () => ({ settings: { inputBits: 8 } }),
      // Valid bodies deploy the verifier once (to the service's own anvil), then get the stored deployment.
      [`/v1/models/${modelId}/deploy`]: () => ({ force: false }),
    };
    const statuses = new Map<number, number>();
    const codes = new Set<string>();
    for (let i = 0; i < CASES; i++) {
      const route = pick(Object.keys(valid).map((r) => r.replace('MODEL', modelId)));
      let body: unknown;
      let headers: Record<string, string> = {};
      const kind = i % 4;
      if (kind === 0) body = randomValue(0);
      else if (kind === 1) {
        const b = valid[route]();
        const key = pick(Object.keys(b));
        b[key] = randomValue(1);
        body = b;
      } else if (kind === 2) {
        body = JSON.stringify(valid[route]()).slice(0, rng.int(0, 40)); // cut JSON
      } else {
        body = JSON.stringify(randomValue(0));
        headers = { 'content-type': pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1']) };
      }
      const r = await http(api.url, 'POST', route, body, headers);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      const what = `case ${i} ${route} ${JSON.stringify(body)?.slice(0, 120)} → ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;
      assert.ok(r.status < 500, what);
      if (r.status >= 400) {
        assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/, what);
        assert.ok(typeof r.body.code === 'string' && (r.body.code in ERROR_CODES || /^[A-Z_]+$/.test(r.body.code)), what);
        codes.add(r.body.code);
      }
    }
    t.diagnostic(`statuses: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(', ')}; codes: ${[...codes].join(', ')}`);
    assert.ok(codes.size >= 3, 'several distinct refusals');
    const health = await http(api.url, 'GET', '/health');
    assert.equal(health.status, 200);
  });
});
