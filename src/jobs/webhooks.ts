/**
 * Webhooks: when a proof or compile job that gave a `callbackUrl` ends (done or failed), its outcome is POSTed
 * to that URL as JSON, signed with HMAC-SHA256 over `timestamp + "." + body`. Deliveries are
 * store-driven: each is a row of the job store, polled here, so a delivery pending when the service
 * stops resumes at the next start. Delivery is at least once (a receiver may see a payload twice,
 * e.g. when it answered after the timeout); the job id identifies it. It never blocks a job: the
 * job is finished before its delivery is even due.
 */
import * as crypto from 'node:crypto';
import type { Job } from './job';
import type { JobStore } from './store';

export interface WebhookOptions {
  /** The HMAC-SHA256 key (ZKML_WEBHOOK_SECRET). */
  secret: string;
  /** Attempts in all before a delivery is given up. */
  attempts: number;
  /** The wait after the first failed attempt; doubled after each further one, up to capMs. */
  baseMs: number;
  capMs: number;
  /** How often the store is polled for due deliveries (a finished job also wakes the loop). */
  pollMs: number;
  /** A receiver that answers nothing within this time counts as a failed attempt. */
  timeoutMs: number;
  onError?: (err: unknown) => void;
}

/** What a receiver gets: the job's outcome and where its receipt is; never the input nor the openings. */
export interface WebhookPayload {
  event: 'job.finished';
  jobId: string;
  kind: Job['kind'];
  modelId: string;
  batchId: string | null;
  batchIndex: number | null;
  state: 'done' | 'failed';
  error: { code: string; message: string } | null;
  /** The receipt's job id and path on this API (GET it with a key); null when the job failed or is a compile. */
  receipt: { jobId: string; link: string } | null;
  /** Where the outcome is on this API: /v1/proofs/:id for a proof, /v1/models/:modelId for a compile. */
  link: string;
  finishedAt: string | null;
}

/** `v1=` and the hex HMAC-SHA256 of `timestamp + "." + body` under the secret. */
export const signWebhook = (secret: string, timestamp: string, body: string): string => `v1=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

/** Checks a signature header in constant time (what a receiver does; used by the tests and the docs' recipe). */
export function verifyWebhook(secret: string, timestamp: string, body: string, signature: string): boolean {
  const want = Buffer.from(signWebhook(secret, timestamp, body));
  const got = Buffer.from(signature);
  return want.length === got.length && crypto.timingSafeEqual(want, got);
}

/** The wait after the n-th failed attempt (n ≥ 1): baseMs · 2^(n-1), at most capMs. */
export const backoffMs = (failures: number, baseMs: number, capMs: number): number => Math.min(capMs, baseMs * 2 ** Math.max(0, failures - 1));

export function webhookPayload(job: Job): WebhookPayload {
  const done = job.state === 'done';
  return {
    event: 'job.finished',
    jobId: job.id,
    kind: job.kind,
    modelId: job.modelId,
    batchId: job.batchId,
    batchIndex: job.batchIndex,
    state: done ? 'done' : 'failed',
    error: job.error ? { code: job.error.code, message: job.error.message } : null,
    receipt: done && job.kind === 'prove' ? { jobId: job.id, link: `/v1/proofs/${job.id}` } : null,
    link: job.kind === 'prove' ? `/v1/proofs/${job.id}` : `/v1/models/${job.modelId}`,
    finishedAt: job.finishedAt,
  };
}

/** One POST; resolves to the receiver's status (null when it did not answer) and an error text. */
async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<{ status: number | null; error: string | null }> {
  try {
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel().catch(() => undefined);
    return { status: res.status, error: res.ok ? null : `the receiver answered HTTP ${res.status}` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { status: null, error: cause ?? (err instanceof Error ? err.name : 'request failed') };
  }
}

export class WebhookDispatcher {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private closed = false;

  constructor(
    private readonly store: JobStore,
    private readonly opts: WebhookOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.opts.pollMs).unref();
    this.kick();
  }

  /** Runs a pass over the due deliveries now (or right after the pass in progress). */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((err) => this.opts.onError?.(err))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async pass(): Promise<void> {
    const due = await this.store.webhooksDue(new Date().toISOString(), 50);
    await Promise.all(due.map((d) => this.deliver(d.jobId, d.url, d.attempts, d.nextAt).catch((err) => this.opts.onError?.(err))));
  }

  private async deliver(jobId: string, url: string, attempts: number, dueAt: string): Promise<void> {
    // The lease outlasts the attempt: another process (or pass) does not send it meanwhile.
    const lease = new Date(Date.now() + this.opts.timeoutMs + 5_000).toISOString();
    if (!(await this.store.claimWebhook(jobId, dueAt, lease))) return;
    const job = await this.store.getJob(jobId);
    if (!job) return;
    const body = JSON.stringify(webhookPayload(job));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const r = await post(url, body, { 'x-zkml-timestamp': timestamp, 'x-zkml-signature': signWebhook(this.opts.secret, timestamp, body), 'x-zkml-job-id': jobId }, this.opts.timeoutMs);
    const failures = attempts + 1;
    const delivered = r.error === null;
    const nextAt = delivered || failures >= this.opts.attempts ? null : new Date(Date.now() + backoffMs(failures, this.opts.baseMs, this.opts.capMs)).toISOString();
    await this.store.recordWebhookAttempt(jobId, { status: r.status, error: r.error, deliveredAt: delivered ? new Date().toISOString() : null, nextAt });
  }
}
