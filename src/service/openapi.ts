/**
 * The OpenAPI 3.1 document, generated from the zod schemas that validate the requests (bodies.ts,
 * formats/settings.ts) and describe the responses (responses.ts): one source, so the document cannot
 * drift from the code. Nest's swagger module contributes the routes and summaries; every operation's
 * request body, responses (each error status as problem+json, with the codes it may carry), scope and
 * both auth schemes come from ROUTES below. test/service/openapi.test.ts checks that every route of
 * the app is here and that real responses match the documented schemas.
 */
import type { OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import type { ErrorCode } from '../errors';
import { CompileSettingsSchema } from '../formats/settings';
import { REQUEST_BODIES } from './bodies';
import type { Scope } from './config';
import { httpStatus } from './http-status';
import * as R from './responses';

type Json = Record<string, unknown>;

/** A response body: a named zod schema (a component), or plain text. */
type Body = { schema: keyof typeof COMPONENTS } | { text: string } | { events: string } | { empty: true };

export interface RouteDoc {
  /** 'public': no key needed (health, metrics). */
  scope: Scope | 'public';
  request?: { schema: z.ZodTypeAny; required: boolean } | { binary: true };
  responses: Record<number, Body & { description: string; headers?: Record<string, string> }>;
  /** The error codes the route may answer with (besides the auth and internal ones every route has). */
  errors: ErrorCode[];
}

/** The named schemas of components.schemas. */
export const COMPONENTS = {
  Problem: R.Problem,
  Job: R.JobView,
  Receipt: R.ReceiptView,
  ProofJob: R.ProofView,
  ProofAccepted: R.ProofAccepted,
  Batch: R.BatchView,
  BatchAccepted: R.BatchAccepted,
  Model: R.ModelDetails,
  ModelCreated: R.ModelCreated,
  ModelList: R.ModelList,
  ModelCheck: R.ModelCheck,
  CompileAccepted: R.CompileAccepted,
  DeployResult: R.DeployResult,
  Manifest: R.ManifestView,
  VerificationKey: R.VerificationKey,
  Calldata: R.Calldata,
  VerifyResult: R.VerifyResult,
  Health: R.Health,
};

/** The compile request as validated: the body schema, its settings by the settings schema (checked when the request is made). */
export const CompileRequestDoc = REQUEST_BODIES.compile.extend({ settings: CompileSettingsSchema.partial().optional() });

const RETRY_AFTER = { 'Retry-After': 'seconds until the queue is expected to have room' };
const MODEL_ROUTE: ErrorCode[] = ['NOT_FOUND', 'MODEL_NOT_READY', 'MODEL_STOPPED'];

export const ROUTES: Record<string, RouteDoc> = {
  'POST /v1/models': {
    scope: 'admin',
    request: { binary: true },
    responses: { 201: { schema: 'ModelCreated', description: 'the model (its id is the sha256 of the file)' } },
    errors: ['BODY_INVALID', 'ONNX_MALFORMED', 'ONNX_UNSUPPORTED_OP', 'ONNX_UNSUPPORTED_ATTRIBUTE', 'ONNX_DYNAMIC_SHAPE', 'WEIGHTS_NOT_FINITE', 'MODEL_TOO_LARGE', 'BODY_TOO_LARGE'],
  },
  'GET /v1/models': {
    scope: 'read',
    responses: {
      200: {
        schema: 'ModelList',
        description: 'one page of models, oldest first (?limit, ?cursor)',
        headers: { 'X-Next-Cursor': 'the cursor of the next page, when more follow', Link: 'rel="next": the next page' },
      },
    },
    errors: ['BODY_INVALID'],
  },
  'DELETE /v1/models/{id}': { scope: 'admin', responses: { 204: { empty: true, description: 'deleted, with its artifacts' } }, errors: ['NOT_FOUND', 'MODEL_BUSY'] },
  'POST /v1/models/{id}/check': { scope: 'admin', responses: { 200: { schema: 'ModelCheck', description: 'the build checked again: ready, or stopped with the reason' } }, errors: ['NOT_FOUND'] },
  'POST /v1/models/{id}/compile': {
    scope: 'admin',
    request: { schema: CompileRequestDoc, required: false },
    responses: { 202: { schema: 'CompileAccepted', description: 'the compile job' } },
    errors: ['NOT_FOUND', 'BODY_INVALID', 'SETTINGS_INVALID', 'CALIBRATION_INVALID', 'MODEL_SETTINGS_CONFLICT', 'STORE_UNAVAILABLE', 'QUEUE_UNAVAILABLE'],
  },
  'GET /v1/models/{id}': { scope: 'read', responses: { 200: { schema: 'Model', description: 'the model, its settings, layout, report and manifest' } }, errors: ['NOT_FOUND'] },
  'POST /v1/models/{id}/deploy': {
    scope: 'admin',
    request: { schema: REQUEST_BODIES.deploy, required: false },
    responses: { 201: { schema: 'DeployResult', description: 'deployed now (created: true)' }, 200: { schema: 'DeployResult', description: 'the stored deployment, nothing sent (created: false)' } },
    errors: [...MODEL_ROUTE, 'BODY_INVALID', 'CHAIN_ERROR', 'CONFIG_INVALID'],
  },
  'GET /v1/models/{id}/verifier.sol': { scope: 'read', responses: { 200: { text: 'Solidity source', description: 'the Groth16 verifier contract' } }, errors: MODEL_ROUTE },
  'GET /v1/models/{id}/verification_key.json': { scope: 'read', responses: { 200: { schema: 'VerificationKey', description: 'the snarkjs verification key' } }, errors: MODEL_ROUTE },
  'GET /v1/models/{id}/manifest.json': { scope: 'read', responses: { 200: { schema: 'Manifest', description: 'the public manifest' } }, errors: MODEL_ROUTE },
  'POST /v1/proofs': {
    scope: 'prove',
    request: { schema: REQUEST_BODIES.proof, required: true },
    responses: {
      202: { schema: 'ProofAccepted', description: 'accepted; Location: /v1/proofs/{id}', headers: { Location: 'the job' } },
      200: { schema: 'ProofAccepted', description: 'the idempotency key repeated: the existing job', headers: { Location: 'the job' } },
    },
    errors: [
      ...MODEL_ROUTE,
      'BODY_INVALID',
      'INPUT_INVALID',
      'INPUT_MISSING',
      'INPUT_NOT_FINITE',
      'INPUT_OUT_OF_RANGE',
      'OPENING_INVALID',
      'QUEUE_FULL',
      'IDEMPOTENCY_CONFLICT',
      'STORE_UNAVAILABLE',
      'QUEUE_UNAVAILABLE',
    ],
  },
  'GET /v1/proofs/{id}': { scope: 'read', responses: { 200: { schema: 'ProofJob', description: 'the job, with its receipt when done' } }, errors: ['NOT_FOUND'] },
  'POST /v1/proofs/{id}/cancel': { scope: 'prove', responses: { 200: { schema: 'Job', description: 'the job, failed with JOB_CANCELLED' } }, errors: ['NOT_FOUND', 'JOB_NOT_CANCELLABLE'] },
  'GET /v1/proofs/{id}/calldata': { scope: 'read', responses: { 200: { schema: 'Calldata', description: 'verifyProof(pA, pB, pC, pubSignals)' } }, errors: ['NOT_FOUND', 'NO_RECEIPT'] },
  'POST /v1/batches': {
    scope: 'prove',
    request: { schema: REQUEST_BODIES.batch, required: true },
    responses: {
      202: { schema: 'BatchAccepted', description: 'the batch' },
      200: { schema: 'BatchAccepted', description: 'the idempotency key repeated with the same body: the existing batch, nothing added' },
    },
    errors: [
      ...MODEL_ROUTE,
      'BODY_INVALID',
      'INPUT_INVALID',
      'INPUT_MISSING',
      'INPUT_NOT_FINITE',
      'INPUT_OUT_OF_RANGE',
      'OPENING_INVALID',
      'QUEUE_FULL',
      'IDEMPOTENCY_CONFLICT',
      'STORE_UNAVAILABLE',
      'QUEUE_UNAVAILABLE',
    ],
  },
  'GET /v1/batches/{id}': { scope: 'read', responses: { 200: { schema: 'Batch', description: 'counts by state and one page of items' } }, errors: ['NOT_FOUND', 'BODY_INVALID'] },
  'POST /v1/verify': {
    scope: 'read',
    request: { schema: REQUEST_BODIES.verify, required: true },
    responses: { 200: { schema: 'VerifyResult', description: 'the verdict (valid: false with a code for a refused receipt)' } },
    errors: ['BODY_INVALID', 'RECEIPT_INVALID', 'RECEIPT_MODEL_MISMATCH', ...MODEL_ROUTE, 'CHAIN_ERROR'],
  },
  'GET /v1/jobs/{id}/events': {
    scope: 'read',
    responses: {
      200: { events: '`event: progress` data {id, state, phase, percent} on each change; `event: end` data: the Job (done or failed); then the stream closes', description: 'Server-Sent Events' },
    },
    errors: ['NOT_FOUND'],
  },
  'GET /health': {
    scope: 'public',
    responses: { 200: { schema: 'Health', description: 'ready' }, 503: { schema: 'Health', description: 'not ready: the job store or the queue does not answer (checks names it)' } },
    errors: [],
  },
  'GET /metrics': { scope: 'public', responses: { 200: { text: 'Prometheus text exposition format', description: 'the metrics' } }, errors: [] },
};

/** A zod schema as JSON Schema (the 2020-12 dialect of OpenAPI 3.1), inline. */
export function jsonSchema(schema: z.ZodTypeAny): Json {
  // The cast keeps TypeScript from expanding zod-to-json-schema's generic options type (TS2589).
  const convert = zodToJsonSchema as (s: unknown, o: Json) => Json;
  const s = convert(schema, { target: 'jsonSchema7', $refStrategy: 'none', removeAdditionalStrategy: 'strict' });
  delete s.$schema;
  return toDraft2020(s) as Json;
}

/** Draft-07 tuples (`items: [...]`, `additionalItems`) as 2020-12 writes them (`prefixItems`, `items`). */
function toDraft2020(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toDraft2020);
  if (typeof v !== 'object' || v === null) return v;
  const o = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toDraft2020(x)]));
  if (Array.isArray(o.items)) {
    o.prefixItems = o.items;
    o.items = o.additionalItems ?? false;
    delete o.additionalItems;
  }
  return o;
}

