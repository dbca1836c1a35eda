/**
 * The OpenAPI document is the API: every route of the Nest app (read from its controllers'
 * metadata) is documented with its scope, every documented route exists, routes that need a key
 * answer 401 without one and 403 with a key of another scope, and the real responses of a whole
 * session on models/tiny (upload → compile → prove → batch → verify → deploy, and errors) have a
 * documented status, content type and a body that validates against the documented schema (ajv,
 * JSON Schema 2020-12 as OpenAPI 3.1 uses it).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import Ajv2020 from 'ajv/dist/2020';
import { AppModule } from '../../src/service/app.module';
import { loadConfig } from '../../src/service/config';
import { createLogger } from '../../src/service/log';
import { ROUTES } from '../../src/service/openapi';
import type { Runtime } from '../../src/service/runtime';
import { Server, startServer } from '../../src/service/server';
import { calibrationFile, makeTempDir, modelFile } from '../helpers/onnx-builders';
import { http, HttpResult, readyTiny, TINY_INPUT, tinyInputs, waitFor, waitForBatch } from '../helpers/service';

const ADMIN = 'admin-key-openapi-0123456789';
const READER = 'reader-key-openapi-0123456789';
const admin = { authorization: `Bearer ${ADMIN}` };
const reader = { 'x-api-key': READER };

/** `METHOD /path/{param}` of every handler of the app's controllers, with its declared scope. */
function appRoutes(): Map<string, string | undefined> {
  const { controllers } = AppModule.create({} as Runtime, createLogger('silent'));
  const out = new Map<string, string | undefined>();
  for (const c of controllers ?? []) {
    const prefix = String(Reflect.getMetadata(PATH_METADATA, c) ?? '');
    const proto = (c as { prototype: Record<string, unknown> }).prototype;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const handler = proto[name];
      if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
      const sub = String(Reflect.getMetadata(PATH_METADATA, handler));
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      const full = `/${[prefix, sub].filter((s) => s && s !== '/').join('/')}`.replace(/:(\w+)/g, '{$1}');
      out.set(`${method} ${full}`, Reflect.getMetadata('zkml:scope', handler));
    }
  }
  return out;
}

