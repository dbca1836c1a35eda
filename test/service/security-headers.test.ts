/**
 * HTTP hardening, in-process: every response carries the security headers (nosniff, frame denial,
 * no referrer, a CSP that forbids scripts on the API, no-store on /v1), and an API key put in the
 * query string never reaches the request log (nor do header keys).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/service/config';
import { createLogger } from '../../src/service/log';
import { Server, startServer } from '../../src/service/server';
import { makeTempDir } from '../helpers/onnx-builders';
import { http, waitFor } from '../helpers/service';

const KEY = 'security-key-0123456789abcdef';

describe('security headers and log redaction', () => {
  let dir: string;
  let server: Server;
  const lines: string[] = [];

  before(async () => {
    dir = makeTempDir('service-security');
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    server = await startServer(
      loadConfig({ PORT: '0', ZKML_DATA_DIR: dir, ZKML_MODELS_DIR: path.join(dir, 'none'), ZKML_API_KEYS: `${KEY}=read`, ZKML_PROVER_THREADS: '1' }),
      createLogger('info', sink),
    );
  });
  after(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('every response carries the security headers', async () => {
    for (const [route, status] of [
      ['/health', 200],
      ['/v1/models', 401],
      ['/v1/nowhere', 404],
    ] as const) {
      const r = await http(server.url, 'GET', route);
      assert.equal(r.status, status, route);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', route);
      assert.equal(r.headers.get('x-frame-options'), 'DENY', route);
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer', route);
      assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/, route);
      assert.ok(r.headers.get('strict-transport-security'), route);
      assert.equal(r.headers.get('x-powered-by'), null, route);
    }
    assert.equal((await http(server.url, 'GET', '/v1/models', undefined, { 'x-api-key': KEY })).headers.get('cache-control'), 'no-store');
    const docs = await http(server.url, 'GET', '/docs/');
    assert.equal(docs.status, 200);
    assert.match(docs.headers.get('content-security-policy') ?? '', /script-src 'self'/, 'Swagger UI may run its own scripts');
  });

  test('a key in the query string (or a header) is not logged', async () => {
    const r = await http(server.url, 'GET', `/v1/models?api_key=${KEY}&limit=5`, undefined, { authorization: `Bearer ${KEY}` });
    assert.equal(r.status, 200);
    const line = await waitFor('the request log line', async () => lines.find((l) => l.includes('/v1/models?')));
    assert.ok(!lines.some((l) => l.includes(KEY)), `the key was logged: ${line}`);
    assert.match(JSON.parse(line).req.url, /api_key=%5Bredacted%5D&limit=5/);
  });
});
