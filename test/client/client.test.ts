/**
 * The TypeScript client (clients/typescript, built by `npm run build:client`) against the real
 * service (`zkml serve` in a child process, embedded defaults: SQLite, in-process queue, the shipped
 * models) with an API key: compile with progress, proveAndWait, idempotency keys, a batch with
 * progress, offline verifyReceipt with the key alone, typed errors, and retries that wait what
 * Retry-After says on a real 429 (a queue of 1) and on a 503. Its types are the generated ones.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type * as Client from '../../clients/typescript/src/index';
import { CLIENT_TYPES_FILE, clientTypes } from '../../tools/client-types';
import { makeTempDir, modelFile, REPO_ROOT } from '../helpers/onnx-builders';
import { Child, startChild, TINY_INPUT, tinyInputs } from '../helpers/service';

const CLIENT_DIR = path.join(REPO_ROOT, 'clients', 'typescript');
const KEY = 'client-test-key-0123456789abcdef';

describe('@zkml/client against the real service', () => {
  let lib: typeof Client;
  let dir: string;
  let child: Child;
  let client: Client.ZkmlClient;
  let tinyId: string;
  let receipt: Client.Receipt;

  before(async () => {
    assert.ok(fs.existsSync(path.join(CLIENT_DIR, 'dist', 'index.js')), 'the client is not built: npm run build:client');
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    lib = require(CLIENT_DIR) as typeof Client; // through its package.json exports, as `npm install <path>` would
    dir = makeTempDir('client');
    // The service as `npm start` runs it, on embedded defaults (SQLite, the in-process queue).
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    assert.equal(pkg.scripts.start, 'node dist/src/service/main.js');
    child = await startChild('start', { PORT: '0', ZKML_DATA_DIR: dir, ZKML_API_KEYS: `${KEY}=admin,prove,read`, ZKML_MAX_QUEUE: '1', ZKML_PROVER_THREADS: '1' });
    client = new lib.ZkmlClient({ baseUrl: child.url, apiKey: KEY, maxRetryDelayMs: 20_000, retries: 30 });
    tinyId = crypto
      .createHash('sha256')
      .update(fs.readFileSync(modelFile('tiny')))
      .digest('hex');
  });
  after(async () => {
    await child?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the client types are the ones generated from the service schemas', async () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const prettier = require('prettier') as typeof import('prettier');
    const expected = await prettier.format(clientTypes(), { ...(await prettier.resolveConfig(CLIENT_TYPES_FILE)), filepath: CLIENT_TYPES_FILE });
    assert.equal(fs.readFileSync(CLIENT_TYPES_FILE, 'utf8'), expected, 'regenerate: node dist/tools/client-types.js && npx prettier --write clients/typescript/src/types.ts');
  });

  test('typed errors: the problem+json code, and 401 without the key', async () => {
    await assert.rejects(client.getModel('0'.repeat(64)), (e: Client.ZkmlApiError) => e instanceof lib.ZkmlApiError && e.status === 404 && e.code === 'NOT_FOUND');
    const anonymous = new lib.ZkmlClient({ baseUrl: child.url });
    await assert.rejects(anonymous.listModels(), (e: Client.ZkmlApiError) => e.status === 401 && e.code === 'UNAUTHENTICATED');
  });

  test('compile the shipped tiny model with progress, then proveAndWait', async () => {
    assert.ok((await client.listModels()).some((m) => m.id === tinyId && m.name === 'tiny'));
    await client.compileModel(tinyId);
    const percents: number[] = [];
    const model = await client.waitForModel(tinyId, { onProgress: (j) => percents.push(j.percent), timeoutMs: 180_000 });
    assert.equal(model.status, 'ready');
    assert.ok(percents.length > 0 && percents.every((p, i) => i === 0 || p >= percents[i - 1]), `progress ${percents}`);
    const states: string[] = [];
    const job = await client.proveAndWait({ modelId: tinyId, input: TINY_INPUT }, { onProgress: (j) => states.push(j.state) });
    assert.equal(job.state, 'done');
    assert.equal(states.at(-1), 'done');
    receipt = job.receipt!;
    assert.equal(receipt.format, 'zkml-receipt/1');
  });

  test('offline verifyReceipt with the verification key alone: valid, outputs decoded; tampered: invalid', async () => {
    const vk = await client.verificationKey(tinyId);
    const v = await lib.verifyReceipt(receipt, vk);
    assert.equal(v.valid, true, v.reason);
    assert.deepEqual(
      v.decoded!.filter((d) => d.kind === 'output').map((d) => d.values),
      receipt.outputs!.map((o) => o.values),
    );
    assert.ok(v.notChecked.length >= 3);
    const tampered = { ...receipt, publicSignals: receipt.publicSignals.map((s, i) => (i === 1 ? String(BigInt(s) + 1n) : s)) };
    assert.equal((await lib.verifyReceipt(tampered, vk)).valid, false);
    const wrongLayout = { ...receipt, model: { ...receipt.model, publicLayout: [{ ...receipt.model.publicLayout[0], shape: [1, 3] }] } };
    assert.match((await lib.verifyReceipt(wrongLayout, vk)).reason, /layout describes 3/);
    assert.equal((await client.verify({ receipt })).valid, true, 'and the service agrees');
    assert.equal((await client.manifest(tinyId)).vkSha256, receipt.model.vkSha256);
  });

  test('jobEvents streams a proof job: progress, then the end with the job', async () => {
    const { id } = await client.submitProof({ modelId: tinyId, input: TINY_INPUT });
    const events = [];
    for await (const e of client.jobEvents(id)) events.push(e);
    assert.ok(events.length >= 2);
    const end = events.at(-1)!;
    assert.equal(end.event, 'end');
    assert.equal(end.data.state, 'done');
    assert.ok(events.slice(0, -1).every((e) => e.event === 'progress' && e.data.id === id));
    await assert.rejects(
      async () => {
        for await (const _ of client.jobEvents('nope')) void _;
      },
      (e: Client.ZkmlApiError) => e.status === 404 && e.code === 'NOT_FOUND',
    );
  });

  test('an idempotency key repeated returns the same job', async () => {
    const key = lib.newIdempotencyKey();
    const a = await client.submitProof({ modelId: tinyId, input: TINY_INPUT }, key);
    const b = await client.submitProof({ modelId: tinyId, input: TINY_INPUT }, key);
    assert.equal(b.id, a.id);
    assert.equal(a.created, true);
    assert.equal(b.created, false);
    await client.waitForProof(a.id);
  });

  test('a real 429 (queue of 1) is retried after the Retry-After the service sent', async () => {
    const tries: Array<{ at: number; status: number; retryAfter: string | null }> = [];
    const recording = new lib.ZkmlClient({
      baseUrl: child.url,
      apiKey: KEY,
      retries: 60,
      maxRetryDelayMs: 20_000,
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        tries.push({ at: Date.now(), status: res.status, retryAfter: res.headers.get('retry-after') });
        return res;
      },
    });
    const first = await client.submitProof({ modelId: tinyId, input: tinyInputs(1)[0] });
    const second = await recording.submitProof({ modelId: tinyId, input: tinyInputs(2)[1] });
    assert.ok(tries[0].status === 429, `the queue of 1 was full: ${JSON.stringify(tries)}`);
    assert.equal(tries.at(-1)!.status, 202);
    for (let i = 0; i + 1 < tries.length; i++) {
      const waited = tries[i + 1].at - tries[i].at;
      assert.ok(waited >= Number(tries[i].retryAfter) * 1000 - 50, `waited ${waited} ms after Retry-After ${tries[i].retryAfter}`);
    }
    await client.waitForProof(first.id);
    await client.waitForProof(second.id);
  });

  test('a batch with progress: every item done, in order', async () => {
    const busy = new lib.ZkmlClient({ baseUrl: child.url, apiKey: KEY });
    // The queue holds one job: a batch of one, then its successor once it ended.
    const seen: number[] = [];
    const items = await busy.proveBatchAndWait({ modelId: tinyId, inputs: tinyInputs(1) }, { onProgress: (c) => seen.push(c.done) });
    assert.equal(items.length, 1);
    assert.equal(items[0].state, 'done');
    assert.equal(seen.at(-1), 1);
    assert.ok(seen.every((d, i) => i === 0 || d >= seen[i - 1]));
  });

  test('a 503 with Retry-After is retried; retryAfterMs reads seconds and HTTP dates', async () => {
    let calls = 0;
    const stub = http.createServer((_req, res) => {
      calls++;
      if (calls === 1) res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/problem+json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok' }));
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    try {
      const t0 = Date.now();
      const h = await new lib.ZkmlClient({ baseUrl: `http://127.0.0.1:${(stub.address() as AddressInfo).port}` }).health();
      assert.equal(h.status, 'ok');
      assert.equal(calls, 2);
      assert.ok(Date.now() - t0 >= 950);
    } finally {
      stub.close();
    }
    assert.equal(lib.retryAfterMs('3'), 3000);
    assert.equal(lib.retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000);
    assert.equal(lib.retryAfterMs('soon'), undefined);
  });
});
