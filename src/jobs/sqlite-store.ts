/**
 * The embedded job store: one SQLite file (WAL, synchronous=FULL so a committed result survives a
 * crash). better-sqlite3 is synchronous; every call is short and indexed.
 */
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelDeployment } from '../chain/deploy-model';
import type { PublicError } from '../errors';
import { BatchRecord, DueWebhook, Job, JobKind, JOB_STATES, JobState, ModelRecord, ModelUpdate, NewJob, WebhookAttempt, WebhookDelivery } from './job';
import { ADDED_COLUMNS, ADDED_INDEXES, errorColumns, JOB_COLUMNS, json, now, SCHEMA, toBatch, toJob, toModel, toWebhook, WEBHOOKS_DUE } from './rows';
import { CreateJobsResult, emptyCounts, JobStore } from './store';
import { nextSeq } from './seq';

type Row = Record<string, unknown>;

export class SqliteJobStore implements JobStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
  }

  async init(): Promise<void> {
    for (const stmt of SCHEMA) this.db.exec(stmt);
    for (const { table, column } of ADDED_COLUMNS) {
      const has = (this.db.prepare(`PRAGMA table_info(${table})`).all() as Row[]).some((c) => c.name === column);
      if (!has) this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} TEXT`);
    }
    for (const stmt of ADDED_INDEXES) this.db.exec(stmt);
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private one(sql: string, ...args: unknown[]): Row | undefined {
    return this.db.prepare(sql).get(...args) as Row | undefined;
  }

  async upsertModel(m: { id: string; name: string; calibration?: unknown }): Promise<ModelRecord> {
    this.db.prepare('INSERT INTO models (id, name, status, calibration, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING').run(m.id, m.name, 'uploaded', json(m.calibration), now());
    return toModel(this.one('SELECT * FROM models WHERE id = ?', m.id)!);
  }

  async getModel(id: string): Promise<ModelRecord | undefined> {
    const r = this.one('SELECT * FROM models WHERE id = ?', id);
    return r && toModel(r);
  }

  async listModels(): Promise<ModelRecord[]> {
    return (this.db.prepare('SELECT * FROM models ORDER BY created_at').all() as Row[]).map(toModel);
  }

  async listModelsPage(limit: number, after?: { createdAt: string; id: string }): Promise<ModelRecord[]> {
    const rows = after
      ? this.db.prepare('SELECT * FROM models WHERE created_at > ? OR (created_at = ? AND id > ?) ORDER BY created_at, id LIMIT ?').all(after.createdAt, after.createdAt, after.id, limit)
      : this.db.prepare('SELECT * FROM models ORDER BY created_at, id LIMIT ?').all(limit);
    return (rows as Row[]).map(toModel);
  }

  async deleteModel(id: string): Promise<'deleted' | 'missing' | { busy: number }> {
    return this.db
      .transaction((): 'deleted' | 'missing' | { busy: number } => {
        if (!this.one('SELECT id FROM models WHERE id = ?', id)) return 'missing';
        const busy = Number(this.one("SELECT COUNT(*) AS n FROM jobs WHERE model_id = ? AND state IN ('queued', 'running')", id)!.n);
        if (busy > 0) return { busy };
        this.db.prepare('DELETE FROM models WHERE id = ?').run(id);
        return 'deleted';
      })
      .immediate();
  }

  async cancel(jobId: string, error: PublicError): Promise<{ cancelled: boolean; job: Job | undefined }> {
    const r = this.db
      .prepare("UPDATE jobs SET state = 'failed', phase = 'cancelled', payload = NULL, error_code = ?, error_message = ?, error_details = ?, finished_at = ? WHERE id = ? AND state = 'queued'")
      .run(...errorColumns(error), now(), jobId);
    return { cancelled: r.changes > 0, job: await this.getJob(jobId) };
  }

  async setDeployment(modelId: string, deployment: ModelDeployment): Promise<void> {
    this.db.prepare('UPDATE models SET deployment = ? WHERE id = ?').run(json(deployment), modelId);
  }

  async setModelHealth(modelId: string, error: PublicError | null): Promise<boolean> {
    const r = this.db
      .prepare("UPDATE models SET status = ?, error_code = ?, error_message = ?, error_details = ? WHERE id = ? AND status IN ('ready', 'stopped')")
      .run(error ? 'stopped' : 'ready', ...errorColumns(error), modelId);
    return r.changes > 0;
  }

  async startCompile(modelId: string, job: NewJob): Promise<Job> {
    this.db.transaction(() => {
      this.insertJob(job);
      this.db.prepare("UPDATE models SET status = 'compiling', compile_job_id = ?, error_code = NULL, error_message = NULL, error_details = NULL WHERE id = ?").run(job.id, modelId);
    })();
    return (await this.getJob(job.id))!;
  }

  private insertJob(j: NewJob): void {
    this.db
      .prepare(`INSERT INTO jobs (${JOB_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 'queued', 'queued', 0, ?, NULL, NULL, 0, NULL, ?, NULL, NULL, ?, ?, ?)`)
      .run(j.id, j.kind, j.modelId, j.batchId ?? null, j.batchIndex ?? null, j.idempotencyKey ?? null, json(j.payload), now(), nextSeq(), j.requester ?? null, j.requestHash ?? null);
    if (j.callbackUrl) this.db.prepare('INSERT INTO webhooks (job_id, url, attempts, next_at, created_at) VALUES (?, ?, 0, ?, ?)').run(j.id, j.callbackUrl, now(), now());
  }

  async createProveJobs(jobs: NewJob[], opts: { activeLimit?: number; batch?: BatchRecord }): Promise<CreateJobsResult | 'full'> {
    return this.db
      .transaction((): CreateJobsResult | 'full' => {
        const key = jobs.length === 1 ? jobs[0].idempotencyKey : undefined;
        if (key) {
          const existing = this.one('SELECT * FROM jobs WHERE idempotency_key = ?', key);
          if (existing) return { jobs: [toJob(existing)], created: false, requestHash: (existing.request_hash as string | null) ?? null };
        }
        const batchKey = opts.batch?.idempotencyKey;
        if (batchKey) {
          const existing = this.one('SELECT * FROM batches WHERE idempotency_key = ?', batchKey);
          if (existing) return { jobs: [], created: false, batchId: String(existing.id), requestHash: (existing.request_hash as string | null) ?? null };
        }
        if (opts.activeLimit !== undefined && this.active() + jobs.length > opts.activeLimit) return 'full';
        if (opts.batch) {
          const b = opts.batch;
          this.db
            .prepare('INSERT INTO batches (id, model_id, size, created_at, idempotency_key, request_hash) VALUES (?, ?, ?, ?, ?, ?)')
            .run(b.id, b.modelId, b.size, b.createdAt, b.idempotencyKey ?? null, b.requestHash ?? null);
        }
        for (const j of jobs) this.insertJob(j);
        return { jobs: jobs.map((j) => toJob(this.one('SELECT * FROM jobs WHERE id = ?', j.id)!)), created: true };
      })
      .immediate();
  }

  async getJob(id: string): Promise<Job | undefined> {
    const r = this.one('SELECT * FROM jobs WHERE id = ?', id);
    return r && toJob(r);
  }

  async getResult(jobId: string): Promise<unknown | undefined> {
    const r = this.one('SELECT body FROM results WHERE job_id = ?', jobId);
    return r ? JSON.parse(String(r.body)) : undefined;
  }

  async countResults(jobId: string): Promise<number> {
    return Number(this.one('SELECT COUNT(*) AS n FROM results WHERE job_id = ?', jobId)!.n);
  }

  private active(): number {
    return Number(this.one("SELECT COUNT(*) AS n FROM jobs WHERE state IN ('queued', 'running')")!.n);
  }

  async countActive(): Promise<number> {
    return this.active();
  }

  private counts(where: string, ...args: unknown[]): Record<JobState, number> {
    const out = emptyCounts();
    for (const r of this.db.prepare(`SELECT state, COUNT(*) AS n FROM jobs ${where} GROUP BY state`).all(...args) as Row[]) {
      if (JOB_STATES.includes(r.state as JobState)) out[r.state as JobState] = Number(r.n);
    }
    return out;
  }

  async countByState(): Promise<Record<JobState, number>> {
    return this.counts('');
  }

  async getBatch(id: string): Promise<BatchRecord | undefined> {
    const r = this.one('SELECT * FROM batches WHERE id = ?', id);
    return r && toBatch(r);
  }

  async batchCounts(batchId: string): Promise<Record<JobState, number>> {
    return this.counts('WHERE batch_id = ?', batchId);
  }

  async batchItems(batchId: string, offset: number, limit: number): Promise<Job[]> {
    return (this.db.prepare('SELECT * FROM jobs WHERE batch_id = ? ORDER BY batch_index LIMIT ? OFFSET ?').all(batchId, limit, offset) as Row[]).map(toJob);
  }

  async claim(jobId: string, owner: string, phase = 'starting'): Promise<Job | undefined> {
    const r = this.db
      .prepare("UPDATE jobs SET state = 'running', phase = ?, percent = 0, attempts = attempts + 1, owner = ?, started_at = ? WHERE id = ? AND state IN ('queued', 'running') RETURNING *")
      .get(phase, owner, now(), jobId) as Row | undefined;
    return r && toJob(r);
  }

  async progress(jobId: string, phase: string, percent: number): Promise<void> {
    this.db.prepare("UPDATE jobs SET phase = ?, percent = ? WHERE id = ? AND state = 'running'").run(phase, percent, jobId);
  }

  async complete(jobId: string, result: unknown, model?: ModelUpdate): Promise<boolean> {
    return this.finish(jobId, 'done', result, null, model);
  }

  async fail(jobId: string, error: PublicError, model?: ModelUpdate): Promise<boolean> {
    return this.finish(jobId, 'failed', undefined, error, model);
  }

  private finish(jobId: string, state: JobState, result: unknown, error: PublicError | null, model?: ModelUpdate): boolean {
    return this.db
      .transaction((): boolean => {
        const job = this.one("SELECT model_id FROM jobs WHERE id = ? AND state = 'running'", jobId);
        if (!job) return false;
        if (result !== undefined) this.db.prepare('INSERT INTO results (job_id, body, created_at) VALUES (?, ?, ?)').run(jobId, JSON.stringify(result), now());
        this.db
          .prepare("UPDATE jobs SET state = ?, phase = ?, percent = ?, payload = NULL, error_code = ?, error_message = ?, error_details = ?, finished_at = ? WHERE id = ? AND state = 'running'")
          .run(state, state, state === 'done' ? 100 : 0, ...errorColumns(error), now(), jobId);
        if (model) {
          this.db
            .prepare('UPDATE models SET status = ?, vk_sha256 = COALESCE(?, vk_sha256), error_code = ?, error_message = ?, error_details = ? WHERE id = ?')
            .run(model.status, model.vkSha256 ?? null, ...errorColumns(model.error), job.model_id);
        }
        return true;
      })
      .immediate();
  }

  async queuedBefore(isoTime: string, limit: number): Promise<Array<{ id: string; kind: JobKind }>> {
    return (this.db.prepare("SELECT id, kind FROM jobs WHERE state = 'queued' AND created_at < ? ORDER BY seq LIMIT ?").all(isoTime, limit) as Row[]).map((r) => ({
      id: String(r.id),
      kind: r.kind as JobKind,
    }));
  }

  async recover(): Promise<Job[]> {
    return this.db
      .transaction(() => {
        this.db.prepare("UPDATE jobs SET state = 'queued', phase = 'queued', percent = 0, owner = NULL WHERE state = 'running'").run();
        return (this.db.prepare("SELECT * FROM jobs WHERE state = 'queued' ORDER BY seq").all() as Row[]).map(toJob);
      })
      .immediate();
  }

  async getWebhook(jobId: string): Promise<WebhookDelivery | undefined> {
    const r = this.one('SELECT * FROM webhooks WHERE job_id = ?', jobId);
    return r && toWebhook(r);
  }

  async webhooksDue(isoTime: string, limit: number): Promise<DueWebhook[]> {
    return (this.db.prepare(WEBHOOKS_DUE(() => '?')).all(isoTime, limit) as Row[]).map((r) => ({
      jobId: String(r.job_id),
      url: String(r.url),
      attempts: Number(r.attempts),
      nextAt: String(r.next_at),
    }));
  }

  async claimWebhook(jobId: string, dueAt: string, leaseUntil: string): Promise<boolean> {
    return this.db.prepare('UPDATE webhooks SET next_at = ? WHERE job_id = ? AND next_at = ? AND delivered_at IS NULL').run(leaseUntil, jobId, dueAt).changes > 0;
  }

  async recordWebhookAttempt(jobId: string, a: WebhookAttempt): Promise<void> {
    this.db
      .prepare('UPDATE webhooks SET attempts = attempts + 1, last_status = ?, last_error = ?, delivered_at = ?, next_at = ? WHERE job_id = ?')
      .run(a.status, a.error, a.deliveredAt, a.nextAt, jobId);
  }
}
