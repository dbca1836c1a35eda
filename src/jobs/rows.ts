/** Row ↔ record mapping and the schema, shared by the SQLite and PostgreSQL stores (same columns). */
import type { ModelDeployment } from '../chain/deploy-model';
import { isErrorCode, PublicError } from '../errors';
import type { BatchRecord, Job, ModelRecord, WebhookDelivery } from './job';

export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS models (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, calibration TEXT,
    compile_job_id TEXT, vk_sha256 TEXT, error_code TEXT, error_message TEXT, created_at TEXT NOT NULL, deployment TEXT, error_details TEXT)`,
  `CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, model_id TEXT NOT NULL, size INTEGER NOT NULL, created_at TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, model_id TEXT NOT NULL, batch_id TEXT, batch_index INTEGER,
    idempotency_key TEXT UNIQUE, state TEXT NOT NULL, phase TEXT NOT NULL, percent REAL NOT NULL,
    payload TEXT, error_code TEXT, error_message TEXT, attempts INTEGER NOT NULL DEFAULT 0, owner TEXT,
    created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, seq BIGINT NOT NULL, requester TEXT, error_details TEXT)`,
  `CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, seq)`,
  `CREATE INDEX IF NOT EXISTS jobs_batch ON jobs (batch_id, batch_index)`,
  // One result per job: the primary key makes a duplicate impossible, not just unlikely.
  `CREATE TABLE IF NOT EXISTS results (job_id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at TEXT NOT NULL)`,
  // One webhook delivery per job (src/jobs/webhooks.ts): next_at is when it is due, NULL once delivered or given up.
  `CREATE TABLE IF NOT EXISTS webhooks (
    job_id TEXT PRIMARY KEY, url TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_status INTEGER,
    last_error TEXT, delivered_at TEXT, next_at TEXT, created_at TEXT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS webhooks_due ON webhooks (next_at)`,
];

/** Columns added after the first release: a store made before them gets them at init. */
export const ADDED_COLUMNS: Array<{ table: 'jobs' | 'models' | 'batches'; column: string }> = [
  { table: 'jobs', column: 'requester' },
  { table: 'models', column: 'deployment' },
  { table: 'jobs', column: 'error_details' },
  { table: 'models', column: 'error_details' },
  { table: 'jobs', column: 'request_hash' },
  { table: 'batches', column: 'idempotency_key' },
  { table: 'batches', column: 'request_hash' },
];

/** Indexes over added columns, created after them. */
export const ADDED_INDEXES = [`CREATE UNIQUE INDEX IF NOT EXISTS batches_idempotency ON batches (idempotency_key)`];

export const JOB_COLUMNS =
  'id, kind, model_id, batch_id, batch_index, idempotency_key, state, phase, percent, payload, error_code, error_message, attempts, owner, created_at, started_at, finished_at, seq, requester, request_hash';

type Row = Record<string, unknown>;

const parse = (v: unknown): unknown => (v === null || v === undefined ? null : JSON.parse(String(v)));
/** A stored error: code, message and the public details written with it (error_details, JSON). */
function err(r: Row): PublicError | null {
  if (!r.error_code) return null;
  const code = isErrorCode(r.error_code) ? r.error_code : 'INTERNAL';
  const details = parse(r.error_details) as Record<string, unknown> | null;
  return { code, message: String(r.error_message ?? ''), ...(details ? { details } : {}) };
}

/** The error columns' values: code, message, details (JSON text or null). Only public errors are stored. */
export const errorColumns = (e: PublicError | null | undefined): [string | null, string | null, string | null] => [e?.code ?? null, e?.message ?? null, json(e?.details)];

export function toJob(r: Row): Job {
  return {
    id: String(r.id),
    kind: r.kind as Job['kind'],
    modelId: String(r.model_id),
    batchId: (r.batch_id as string | null) ?? null,
    batchIndex: r.batch_index === null || r.batch_index === undefined ? null : Number(r.batch_index),
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    state: r.state as Job['state'],
    phase: String(r.phase),
    percent: Number(r.percent),
    payload: parse(r.payload),
    error: err(r),
    attempts: Number(r.attempts),
    owner: (r.owner as string | null) ?? null,
    requester: (r.requester as string | null) ?? null,
    createdAt: String(r.created_at),
    startedAt: (r.started_at as string | null) ?? null,
    finishedAt: (r.finished_at as string | null) ?? null,
  };
}

export function toModel(r: Row): ModelRecord {
  return {
    id: String(r.id),
    name: String(r.name),
    status: r.status as ModelRecord['status'],
    calibration: parse(r.calibration),
    compileJobId: (r.compile_job_id as string | null) ?? null,
    vkSha256: (r.vk_sha256 as string | null) ?? null,
    error: err(r),
    deployment: parse(r.deployment) as ModelDeployment | null,
    createdAt: String(r.created_at),
  };
}

export function toBatch(r: Row): BatchRecord {
  return {
    id: String(r.id),
    modelId: String(r.model_id),
    size: Number(r.size),
    createdAt: String(r.created_at),
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    requestHash: (r.request_hash as string | null) ?? null,
  };
}

export const now = (): string => new Date().toISOString();
export const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

export function toWebhook(r: Row): WebhookDelivery {
  return {
    url: String(r.url),
    attempts: Number(r.attempts),
    lastStatus: r.last_status === null || r.last_status === undefined ? null : Number(r.last_status),
    deliveredAt: (r.delivered_at as string | null) ?? null,
    lastError: (r.last_error as string | null) ?? null,
    nextAt: (r.next_at as string | null) ?? null,
  };
}

/** Finished jobs whose webhook is due (not delivered, not given up), oldest due first. */
export const WEBHOOKS_DUE = (p: (n: number) => string) =>
  `SELECT w.job_id, w.url, w.attempts, w.next_at FROM webhooks w JOIN jobs j ON j.id = w.job_id
   WHERE j.state IN ('done', 'failed') AND w.delivered_at IS NULL AND w.next_at IS NOT NULL AND w.next_at <= ${p(1)} ORDER BY w.next_at LIMIT ${p(2)}`;