const problemContent = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

function responses(route: RouteDoc): Json {
  const out: Json = {};
  for (const [status, r] of Object.entries(route.responses)) {
    if ('empty' in r) {
      out[status] = { description: r.description };
      continue;
    }
    const content =
      'text' in r
        ? { 'text/plain': { schema: { type: 'string', description: r.text } } }
        : 'events' in r
          ? { 'text/event-stream': { schema: { type: 'string', description: r.events } } }
          : { 'application/json': { schema: { $ref: `#/components/schemas/${r.schema}` } } };
    const headers = r.headers ? Object.fromEntries(Object.entries(r.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }])) : undefined;
    out[status] = { description: r.description, content, ...(headers ? { headers } : {}) };
  }
  const codes: ErrorCode[] = [...route.errors, ...(route.scope === 'public' ? [] : (['UNAUTHENTICATED', 'FORBIDDEN'] as ErrorCode[])), 'INTERNAL'];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of codes) byStatus.set(httpStatus(c), [...(byStatus.get(httpStatus(c)) ?? []), c]);
  for (const [status, cs] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[status] = {
      description: `problem+json with code ${cs.join(', ')}`,
      content: problemContent,
      ...(status === 429 ? { headers: { 'Retry-After': { description: RETRY_AFTER['Retry-After'], schema: { type: 'integer' } } } } : {}),
    };
  }
  return out;
}

