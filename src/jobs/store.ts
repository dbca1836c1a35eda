/**
 * The durable job store. Implemented on SQLite (embedded default) and PostgreSQL (scale-out). Every
 * state change that matters for exactly-once is one conditional statement or one transaction.
 */
import type { ModelDeployment } from '../chain/deploy-model';
import type { PublicError } from '../errors';
import type { BatchRecord, DueWebhook, Job, JobKind, JobState, ModelRecord, ModelUpdate, NewJob, WebhookAttempt, WebhookDelivery } from './job';

export interface CreateJobsResult {
  jobs: Job[];
  /** False when an idempotency key matched an existing job (or batch), which is returned instead. */
  created: boolean;
  /** When created is false: the fingerprint stored with the first request (null on rows made before fingerprints). */
  requestHash?: string | null;
  /** When created is false for a batch: the existing batch's id (its jobs are not returned). */
  batchId?: string;
}

export interface JobStore {
  init(): Promise<void>;
  close(): Promise<void>;

  /** Inserts the model unless it exists (its id is the ONNX content hash); returns the stored record. */
  upsertModel(m: { id: string; name: string; calibration?: unknown }): Promise<ModelRecord>;
  getModel(id: string): Promise<ModelRecord | undefined>;
  listModels(): Promise<ModelRecord[]>;
  /** One page of models, oldest first, after the (createdAt, id) of the previous page's last one. */
  listModelsPage(limit: number, after?: { createdAt: string; id: string }): Promise<ModelRecord[]>;
  /**
   * Deletes the model's record unless it has queued or running jobs (then 'busy' and the count), in
   * one transaction. Its finished jobs and their receipts stay readable.
   */
  deleteModel(id: string): Promise<'deleted' | 'missing' | { busy: number }>;
  /** Fails a queued job with JOB_CANCELLED; returns the job as it is (unchanged when it was not queued). */
  cancel(jobId: string, error: PublicError): Promise<{ cancelled: boolean; job: Job | undefined }>;
  /** Stores where the model was deployed (replacing an earlier deployment). */
  setDeployment(modelId: string, deployment: ModelDeployment): Promise<void>;
  /**
   * The startup check's verdict on a ready (or stopped) model's build: an error stops it (status
   * stopped, with the error), null makes it ready again. False when the model is in another state.
   */
  setModelHealth(modelId: string, error: PublicError | null): Promise<boolean>;
  /** Records a compile job for the model and marks it compiling, in one transaction. */
  startCompile(modelId: string, job: NewJob): Promise<Job>;

  /**
   * Inserts prove jobs. With an idempotency key that already exists (a single job's, or the batch's),
   * nothing is inserted and the existing job (or batch id) is returned with its request fingerprint. With a limit, nothing is inserted when the active jobs would exceed it.
   */
  createProveJobs(jobs: NewJob[], opts: { activeLimit?: number; batch?: BatchRecord }): Promise<CreateJobsResult | 'full'>;
  getJob(id: string): Promise<Job | undefined>;
  getResult(jobId: string): Promise<unknown | undefined>;
  countResults(jobId: string): Promise<number>;
  /** Jobs queued or running (the bounded queue's depth). */
  countActive(): Promise<number>;
  countByState(): Promise<Record<JobState, number>>;

  getBatch(id: string): Promise<BatchRecord | undefined>;
  batchCounts(batchId: string): Promise<Record<JobState, number>>;
  batchItems(batchId: string, offset: number, limit: number): Promise<Job[]>;

  /**
   * Claims a queued (or orphaned running) job for an owner: state running, attempts + 1. Returns
   * undefined when the job is finished or unknown. The phase names what the runner starts with.
   */
  claim(jobId: string, owner: string, phase?: string): Promise<Job | undefined>;
  progress(jobId: string, phase: string, percent: number): Promise<void>;
  /**
   * Stores the result, then marks the job done and erases its payload, in one transaction, only if
   * the job is still running. Returns false when another runner finished it first (nothing written).
   */
  complete(jobId: string, result: unknown, model?: ModelUpdate): Promise<boolean>;
  /** As complete, for a failure: the error is stored as given (a PublicError: whitelisted details only). */
  fail(jobId: string, error: PublicError, model?: ModelUpdate): Promise<boolean>;
  /** Jobs queued since before the given time (to re-announce to a queue that may have missed them), with their lane. */
  queuedBefore(isoTime: string, limit: number): Promise<Array<{ id: string; kind: JobKind }>>;
  /** Queued and running jobs after a restart; running ones go back to queued. Oldest first. */
  recover(): Promise<Job[]>;

  /** The webhook delivery of a job (stored with the job when it gave a callbackUrl). */
  getWebhook(jobId: string): Promise<WebhookDelivery | undefined>;
  /** Deliveries due at the given time whose job has ended. */
  webhooksDue(isoTime: string, limit: number): Promise<DueWebhook[]>;
  /** Takes a due delivery for one attempt (moves next_at to the lease's end) unless another process took it first. */
  claimWebhook(jobId: string, dueAt: string, leaseUntil: string): Promise<boolean>;
  /** Records one attempt: attempts + 1, its status and error, delivered or the next due time (null: given up). */
  recordWebhookAttempt(jobId: string, attempt: WebhookAttempt): Promise<void>;
}

export const emptyCounts = (): Record<JobState, number> => ({ queued: 0, running: 0, done: 0, failed: 0 });