describe('OpenAPI from the zod schemas', () => {
  let dir: string;
  let server: Server;
  let base: string;
  let doc: any;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const validators = new Map<string, ReturnType<typeof ajv.compile>>();
  const seen = new Set<string>();

  /** Checks one real response against the document: status, content type and body. */
  function conforms(method: string, template: string, r: HttpResult): void {
    const op = doc.paths[template]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${template} is documented`);
    const documented = op.responses[String(r.status)];
    assert.ok(documented, `${method} ${template} answered ${r.status}, documented: ${Object.keys(op.responses).join(', ')}\n${JSON.stringify(r.body)}`);
    if (!documented.content) {
      assert.equal(r.status, 204, `${method} ${template} ${r.status}: a body-less response must be 204`);
      seen.add(`${method} ${template} ${r.status}`);
      return;
    }
    const type = String(r.headers.get('content-type') ?? '').split(';')[0];
    const content = documented.content[type];
    assert.ok(content, `${method} ${template} ${r.status}: content type ${type}, documented ${Object.keys(documented.content).join(', ')}`);
    seen.add(`${method} ${template} ${r.status}`);
    const ref: string | undefined = content.schema.$ref;
    if (!ref) return assert.equal(typeof r.body, 'string');
    const name = ref.split('/').pop()!;
    if (!validators.has(name)) validators.set(name, ajv.compile(doc.components.schemas[name]));
    const validate = validators.get(name)!;
    assert.ok(validate(r.body), `${method} ${template} ${r.status} does not match ${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(r.body).slice(0, 2000)}`);
  }

  async function call(method: string, template: string, route: string, body?: unknown, headers: Record<string, string> = admin): Promise<HttpResult> {
    const r = await http(base, method, route, body, headers);
    conforms(method, template, r);
    return r;
  }

  before(async () => {
    dir = makeTempDir('openapi');
    const config = loadConfig({
      PORT: '0',
      ZKML_DATA_DIR: dir,
      ZKML_MODELS_DIR: path.join(dir, 'no-shipped-models'),
      ZKML_API_KEYS: `${ADMIN}=admin,prove,read;${READER}=read`,
      ZKML_PROVER_THREADS: '1',
    });
    server = await startServer(config, createLogger('silent'));
    base = server.url;
    doc = (await http(base, 'GET', '/docs-json')).body;
  });
  after(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('every route of the app is documented, with its scope, and nothing else is', () => {
    const routes = appRoutes();
    assert.deepEqual([...routes.keys()].sort(), Object.keys(ROUTES).sort());
    for (const [key, scope] of routes) assert.equal(ROUTES[key].scope, scope ?? 'admin', `${key}: the guard's scope`);
    const documented = Object.entries(doc.paths).flatMap(([p, ops]: [string, any]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    assert.deepEqual(documented.sort(), Object.keys(ROUTES).sort());
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['apiKey', 'bearer']);
    for (const name of Object.keys(doc.components.schemas)) ajv.compile(doc.components.schemas[name]); // each is a valid schema
  });

  test('the request schemas are the validating ones: bounds, enums and strictness show', () => {
    const body = (p: string) => doc.paths[p].post.requestBody.content['application/json'].schema;
    assert.equal(body('/v1/proofs').properties.modelId.pattern, '^[0-9a-f]{64}$');
    assert.deepEqual(body('/v1/proofs').required.sort(), ['input', 'modelId']);
    assert.equal(body('/v1/batches').properties.inputs.minItems, 1);
    assert.equal(body('/v1/models/{id}/deploy').additionalProperties, false);
    assert.deepEqual(body('/v1/models/{id}/compile').properties.settings.properties.outputVisibility.enum, ['public', 'hashed']);
    assert.equal(doc.paths['/v1/proofs'].post.responses['429'].headers['Retry-After'].schema.type, 'integer');
  });

  test('without a key: 401; with a key of another scope: 403 (problem+json as documented)', async () => {
    for (const [key, route] of Object.entries(ROUTES)) {
      if (route.scope === 'public') continue;
      const [method, template] = key.split(' ');
      const concrete = template.replace('{id}', 'f'.repeat(64));
      const body = method === 'POST' && !template.endsWith('/v1/models') ? {} : undefined;
      const none = await call(method, template, concrete, body, {});
      assert.equal(none.status, 401, key);
      const asReader = await call(method, template, concrete, body, reader);
      if (route.scope !== 'read') assert.equal(asReader.status, 403, key);
      else assert.notEqual(asReader.status, 403, key);
    }
  });

  test('a real session: every response matches its documented schema', async () => {
    await call('GET', '/health', '/health', undefined, {});
    await call('GET', '/metrics', '/metrics', undefined, {});
    const id = await readyTiny(base, admin);
    await call('GET', '/v1/models', '/v1/models');
    const other = await call('POST', '/v1/models', '/v1/models?name=tiny-matmul', new Uint8Array(fs.readFileSync(modelFile('tiny-matmul'))));
    await call('POST', '/v1/models/{id}/compile', `/v1/models/${other.body.id}/compile`, { calibration: JSON.parse(fs.readFileSync(calibrationFile('tiny-matmul'), 'utf8')) });
    await call('POST', '/v1/models', '/v1/models', new Uint8Array([1, 2, 3]));
    const model = await call('GET', '/v1/models/{id}', `/v1/models/${id}`);
    assert.equal(model.body.status, 'ready');
    await call('GET', '/v1/models/{id}', `/v1/models/${'0'.repeat(64)}`);
    await call('GET', '/v1/models/{id}/verifier.sol', `/v1/models/${id}/verifier.sol`);
    const vk = await call('GET', '/v1/models/{id}/verification_key.json', `/v1/models/${id}/verification_key.json`);
    const manifest = await call('GET', '/v1/models/{id}/manifest.json', `/v1/models/${id}/manifest.json`);
    assert.equal(manifest.body.vkSha256, model.body.manifest.vkSha256);
    assert.equal(
      vk.body.nPublic,
      model.body.publicLayout.reduce((a: number, e: any) => a + e.size, 0),
    );
    await call('POST', '/v1/models/{id}/compile', `/v1/models/${id}/compile`, { settings: { batchSize: 0 } });

    const submitted = await call('POST', '/v1/proofs', '/v1/proofs', { modelId: id, input: TINY_INPUT, idempotencyKey: 'openapi-1' });
    assert.equal(submitted.status, 202);
    assert.equal((await call('POST', '/v1/proofs', '/v1/proofs', { modelId: id, input: TINY_INPUT, idempotencyKey: 'openapi-1' })).status, 200);
    await call('POST', '/v1/proofs', '/v1/proofs', { modelId: id });
    await call('GET', '/v1/proofs/{id}/calldata', `/v1/proofs/${submitted.body.id}/calldata`);
    const done = await waitFor('the proof', async () => {
      const j = await http(base, 'GET', `/v1/proofs/${submitted.body.id}`, undefined, admin);
      return j.body.state === 'done' && j;
    });
    conforms('GET', '/v1/proofs/{id}', done);
    await call('GET', '/v1/proofs/{id}', `/v1/proofs/${submitted.body.id}`, undefined, reader);
    await call('GET', '/v1/proofs/{id}/calldata', `/v1/proofs/${submitted.body.id}/calldata`);
    await call('GET', '/v1/proofs/{id}', '/v1/proofs/nope');
    const events = await call('GET', '/v1/jobs/{id}/events', `/v1/jobs/${submitted.body.id}/events`);
    assert.match(String(events.body), /event: end\ndata: \{"id":"/);
    await call('GET', '/v1/jobs/{id}/events', '/v1/jobs/nope/events');

    const batch = await call('POST', '/v1/batches', '/v1/batches', { modelId: id, inputs: tinyInputs(2) });
    await waitForBatch(base, batch.body.id, 2, 'the batch', admin);
    await call('GET', '/v1/batches/{id}', `/v1/batches/${batch.body.id}?limit=5`);
    await call('GET', '/v1/batches/{id}', `/v1/batches/${batch.body.id}?limit=x`);
    await call('POST', '/v1/batches', '/v1/batches', { modelId: id, inputs: [] });

    // A batch keeps the one prover thread busy: its last item is still queued, and is cancelled.
    const busy = await call('POST', '/v1/batches', '/v1/batches', { modelId: id, inputs: tinyInputs(6) });
    const items = (await http(base, 'GET', `/v1/batches/${busy.body.id}`, undefined, admin)).body.items;
    assert.equal((await call('POST', '/v1/proofs/{id}/cancel', `/v1/proofs/${items[items.length - 1].id}/cancel`)).status, 200);
    await waitFor('the busy batch', async () => {
      const b = (await http(base, 'GET', `/v1/batches/${busy.body.id}`, undefined, admin)).body;
      return b.counts.queued + b.counts.running === 0 && b;
    });
    await call('POST', '/v1/proofs/{id}/cancel', `/v1/proofs/${items[0].id}/cancel`);
    await call('POST', '/v1/models/{id}/check', `/v1/models/${id}/check`);
    const doomed = await call('POST', '/v1/models', '/v1/models?name=doomed', new Uint8Array(fs.readFileSync(modelFile('mnist-mlp'))));
    assert.equal((await call('DELETE', '/v1/models/{id}', `/v1/models/${doomed.body.id}`)).status, 204);
    await call('DELETE', '/v1/models/{id}', `/v1/models/${doomed.body.id}`);

    const receipt = done.body.receipt;
    assert.equal((await call('POST', '/v1/verify', '/v1/verify', { receipt })).body.valid, true);
    const bad = { ...receipt, publicSignals: [receipt.publicSignals[0], '1'] };
    assert.equal((await call('POST', '/v1/verify', '/v1/verify', { receipt: bad })).body.valid, false);
    await call('POST', '/v1/verify', '/v1/verify', { nothing: true });

    const deployed = await call('POST', '/v1/models/{id}/deploy', `/v1/models/${id}/deploy`, { registry: 'new' });
    assert.equal(deployed.status, 201);
    assert.equal((await call('POST', '/v1/models/{id}/deploy', `/v1/models/${id}/deploy`, {})).status, 200);
    await call('POST', '/v1/models/{id}/deploy', `/v1/models/${id}/deploy`, { registry: 'nope' });
    await call('GET', '/v1/models/{id}', `/v1/models/${id}`);

    // Every route was exercised with a success status.
    for (const [key, route] of Object.entries(ROUTES)) {
      const ok = Object.keys(route.responses).filter((s) => Number(s) < 300);
      assert.ok(
        ok.some((s) => seen.has(`${key} ${s}`)),
        `${key}: no success response was checked (${ok.join(', ')})`,
      );
    }
  });
});