function requestBody(route: RouteDoc): Json | undefined {
  if (!route.request) return undefined;
  if ('binary' in route.request) return { required: true, content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } };
  return { required: route.request.required, content: { 'application/json': { schema: jsonSchema(route.request.schema) } } };
}

/** The key of ROUTES for a path and method of the document. */
export const routeKey = (method: string, p: string): string => `${method.toUpperCase()} ${p}`;

/** Nest's document (routes, summaries, parameters) with every body, response and security requirement from the schemas. */
export function documentFromSchemas(doc: OpenAPIObject): OpenAPIObject {
  const out = doc as unknown as Json & { paths: Record<string, Record<string, Json>>; components?: Json };
  out.openapi = '3.1.0';
  if (!out.paths['/metrics']) out.paths['/metrics'] = { get: { operationId: 'OpsController_metrics', summary: 'Prometheus metrics', tags: ['ops'] } };
  for (const [p, ops] of Object.entries(out.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const route = ROUTES[routeKey(method, p)];
      if (!route) continue; // test/service/openapi.test.ts fails on an undocumented route
      const body = requestBody(route);
      if (body) op.requestBody = body;
      else delete op.requestBody;
      op.responses = responses(route);
      if (route.scope === 'public') op.security = [];
      else {
        op.security = [{ apiKey: [] }, { bearer: [] }];
        op.description = `${op.description ? `${op.description}\n\n` : ''}Needs an API key with the \`${route.scope}\` scope (when keys are configured).`;
      }
    }
  }
  out.components = {
    ...(out.components ?? {}),
    securitySchemes: {
      apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'an API key of ZKML_API_KEYS' },
      bearer: { type: 'http', scheme: 'bearer', description: 'the same API key as `Authorization: Bearer KEY`' },
    },
    schemas: Object.fromEntries(Object.entries(COMPONENTS).map(([name, s]) => [name, jsonSchema(s)])),
  };
  return doc;
}
