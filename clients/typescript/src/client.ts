/**
 * The HTTP client of the zkml proof service. Every call is typed with the service's own schemas
 * (types.ts); failures are ZkmlApiError with the problem+json `code`; 429 and 503 are retried,
 * waiting what Retry-After says (else an exponential backoff), up to `retries` times.
 */
import type * as T from './types';

export interface ClientOptions {
  /** e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  /** Sent as `Authorization: Bearer KEY` (omit on an open service). */
  apiKey?: string;
  /** Retries of a 429 or 503 answer (default 5). */
  retries?: number;
  /** The longest wait between two tries, in ms (default 30 s). */
  maxRetryDelayMs?: number;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

export interface WaitOptions {
  /** Give up after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Polling interval (default 250 ms). */
  intervalMs?: number;
}

/** A refused call: the HTTP status and the service's problem+json. */
export class ZkmlApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: T.ErrorCode | 'HTTP_ERROR' | 'TIMEOUT',
    message: string,
    readonly problem?: T.Problem,
  ) {
    super(`${code}: ${message}`);
    this.name = 'ZkmlApiError';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A fresh idempotency key (so a retried submission is not proved twice). */
export const newIdempotencyKey = (): string => globalThis.crypto.randomUUID();

export class ZkmlClient {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: ClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.fetchFn = opts.fetch ?? fetch;
  }

  /** One call with retries on 429/503; JSON in and out (text for text/plain answers). */
  async request<R>(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: R; headers: Headers }> {
    const retries = this.opts.retries ?? 5;
    const isBytes = body instanceof Uint8Array;
    for (let attempt = 0; ; attempt++) {
      const res = await this.fetchFn(this.base + route, {
        method,
        headers: {
          ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
          ...(body === undefined ? {} : { 'content-type': isBytes ? 'application/octet-stream' : 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : isBytes ? (body as unknown as RequestInit['body']) : JSON.stringify(body),
      });
      if ((res.status === 429 || res.status === 503) && attempt < retries) {
        await res.arrayBuffer();
        const wait = retryAfterMs(res.headers.get('retry-after')) ?? 250 * 2 ** attempt;
        await sleep(Math.min(wait, this.opts.maxRetryDelayMs ?? 30_000));
        continue;
      }
      const type = res.headers.get('content-type') ?? '';
      const parsed = type.includes('json') ? await res.json() : await res.text();
      if (res.status >= 400) {
        const p = parsed as T.Problem;
        if (p && typeof p === 'object' && typeof p.code === 'string') throw new ZkmlApiError(res.status, p.code, p.detail, p);
        throw new ZkmlApiError(res.status, 'HTTP_ERROR', `${method} ${route} answered ${res.status}`);
      }
      return { status: res.status, body: parsed as R, headers: res.headers };
    }
  }

  private async get<R>(route: string): Promise<R> {
    return (await this.request<R>('GET', route)).body;
  }

  // Models

  async uploadModel(onnx: Uint8Array, name?: string): Promise<T.ModelCreated> {
    return (await this.request<T.ModelCreated>('POST', `/v1/models${name ? `?name=${encodeURIComponent(name)}` : ''}`, onnx)).body;
  }
  listModels = (): Promise<T.ModelList> => this.get('/v1/models');
  getModel = (id: string): Promise<T.Model> => this.get(`/v1/models/${id}`);
  async compileModel(id: string, req: T.CompileRequest = {}): Promise<T.CompileAccepted> {
    return (await this.request<T.CompileAccepted>('POST', `/v1/models/${id}/compile`, req)).body;
  }
  /** Polls until the model is ready; throws its error if the compile failed. */
  async waitForModel(id: string, opts: WaitOptions & { onProgress?: (job: T.Job) => void } = {}): Promise<T.Model> {
    return this.poll(opts, async () => {
      const m = await this.getModel(id);
      if (m.compileJob) opts.onProgress?.(m.compileJob);
      if (m.status === 'failed' || m.status === 'stopped') throw new ZkmlApiError(422, m.error?.code ?? 'HTTP_ERROR', m.error?.message ?? `model ${id} is ${m.status}`);
      return m.status === 'ready' ? m : undefined;
    });
  }
  async deployModel(id: string, req: T.DeployRequest = {}): Promise<T.DeployResult> {
    return (await this.request<T.DeployResult>('POST', `/v1/models/${id}/deploy`, req)).body;
  }
  verificationKey = (id: string): Promise<T.VerificationKey> => this.get(`/v1/models/${id}/verification_key.json`);
  manifest = (id: string): Promise<T.Manifest> => this.get(`/v1/models/${id}/manifest.json`);
  verifierSol = (id: string): Promise<string> => this.get(`/v1/models/${id}/verifier.sol`);

  // Proofs

  /**
   * Requests a proof. The idempotency key (given, or a fresh one) goes in the `Idempotency-Key` header
   * and in the body's `idempotencyKey`, so a retried request returns the same job.
   */
  async submitProof(req: Omit<T.ProofRequest, 'idempotencyKey'>, idempotencyKey: string = newIdempotencyKey()): Promise<T.ProofAccepted> {
    return (await this.request<T.ProofAccepted>('POST', '/v1/proofs', { ...req, idempotencyKey }, { 'idempotency-key': idempotencyKey })).body;
  }
  getProof = (id: string): Promise<T.ProofJob> => this.get(`/v1/proofs/${id}`);
  calldata = (id: string): Promise<T.Calldata> => this.get(`/v1/proofs/${id}/calldata`);

  /** Polls a proof job until it is done (returns it, receipt included) or failed (throws its error). */
  async waitForProof(id: string, opts: WaitOptions & { onProgress?: (job: T.ProofJob) => void } = {}): Promise<T.ProofJob> {
    return this.poll(opts, async () => {
      const job = await this.getProof(id);
      opts.onProgress?.(job);
      if (job.state === 'failed') throw new ZkmlApiError(422, job.error?.code ?? 'HTTP_ERROR', job.error?.message ?? `proof ${id} failed`);
      return job.state === 'done' ? job : undefined;
    });
  }

  /** submitProof then waitForProof: the finished job with its receipt. */
  async proveAndWait(req: Omit<T.ProofRequest, 'idempotencyKey'>, opts: WaitOptions & { idempotencyKey?: string; onProgress?: (job: T.ProofJob) => void } = {}): Promise<T.ProofJob> {
    const { id } = await this.submitProof(req, opts.idempotencyKey);
    return this.waitForProof(id, opts);
  }

  // Batches

  async submitBatch(req: T.BatchRequest): Promise<T.BatchAccepted> {
    return (await this.request<T.BatchAccepted>('POST', '/v1/batches', req)).body;
  }
  getBatch = (id: string, offset = 0, limit = 20): Promise<T.Batch> => this.get(`/v1/batches/${id}?offset=${offset}&limit=${limit}`);

  /** Polls a batch until every item ended, reporting its counts; returns every item (all pages), in order. */
  async waitForBatch(id: string, opts: WaitOptions & { onProgress?: (counts: T.Batch['counts'], size: number) => void } = {}): Promise<T.Batch['items']> {
    const first = await this.poll(opts, async () => {
      const b = await this.getBatch(id, 0, 100);
      opts.onProgress?.(b.counts, b.size);
      return b.counts.done + b.counts.failed === b.size ? b : undefined;
    });
    const items = [...first.items];
    while (items.length < first.size) items.push(...(await this.getBatch(id, items.length, 100)).items);
    return items;
  }

  /** submitBatch then waitForBatch. */
  async proveBatchAndWait(req: T.BatchRequest, opts: WaitOptions & { onProgress?: (counts: T.Batch['counts'], size: number) => void } = {}): Promise<T.Batch['items']> {
    const { id } = await this.submitBatch(req);
    return this.waitForBatch(id, opts);
  }

  // Verification on the service (off-chain, or on-chain with onchain: true); offline: verifyReceipt().

  async verify(req: T.VerifyRequest): Promise<T.VerifyResult> {
    return (await this.request<T.VerifyResult>('POST', '/v1/verify', req)).body;
  }

  health = (): Promise<T.Health> => this.get('/health');

  /**
   * A job's events as they happen (GET /v1/jobs/:id/events, Server-Sent Events): `progress` with
   * {id, state, phase, percent} on each change, then `end` with the job; the iteration ends with the stream.
   */
  async *jobEvents(jobId: string): AsyncGenerator<{ event: 'progress'; data: Pick<T.Job, 'id' | 'state' | 'phase' | 'percent'> } | { event: 'end'; data: T.Job }> {
    const res = await this.fetchFn(`${this.base}/v1/jobs/${jobId}/events`, { headers: this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {} });
    if (res.status !== 200 || !res.body) {
      const p = (await res.json().catch(() => undefined)) as T.Problem | undefined;
      throw new ZkmlApiError(res.status, p?.code ?? 'HTTP_ERROR', p?.detail ?? `events of ${jobId} answered ${res.status}`, p);
    }
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if ((event === 'progress' || event === 'end') && data) yield { event, data: JSON.parse(data) } as never;
      }
    }
  }

  private async poll<R>(opts: WaitOptions, step: () => Promise<R | undefined>): Promise<R> {
    const end = Date.now() + (opts.timeoutMs ?? 600_000);
    for (;;) {
      const r = await step();
      if (r !== undefined) return r;
      if (Date.now() > end) throw new ZkmlApiError(0, 'TIMEOUT', 'gave up waiting');
      await sleep(opts.intervalMs ?? 250);
    }
  }
}
