/**
 * The scale-out job store on PostgreSQL: the API and every `zkml worker` share it. Tables live in a
 * configured schema. Finishing a job is one transaction guarded by `state = 'running'`, so two
 * workers that both ran a job store one result.
 */
import { Pool, PoolClient, QueryResult } from 'pg';
import type { ModelDeployment } from '../chain/deploy-model';
import type { PublicError } from '../errors';
import { BatchRecord, DueWebhook, Job, JobKind, JOB_STATES, JobState, ModelRecord, ModelUpdate, NewJob, WebhookAttempt, WebhookDelivery } from './job';
import { ADDED_COLUMNS, ADDED_INDEXES, errorColumns, JOB_COLUMNS, json, now, SCHEMA, toBatch, toJob, toModel, toWebhook, WEBHOOKS_DUE } from './rows';
import { isPgUnavailable, storeUnavailable } from './outage';
import { nextSeq } from './seq';
import { CreateJobsResult, emptyCounts, JobStore } from './store';

type Row = Record<string, unknown>;
/** Serialises job creation so the bounded-queue check and the inserts are atomic across API processes. */
const CREATE_LOCK = 4_242_001;

export class PgJobStore implements JobStore {
  private readonly pool: Pool;

  constructor(
    connectionString: string,
    private readonly schema: string,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
    // Every connection starts with the schema on its search path.
    // A connect that cannot finish fails fast (a 503), instead of holding the request.
    this.pool = new Pool({ connectionString, max: 5, options: `-c search_path=${schema}`, connectionTimeoutMillis: 1500 });
    // An idle connection dropped by a stopped server is reported here; unhandled, it would kill the
    // process. The next query reports the outage to its caller, and the pool reconnects when it can.
    this.pool.on('error', () => undefined);
  }

  /** A query on the pool; an unreachable server becomes STORE_UNAVAILABLE. */
  private async query(sql: string, args?: unknown[]): Promise<QueryResult<Row>> {
    try {
      return await this.pool.query(sql, args);
    } catch (err) {
      throw isPgUnavailable(err) ? storeUnavailable(err) : err;
    }
  }

