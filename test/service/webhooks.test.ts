/**
 * Webhooks against a local receiver: a proof with a callbackUrl is POSTed there when it ends, signed
 * as docs/service.md says (the recipe verifies, a wrong secret does not); a receiver that refuses
 * connections, then answers 500, and comes back gets the payload after retries, with the delivery
 * record showing the attempts; one that keeps failing is given up after the configured attempts; a
 * delivery pending at a stop is sent after the next start; each batch item is delivered; a bad
 * callbackUrl, or one on a service without a secret, is a 400 naming the field. A compile with a
 * callbackUrl is delivered the same way, its record on the model.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as nodeHttp from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/service/config';
import { createLogger } from '../../src/service/log';
import { Server, startServer } from '../../src/service/server';
import { backoffMs, verifyWebhook } from '../../src/jobs/webhooks';
import { BatchView, ModelDetails, ProofView } from '../../src/service/responses';
import { makeTempDir } from '../helpers/onnx-builders';
import { calibrationFile, modelFile } from '../helpers/onnx-builders';
import { http, readyTiny, TINY_INPUT, tinyInputs, waitFor } from '../helpers/service';

const SECRET = 'webhook-secret-0123456789';

interface Delivery {
  headers: nodeHttp.IncomingHttpHeaders;
  body: string;
}

/** A receiver that records what it gets and answers with the statuses given, then 200. */
function receiver(statuses: number[] = [], port = 0): Promise<{ url: string; got: Delivery[]; close(): Promise<void> }> {
  const got: Delivery[] = [];
  const srv = nodeHttp.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  return new Promise((resolve) =>
    srv.listen(port, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`, got, close: () => new Promise<void>((r) => srv.close(() => r())) })),
  );
}

/** The docs' recipe, as a receiver writes it with node:crypto alone. */
function docsRecipe(secret: string, d: Delivery): boolean {
  const timestamp = String(d.headers['x-zkml-timestamp']);
  const expected = 'v1=' + crypto.createHmac('sha256', secret).update(`${timestamp}.${d.body}`).digest('hex');
  const given = String(d.headers['x-zkml-signature']);
  return expected.length === given.length && crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(given));
}

describe('webhooks', () => {
  let dir: string;
  let server: Server;
  let bare: Server;
  let base: string;
  let modelId: string;
  let config: ReturnType<typeof loadConfig>;

  before(async () => {
    dir = makeTempDir('webhooks');
    const env = { PORT: '0', ZKML_MODELS_DIR: path.join(dir, 'none'), ZKML_PROVER_THREADS: '1' };
    const hooks = { ZKML_WEBHOOK_SECRET: SECRET, ZKML_WEBHOOK_BASE_MS: '150', ZKML_WEBHOOK_MAX_DELAY_MS: '600', ZKML_WEBHOOK_POLL_MS: '50', ZKML_WEBHOOK_TIMEOUT_MS: '2000' };
    config = loadConfig({ ...env, ...hooks, ZKML_DATA_DIR: path.join(dir, 'a') });
    server = await startServer(config, createLogger('silent'));
    bare = await startServer(loadConfig({ ...env, ZKML_DATA_DIR: path.join(dir, 'b') }), createLogger('silent'));
    base = server.url;
    modelId = await readyTiny(base);
  });
  after(async () => {
    await server?.close();
    await bare?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('backoff doubles from the base up to the cap', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => backoffMs(n, 1000, 5000)),
      [1000, 2000, 4000, 5000, 5000],
    );
  });

  test('a proof with a callbackUrl: a signed payload that verifies with the documented recipe', async () => {
    const r = await receiver();
    try {
      const sub = await http(base, 'POST', '/v1/proofs', { modelId, input: TINY_INPUT, callbackUrl: r.url });
      assert.equal(sub.status, 202, JSON.stringify(sub.body));
      await waitFor('the webhook', async () => r.got.length > 0, 60_000, 50);
      const d = r.got[0];
      assert.equal(d.headers['content-type'], 'application/json');
      assert.ok(docsRecipe(SECRET, d), 'the documented recipe verifies the signature');
      assert.ok(verifyWebhook(SECRET, String(d.headers['x-zkml-timestamp']), d.body, String(d.headers['x-zkml-signature'])));
      assert.ok(!docsRecipe('another-secret-0123456789', d), 'a wrong secret does not verify');
      assert.ok(!docsRecipe(SECRET, { ...d, body: d.body.replace('"done"', '"failed"') }), 'a changed body does not verify');
      const payload = JSON.parse(d.body);
      assert.deepEqual(
        { ...payload, finishedAt: typeof payload.finishedAt },
        {
          event: 'job.finished',
          jobId: sub.body.id,
          kind: 'prove',
          modelId,
          batchId: null,
          batchIndex: null,
          state: 'done',
          error: null,
          receipt: { jobId: sub.body.id, link: `/v1/proofs/${sub.body.id}` },
          link: `/v1/proofs/${sub.body.id}`,
          finishedAt: 'string',
        },
      );
      assert.ok(!/openings|salt|input_data/.test(d.body), 'no private data in the payload');
      const view = await waitFor('the delivery record', async () => {
        const v = await http(base, 'GET', `/v1/proofs/${sub.body.id}`);
        return v.body.webhook?.deliveredAt && v.body;
      });
      assert.deepEqual({ ...view.webhook, deliveredAt: typeof view.webhook.deliveredAt }, { url: r.url, attempts: 1, lastStatus: 200, deliveredAt: 'string', lastError: null });
      ProofView.parse(view); // the OpenAPI contract of the view
      assert.equal(r.got.length, 1, 'delivered once');
    } finally {
      await r.close();
    }
  });

  test('a receiver that is down (refused, then 500) and comes back gets the payload after retries', async () => {
    const probe = await receiver();
    const port = Number(new URL(probe.url).port);
    await probe.close(); // nothing listens there now: connection refused
    const sub = await http(base, 'POST', '/v1/proofs', { modelId, input: TINY_INPUT, callbackUrl: probe.url });
    assert.equal(sub.status, 202);
    const failed = await waitFor('a refused attempt', async () => {
      const v = await http(base, 'GET', `/v1/proofs/${sub.body.id}`);
      return v.body.webhook?.attempts >= 1 && v.body.webhook;
    });
    assert.equal(failed.lastStatus, null);
    assert.equal(failed.deliveredAt, null);
    assert.match(failed.lastError, /ECONNREFUSED/);
    const r = await receiver([500], port);
    try {
      const view = await waitFor('the delivery after retries', async () => {
        const v = await http(base, 'GET', `/v1/proofs/${sub.body.id}`);
        return v.body.webhook?.deliveredAt && v.body;
      });
      assert.ok(view.webhook.attempts >= 3, `refused, 500, then delivered: ${JSON.stringify(view.webhook)}`);
      assert.equal(view.webhook.lastStatus, 200);
      assert.equal(view.webhook.lastError, null);
      assert.equal(r.got.length, 2, 'the 500 and the delivery');
      assert.ok(r.got.every((d) => docsRecipe(SECRET, d) && JSON.parse(d.body).jobId === sub.body.id));
    } finally {
      await r.close();
    }
  });

  test('a receiver that keeps failing is given up after the configured attempts (5)', async () => {
    const r = await receiver(Array(20).fill(500));
    try {
      const sub = await http(base, 'POST', '/v1/proofs', { modelId, input: TINY_INPUT, callbackUrl: r.url });
      const w = await waitFor('five attempts', async () => {
        const v = (await http(base, 'GET', `/v1/proofs/${sub.body.id}`)).body.webhook;
        return v?.attempts >= 5 && v;
      });
      await new Promise((done) => setTimeout(done, 1500)); // longer than the capped backoff: no sixth attempt
      assert.deepEqual((await http(base, 'GET', `/v1/proofs/${sub.body.id}`)).body.webhook, { ...w, attempts: 5 });
      assert.deepEqual([w.lastStatus, w.deliveredAt, w.lastError], [500, null, 'the receiver answered HTTP 500']);
      assert.equal(r.got.length, 5);
    } finally {
      await r.close();
    }
  });

  test('a batch with a callbackUrl: one signed delivery per item', async () => {
    const r = await receiver();
    try {
      const sub = await http(base, 'POST', '/v1/batches', { modelId, inputs: tinyInputs(2), callbackUrl: r.url });
      assert.equal(sub.status, 202, JSON.stringify(sub.body));
      await waitFor('two webhooks', async () => r.got.length >= 2, 120_000, 50);
      const payloads = r.got.map((d) => (assert.ok(docsRecipe(SECRET, d)), JSON.parse(d.body)));
      assert.deepEqual(payloads.map((p) => p.batchIndex).sort(), [0, 1]);
      assert.ok(payloads.every((p) => p.batchId === sub.body.id && p.state === 'done'));
      const b = await waitFor('the batch records', async () => {
        const v = await http(base, 'GET', `/v1/batches/${sub.body.id}`);
        return v.body.items.every((i: any) => i.webhook?.deliveredAt) && v.body;
      });
      assert.ok(b.items.every((i: any) => i.webhook.url === r.url && i.webhook.attempts === 1));
      BatchView.parse(b);
    } finally {
      await r.close();
    }
  });

  test('a job without a callbackUrl has no webhook; a changed callbackUrl under the same key is a conflict', async () => {
    const a = await http(base, 'POST', '/v1/proofs', { modelId, input: TINY_INPUT, idempotencyKey: 'hook-key' });
    assert.equal(a.status, 202);
    const v = await http(base, 'GET', `/v1/proofs/${a.body.id}`);
    assert.equal(v.body.webhook, null);
    const b = await http(base, 'POST', '/v1/proofs', { modelId, input: TINY_INPUT, idempotencyKey: 'hook-key', callbackUrl: 'http://127.0.0.1:1/x' });
    assert.equal(b.status, 409, JSON.stringify(b.body));
    assert.equal(b.body.code, 'IDEMPOTENCY_CONFLICT');
  });

  test('a delivery pending when the service stops is sent after the next start', async () => {
    const probe = await receiver();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const sub = await http(base, 'POST', '/v1/proofs', { modelId, input: TINY_INPUT, callbackUrl: probe.url });
    await waitFor('a refused attempt', async () => (await http(base, 'GET', `/v1/proofs/${sub.body.id}`)).body.webhook?.attempts >= 1);
    await server.close();
    const r = await receiver([], port);
    try {
      server = await startServer(config, createLogger('silent'));
      base = server.url;
      await waitFor('the delivery after the restart', async () => r.got.length > 0, 30_000, 50);
      assert.equal(JSON.parse(r.got[0].body).jobId, sub.body.id);
      assert.ok(docsRecipe(SECRET, r.got[0]));
      const v = await waitFor('the record', async () => {
        const w = (await http(base, 'GET', `/v1/proofs/${sub.body.id}`)).body.webhook;
        return w?.deliveredAt && w;
      });
      assert.ok(v.attempts >= 2);
    } finally {
      await r.close();
    }
  });

  test('an invalid callbackUrl is a 400 naming the field; so is one on a service without a secret', async () => {
    for (const callbackUrl of ['not a url', 'ftp://example.com/x', 'file:///etc/passwd', 42]) {
      for (const [route, body] of [
        ['/v1/proofs', { modelId, input: TINY_INPUT, callbackUrl }],
        ['/v1/batches', { modelId, inputs: [TINY_INPUT], callbackUrl }],
      ] as const) {
        const r = await http(base, 'POST', route, body);
        assert.equal(r.status, 400, `${route} ${callbackUrl}`);
        assert.equal(r.body.code, 'BODY_INVALID');
        assert.equal(r.body.details?.field, 'callbackUrl');
      }
    }
    const r = await http(bare.url, 'POST', '/v1/proofs', { modelId, input: TINY_INPUT, callbackUrl: 'http://127.0.0.1:1/x' });
    assert.equal(r.status, 400);
    assert.equal(r.body.details?.field, 'callbackUrl');
    assert.match(r.body.detail, /ZKML_WEBHOOK_SECRET/);
  });

  test('a compile with a callbackUrl: a signed payload when it ends, the delivery record on the model', async () => {
    const r = await receiver();
    try {
      const compileWith = async (onnx: Uint8Array, body: Record<string, unknown>): Promise<{ id: string; jobId: string }> => {
        const up = await http(base, 'POST', '/v1/models?name=hook', onnx);
        assert.equal(up.status, 201, JSON.stringify(up.body));
        const c = await http(base, 'POST', `/v1/models/${up.body.id}/compile`, { ...body, callbackUrl: r.url });
        assert.equal(c.status, 202, JSON.stringify(c.body));
        return { id: up.body.id, jobId: c.body.jobId };
      };
      const ok = await compileWith(fs.readFileSync(modelFile('tiny-matmul')), { calibration: JSON.parse(fs.readFileSync(calibrationFile('tiny-matmul'), 'utf8')) });
      await waitFor('the webhook', async () => r.got.length > 0, 120_000, 50);
      assert.ok(docsRecipe(SECRET, r.got[0]), 'signed as a proof webhook is');
      const done = JSON.parse(r.got[0].body);
      assert.deepEqual(
        { ...done, finishedAt: typeof done.finishedAt },
        {
          event: 'job.finished',
          jobId: ok.jobId,
          kind: 'compile',
          modelId: ok.id,
          batchId: null,
          batchIndex: null,
          state: 'done',
          error: null,
          receipt: null,
          link: `/v1/models/${ok.id}`,
          finishedAt: 'string',
        },
      );
      const m = await waitFor('the delivery record', async () => {
        const v = await http(base, 'GET', `/v1/models/${ok.id}`);
        return v.body.compileWebhook?.deliveredAt && v.body;
      });
      assert.deepEqual({ ...m.compileWebhook, deliveredAt: typeof m.compileWebhook.deliveredAt }, { url: r.url, attempts: 1, lastStatus: 200, deliveredAt: 'string', lastError: null });
      ModelDetails.parse(m); // the OpenAPI contract of the view
      const plain = await http(base, 'GET', `/v1/models/${modelId}`);
      assert.equal(plain.body.compileWebhook, null, 'a compile without a callbackUrl has none');
    } finally {
      await r.close();
    }
    const refused = await http(bare.url, 'POST', `/v1/models/${modelId}/compile`, { callbackUrl: 'http://127.0.0.1:1/x' });
    assert.equal(refused.status, 400, 'no secret: refused, as for proofs');
    assert.equal(refused.body.details?.field, 'callbackUrl');
  });
});
