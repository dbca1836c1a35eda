/**
 * The job model shared by the stores, the queues and the runner. A job is a row in the store; queues
 * carry only its id, so private inputs never sit in a queue payload.
 */
import type { ModelDeployment } from '../chain/deploy-model';
import type { PublicError } from '../errors';

export type JobKind = 'compile' | 'prove';
export type JobState = 'queued' | 'running' | 'done' | 'failed';
export const JOB_STATES: JobState[] = ['queued', 'running', 'done', 'failed'];

export interface Job {
  id: string;
  kind: JobKind;
  modelId: string;
  batchId: string | null;
  batchIndex: number | null;
  idempotencyKey: string | null;
  state: JobState;
  phase: string;
  percent: number;
  /** Private job input (proof input or compile settings); erased when the job ends. */
  payload: unknown | null;
  /** Why it failed: code, message and the code's public details (src/errors.ts PUBLIC_DETAILS). */
  error: PublicError | null;
  /** How many times a runner has claimed it (more than one after a crash or a killed worker). */
  attempts: number;
  /** The runner (host:pid) that claimed it last. */
  owner: string | null;
  /** Who submitted it: the sha256 of the caller's API key (null on an open API). Only they see its openings. */
  requester: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** stopped: a ready model whose build failed its integrity or trust check at startup; it takes no proofs until compiled again. */
export type ModelStatus = 'uploaded' | 'compiling' | 'ready' | 'failed' | 'stopped';

export interface ModelRecord {
  id: string;
  name: string;
  status: ModelStatus;
  /** Calibration stored with the model (shipped models), used when a compile request gives none. */
  calibration: unknown | null;
  compileJobId: string | null;
  vkSha256: string | null;
  /** Why the compile failed or the model was stopped. */
  error: PublicError | null;
  /** Where the model's verifier was last deployed through the API (POST /v1/models/:id/deploy). */
  deployment: ModelDeployment | null;
  createdAt: string;
}

export interface BatchRecord {
  id: string;
  modelId: string;
  size: number;
  createdAt: string;
  /** Scoped idempotency key of the batch request and its fingerprint (absent on batches without a key). */
  idempotencyKey?: string | null;
  requestHash?: string | null;
}

export interface NewJob {
  id: string;
  kind: JobKind;
  modelId: string;
  payload: unknown;
  idempotencyKey?: string;
  /** The fingerprint of the request (src/jobs/request-hash.ts): a repeated key with another one is a conflict. */
  requestHash?: string;
  batchId?: string;
  batchIndex?: number;
  requester?: string | null;
  /** Where to POST the signed outcome when the job ends (src/jobs/webhooks.ts). */
  callbackUrl?: string;
}

/** A job's webhook delivery as stored (one per job that gave a callbackUrl). */
export interface WebhookDelivery {
  url: string;
  attempts: number;
  /** The receiver's last HTTP status (null: no answer, e.g. connection refused or timeout). */
  lastStatus: number | null;
  deliveredAt: string | null;
  lastError: string | null;
  /** When the next attempt is due; null once delivered or given up. */
  nextAt: string | null;
}

/** A due delivery, as the dispatcher claims it. */
export interface DueWebhook {
  jobId: string;
  url: string;
  attempts: number;
  nextAt: string;
}

/** The outcome of one delivery attempt. */
export interface WebhookAttempt {
  status: number | null;
  error: string | null;
  deliveredAt: string | null;
  nextAt: string | null;
}

/** What to change on the model in the same transaction that finishes a compile job. */
export interface ModelUpdate {
  status: ModelStatus;
  vkSha256?: string | null;
  error?: PublicError | null;
}