  async init(): Promise<void> {
    await this.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
    await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [CREATE_LOCK]);
      for (const stmt of SCHEMA) await c.query(stmt);
      for (const { table, column } of ADDED_COLUMNS) await c.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${column} TEXT`);
      for (const stmt of ADDED_INDEXES) await c.query(stmt);
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect().catch((err) => {
      throw isPgUnavailable(err) ? storeUnavailable(err) : err;
    });
    let broken = false;
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      broken = isPgUnavailable(err);
      if (!broken) await c.query('ROLLBACK').catch(() => undefined);
      throw broken ? storeUnavailable(err) : err;
    } finally {
      // A connection the server dropped is discarded, not handed to the next caller.
      c.release(broken || undefined);
    }
  }

  private async one(sql: string, args: unknown[], c?: PoolClient): Promise<Row | undefined> {
    return (c ? await c.query(sql, args) : await this.query(sql, args)).rows[0] as Row | undefined;
  }

  async upsertModel(m: { id: string; name: string; calibration?: unknown }): Promise<ModelRecord> {
    await this.query('INSERT INTO models (id, name, status, calibration, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING', [m.id, m.name, 'uploaded', json(m.calibration), now()]);
    return toModel((await this.one('SELECT * FROM models WHERE id = $1', [m.id]))!);
  }

  async getModel(id: string): Promise<ModelRecord | undefined> {
    const r = await this.one('SELECT * FROM models WHERE id = $1', [id]);
    return r && toModel(r);
  }

  async listModels(): Promise<ModelRecord[]> {
    return (await this.query('SELECT * FROM models ORDER BY created_at')).rows.map(toModel);
  }

  async listModelsPage(limit: number, after?: { createdAt: string; id: string }): Promise<ModelRecord[]> {
    const r = after
      ? await this.query('SELECT * FROM models WHERE (created_at, id) > ($1, $2) ORDER BY created_at, id LIMIT $3', [after.createdAt, after.id, limit])
      : await this.query('SELECT * FROM models ORDER BY created_at, id LIMIT $1', [limit]);
    return r.rows.map(toModel);
  }

  async deleteModel(id: string): Promise<'deleted' | 'missing' | { busy: number }> {
    return this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [CREATE_LOCK]); // no job is added meanwhile
      if (!(await this.one('SELECT id FROM models WHERE id = $1 FOR UPDATE', [id], c))) return 'missing' as const;
      const busy = Number((await this.one("SELECT COUNT(*) AS n FROM jobs WHERE model_id = $1 AND state IN ('queued', 'running')", [id], c))!.n);
      if (busy > 0) return { busy };
      await c.query('DELETE FROM models WHERE id = $1', [id]);
      return 'deleted' as const;
    });
  }

  async cancel(jobId: string, error: PublicError): Promise<{ cancelled: boolean; job: Job | undefined }> {
    const r = await this.query(
      "UPDATE jobs SET state = 'failed', phase = 'cancelled', payload = NULL, error_code = $1, error_message = $2, error_details = $3, finished_at = $4 WHERE id = $5 AND state = 'queued'",
      [...errorColumns(error), now(), jobId],
    );
    return { cancelled: (r.rowCount ?? 0) > 0, job: await this.getJob(jobId) };
  }

  async setDeployment(modelId: string, deployment: ModelDeployment): Promise<void> {
    await this.query('UPDATE models SET deployment = $1 WHERE id = $2', [json(deployment), modelId]);
  }

  private async insertJob(c: PoolClient, j: NewJob): Promise<void> {
    await c.query(`INSERT INTO jobs (${JOB_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, 'queued', 'queued', 0, $7, NULL, NULL, 0, NULL, $8, NULL, NULL, $9, $10, $11)`, [
      j.id,
      j.kind,
      j.modelId,
      j.batchId ?? null,
      j.batchIndex ?? null,
      j.idempotencyKey ?? null,
      json(j.payload),
      now(),
      nextSeq(),
      j.requester ?? null,
      j.requestHash ?? null,
    ]);
    if (j.callbackUrl) await c.query('INSERT INTO webhooks (job_id, url, attempts, next_at, created_at) VALUES ($1, $2, 0, $3, $3)', [j.id, j.callbackUrl, now()]);
  }

  async setModelHealth(modelId: string, error: PublicError | null): Promise<boolean> {
    const r = await this.query("UPDATE models SET status = $1, error_code = $2, error_message = $3, error_details = $4 WHERE id = $5 AND status IN ('ready', 'stopped')", [
      error ? 'stopped' : 'ready',
      ...errorColumns(error),
      modelId,
    ]);
    return (r.rowCount ?? 0) > 0;
  }

  async startCompile(modelId: string, job: NewJob): Promise<Job> {
    await this.tx(async (c) => {
      await this.insertJob(c, job);
      await c.query("UPDATE models SET status = 'compiling', compile_job_id = $1, error_code = NULL, error_message = NULL, error_details = NULL WHERE id = $2", [job.id, modelId]);
    });
    return (await this.getJob(job.id))!;
  }

  async createProveJobs(jobs: NewJob[], opts: { activeLimit?: number; batch?: BatchRecord }): Promise<CreateJobsResult | 'full'> {
    return this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [CREATE_LOCK]);
      const key = jobs.length === 1 ? jobs[0].idempotencyKey : undefined;
      if (key) {
        const existing = await this.one('SELECT * FROM jobs WHERE idempotency_key = $1', [key], c);
        if (existing) return { jobs: [toJob(existing)], created: false, requestHash: (existing.request_hash as string | null) ?? null };
      }
      const batchKey = opts.batch?.idempotencyKey;
      if (batchKey) {
        const existing = await this.one('SELECT * FROM batches WHERE idempotency_key = $1', [batchKey], c);
        if (existing) return { jobs: [], created: false, batchId: String(existing.id), requestHash: (existing.request_hash as string | null) ?? null };
      }
      if (opts.activeLimit !== undefined && (await this.active(c)) + jobs.length > opts.activeLimit) return 'full' as const;
      if (opts.batch) {
        const b = opts.batch;
        await c.query('INSERT INTO batches (id, model_id, size, created_at, idempotency_key, request_hash) VALUES ($1, $2, $3, $4, $5, $6)', [
          b.id,
          b.modelId,
          b.size,
          b.createdAt,
          b.idempotencyKey ?? null,
          b.requestHash ?? null,
        ]);
      }
      for (const j of jobs) await this.insertJob(c, j);
      const rows = (await c.query('SELECT * FROM jobs WHERE id = ANY($1)', [jobs.map((j) => j.id)])).rows as Row[];
      const byId = new Map(rows.map((r) => [String(r.id), toJob(r)]));
      return { jobs: jobs.map((j) => byId.get(j.id)!), created: true };
    });
  }

  async getJob(id: string): Promise<Job | undefined> {
    const r = await this.one('SELECT * FROM jobs WHERE id = $1', [id]);
    return r && toJob(r);
  }

  async getResult(jobId: string): Promise<unknown | undefined> {
    const r = await this.one('SELECT body FROM results WHERE job_id = $1', [jobId]);
    return r ? JSON.parse(String(r.body)) : undefined;
  }

  async countResults(jobId: string): Promise<number> {
    return Number((await this.one('SELECT COUNT(*) AS n FROM results WHERE job_id = $1', [jobId]))!.n);
  }

  private async active(c?: PoolClient): Promise<number> {
    return Number((await this.one("SELECT COUNT(*) AS n FROM jobs WHERE state IN ('queued', 'running')", [], c))!.n);
  }

  async countActive(): Promise<number> {
    return this.active();
  }

  private async counts(where: string, args: unknown[]): Promise<Record<JobState, number>> {
    const out = emptyCounts();
    for (const r of (await this.query(`SELECT state, COUNT(*) AS n FROM jobs ${where} GROUP BY state`, args)).rows as Row[]) {
      if (JOB_STATES.includes(r.state as JobState)) out[r.state as JobState] = Number(r.n);
    }
    return out;
  }

  async countByState(): Promise<Record<JobState, number>> {
    return this.counts('', []);
  }

  async getBatch(id: string): Promise<BatchRecord | undefined> {
    const r = await this.one('SELECT * FROM batches WHERE id = $1', [id]);
    return r && toBatch(r);
  }

  async batchCounts(batchId: string): Promise<Record<JobState, number>> {
    return this.counts('WHERE batch_id = $1', [batchId]);
  }

  async batchItems(batchId: string, offset: number, limit: number): Promise<Job[]> {
    return (await this.query('SELECT * FROM jobs WHERE batch_id = $1 ORDER BY batch_index LIMIT $2 OFFSET $3', [batchId, limit, offset])).rows.map(toJob);
  }

  async claim(jobId: string, owner: string, phase = 'starting'): Promise<Job | undefined> {
    const r = await this.one(
      "UPDATE jobs SET state = 'running', phase = $4, percent = 0, attempts = attempts + 1, owner = $1, started_at = $2 WHERE id = $3 AND state IN ('queued', 'running') RETURNING *",
      [owner, now(), jobId, phase],
    );
    return r && toJob(r);
  }

  async progress(jobId: string, phase: string, percent: number): Promise<void> {
    await this.query("UPDATE jobs SET phase = $1, percent = $2 WHERE id = $3 AND state = 'running'", [phase, percent, jobId]);
  }

  async complete(jobId: string, result: unknown, model?: ModelUpdate): Promise<boolean> {
    return this.finish(jobId, 'done', result, null, model);
  }

  async fail(jobId: string, error: PublicError, model?: ModelUpdate): Promise<boolean> {
    return this.finish(jobId, 'failed', undefined, error, model);
  }

  private finish(jobId: string, state: JobState, result: unknown, error: PublicError | null, model?: ModelUpdate): Promise<boolean> {
    return this.tx(async (c) => {
      // FOR UPDATE: a second finisher waits here, then sees the job no longer running.
      const job = await this.one("SELECT model_id FROM jobs WHERE id = $1 AND state = 'running' FOR UPDATE", [jobId], c);
      if (!job) return false;
      if (result !== undefined) await c.query('INSERT INTO results (job_id, body, created_at) VALUES ($1, $2, $3)', [jobId, JSON.stringify(result), now()]);
      await c.query('UPDATE jobs SET state = $1, phase = $2, percent = $3, payload = NULL, error_code = $4, error_message = $5, error_details = $6, finished_at = $7 WHERE id = $8', [
        state,
        state,
        state === 'done' ? 100 : 0,
        ...errorColumns(error),
        now(),
        jobId,
      ]);
      if (model) {
        await c.query('UPDATE models SET status = $1, vk_sha256 = COALESCE($2, vk_sha256), error_code = $3, error_message = $4, error_details = $5 WHERE id = $6', [
          model.status,
          model.vkSha256 ?? null,
          ...errorColumns(model.error),
          job.model_id,
        ]);
      }
      return true;
    });
  }

  async queuedBefore(isoTime: string, limit: number): Promise<Array<{ id: string; kind: JobKind }>> {
    return (await this.query("SELECT id, kind FROM jobs WHERE state = 'queued' AND created_at < $1 ORDER BY seq LIMIT $2", [isoTime, limit])).rows.map((r) => ({
      id: String(r.id),
      kind: r.kind as JobKind,
    }));
  }

  /** Queued and running jobs are re-announced to BullMQ, which ignores a job id it still holds; running ones stay running. */
  async recover(): Promise<Job[]> {
    return (await this.query("SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY seq")).rows.map(toJob);
  }

  async getWebhook(jobId: string): Promise<WebhookDelivery | undefined> {
    const r = await this.one('SELECT * FROM webhooks WHERE job_id = $1', [jobId]);
    return r && toWebhook(r);
  }

  async webhooksDue(isoTime: string, limit: number): Promise<DueWebhook[]> {
    return (
      await this.query(
        WEBHOOKS_DUE((n) => `$${n}`),
        [isoTime, limit],
      )
    ).rows.map((r) => ({ jobId: String(r.job_id), url: String(r.url), attempts: Number(r.attempts), nextAt: String(r.next_at) }));
  }

  async claimWebhook(jobId: string, dueAt: string, leaseUntil: string): Promise<boolean> {
    const r = await this.query('UPDATE webhooks SET next_at = $1 WHERE job_id = $2 AND next_at = $3 AND delivered_at IS NULL', [leaseUntil, jobId, dueAt]);
    return (r.rowCount ?? 0) > 0;
  }

  async recordWebhookAttempt(jobId: string, a: WebhookAttempt): Promise<void> {
    await this.query('UPDATE webhooks SET attempts = attempts + 1, last_status = $1, last_error = $2, delivered_at = $3, next_at = $4 WHERE job_id = $5', [
      a.status,
      a.error,
      a.deliveredAt,
      a.nextAt,
      jobId,
    ]);
  }
}
