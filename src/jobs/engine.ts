/**
 * The proof service's application logic, free of any HTTP framework: models, compile jobs, proof
 * jobs, batches, verification. The NestJS controllers (src/service/) are thin wrappers over it.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { artifactPath, readJson, readManifest } from '../artifacts';
import { ZkmlError } from '../errors';
import { readBatch } from '../commit/commitments';
import { CompiledModel, readCompiled } from '../compiler/compile';
import { loadOnnx } from '../onnx/load';
import { quantizeSample } from '../quantize/codec';
import type { Receipt } from '../prover/receipt';
import { verifyOffchain, VerifyResult } from '../verifier/offchain';
import { OnchainOptions, verifyOnchain } from '../verifier/onchain';
import { ArtifactStore } from './artifact-store';
import { Job, JobState, ModelRecord, NewJob } from './job';
import type { JobQueue } from './queue';
import type { JobStore } from './store';

export interface EngineOptions {
  /** Queued + running jobs allowed; beyond it submissions get QUEUE_FULL (HTTP 429). */
  maxQueue: number;
  maxBatch: number;
  /** Jobs run at once across the workers (for the Retry-After estimate). */
  workers: number;
  /** Where on-chain verification runs: a configured node, or a local anvil started on first use. */
  chain: () => Promise<OnchainOptions>;
  onEnqueueError?: (err: unknown) => void;
}

export class QueueFullError extends ZkmlError {
  constructor(readonly retryAfterSec: number) {
    super('QUEUE_FULL', `the job queue is full; retry in about ${retryAfterSec} s`, { retryAfterSec });
  }
}

const ProofBody = z.object({
  modelId: z.string().regex(/^[0-9a-f]{64}$/, 'modelId is a 64-digit hex sha256'),
  input: z.unknown().refine((v) => v !== undefined && v !== null, 'input is required'),
  idempotencyKey: z.string().min(1).max(200).optional(),
});
const BatchBody = z.object({
  modelId: ProofBody.shape.modelId,
  inputs: z.array(z.unknown()).min(1),
});
const CompileBody = z.object({ settings: z.record(z.unknown()).optional(), calibration: z.unknown().optional() }).strict();
const VerifyBody = z.object({ receipt: z.object({ proof: z.unknown(), publicSignals: z.unknown(), model: z.object({ onnxSha256: z.string(), vkSha256: z.string() }).passthrough() }).passthrough(), onchain: z.boolean().optional() });

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ZkmlError('BODY_INVALID', `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return r.data;
}

/** What the API shows of a job: never its private payload. */
export function jobView(job: Job) {
  const { payload: _payload, owner: _owner, idempotencyKey: _key, ...rest } = job;
  return rest;
}

export class Engine {
  /** Moving average of a job's run time, for Retry-After. */
  private avgRunMs = 2_000;
  /** compiled.json per ready model (a ready model is never rebuilt in place). */
  private readonly compiled = new Map<string, CompiledModel>();

  constructor(
    readonly store: JobStore,
    readonly queue: JobQueue,
    readonly artifacts: ArtifactStore,
    private readonly opts: EngineOptions,
  ) {}

  observeRunTime(ms: number): void {
    this.avgRunMs = 0.8 * this.avgRunMs + 0.2 * ms;
  }

  /** Registers the models shipped in models/ (with their calibration); compiling is left to a request. */
  async registerShipped(modelsDir: string): Promise<ModelRecord[]> {
    if (!fs.existsSync(modelsDir)) return [];
    const out: ModelRecord[] = [];
    for (const name of fs.readdirSync(modelsDir).sort()) {
      const onnx = path.join(modelsDir, name, 'model.onnx');
      if (!fs.existsSync(onnx)) continue;
      const cal = path.join(modelsDir, name, 'calibration.json');
      const calibration = fs.existsSync(cal) ? JSON.parse(fs.readFileSync(cal, 'utf8')) : undefined;
      const id = this.artifacts.putOnnx(fs.readFileSync(onnx));
      out.push(await this.store.upsertModel({ id, name, calibration }));
    }
    return out;
  }

  async uploadModel(bytes: Uint8Array, name: string | undefined): Promise<ModelRecord> {
    if (!bytes || bytes.length === 0) throw new ZkmlError('BODY_INVALID', 'the body must be the ONNX file (Content-Type: application/octet-stream)');
    loadOnnx(bytes); // refuses malformed or unsupported models now, with their stable codes
    const id = this.artifacts.putOnnx(bytes);
    return this.store.upsertModel({ id, name: (name ?? '').slice(0, 200) || `model-${id.slice(0, 12)}` });
  }

  async model(id: string): Promise<ModelRecord> {
    const m = await this.store.getModel(id);
    if (!m) throw new ZkmlError('NOT_FOUND', `no model ${id}`);
    return m;
  }

  async compile(id: string, body: unknown): Promise<Job> {
    const { settings, calibration } = parseBody(CompileBody, body ?? {});
    const m = await this.model(id);
    // A ready model is never rebuilt in place: proofs in flight would read half-written artifacts.
    if ((m.status === 'compiling' || m.status === 'ready') && m.compileJobId) return (await this.store.getJob(m.compileJobId))!;
    const job = await this.store.startCompile(id, {
      id: crypto.randomUUID(),
      kind: 'compile',
      modelId: id,
      payload: { settings, calibration: calibration ?? m.calibration ?? undefined },
    });
    await this.queue.enqueue([job.id]);
    return job;
  }

  async modelDetails(id: string) {
    const m = await this.model(id);
    const build = this.artifacts.buildDir(id);
    const ready = m.status === 'ready';
    const compileJob = m.compileJobId ? await this.store.getJob(m.compileJobId) : undefined;
    return {
      id: m.id,
      name: m.name,
      status: m.status,
      error: m.error,
      compileJob: compileJob ? jobView(compileJob) : null,
      report: ready ? readJson<unknown>(artifactPath(build, 'report')) : null,
      manifest: ready ? readManifest(build) : null,
      createdAt: m.createdAt,
    };
  }

  private async readyBuild(id: string): Promise<string> {
    const m = await this.model(id);
    if (m.status !== 'ready') throw new ZkmlError('MODEL_NOT_READY', `model ${id} is ${m.status}: compile it first (POST /v1/models/${id}/compile)`);
    return this.artifacts.buildDir(id);
  }

  async verifierSol(id: string): Promise<string> {
    return fs.readFileSync(artifactPath(await this.readyBuild(id), 'verifierSol'), 'utf8');
  }

  async verificationKey(id: string): Promise<unknown> {
    return readJson(artifactPath(await this.readyBuild(id), 'vk'));
  }

  private retryAfter(active: number): number {
    return Math.max(1, Math.min(300, Math.ceil((active * this.avgRunMs) / this.opts.workers / 1000)));
  }

  private async submit(jobs: NewJob[], batch?: { id: string; modelId: string; size: number; createdAt: string }) {
    const r = await this.store.createProveJobs(jobs, { activeLimit: this.opts.maxQueue, batch });
    if (r === 'full') throw new QueueFullError(this.retryAfter(await this.store.countActive()));
    // The jobs are durable once stored: if the queue cannot take them now, the sweep re-announces them.
    if (r.created) await this.queue.enqueue(r.jobs.map((j) => j.id)).catch((err) => this.opts.onEnqueueError?.(err));
    return r;
  }

  /**
   * Refuses an input the circuit cannot take (shape, NaN, out of range) with its code now, as a 400,
   * instead of accepting a job that can only fail.
   */
  private async checkInput(modelId: string, input: unknown): Promise<void> {
    let c = this.compiled.get(modelId);
    if (!c) {
      c = readCompiled(await this.readyBuild(modelId));
      this.compiled.set(modelId, c);
    }
    for (const sample of readBatch(input, c.model, c.graphInputs)) quantizeSample(c.model, sample);
  }

  async submitProof(body: unknown): Promise<{ job: Job; created: boolean }> {
    const b = parseBody(ProofBody, body);
    await this.readyBuild(b.modelId);
    await this.checkInput(b.modelId, b.input);
    const r = await this.submit([{ id: crypto.randomUUID(), kind: 'prove', modelId: b.modelId, payload: { input: b.input }, idempotencyKey: b.idempotencyKey }]);
    return { job: r.jobs[0], created: r.created };
  }

  async proof(id: string) {
    const job = await this.store.getJob(id);
    if (!job || job.kind !== 'prove') throw new ZkmlError('NOT_FOUND', `no proof job ${id}`);
    const receipt = job.state === 'done' ? await this.store.getResult(id) : undefined;
    return { ...jobView(job), receipt: receipt ?? null };
  }

  async submitBatch(body: unknown): Promise<{ batchId: string; size: number }> {
    const b = parseBody(BatchBody, body);
    if (b.inputs.length > this.opts.maxBatch) throw new ZkmlError('BODY_INVALID', `a batch holds at most ${this.opts.maxBatch} inputs, got ${b.inputs.length}`);
    await this.readyBuild(b.modelId);
    for (const [i, input] of b.inputs.entries()) {
      await this.checkInput(b.modelId, input).catch((err) => {
        throw err instanceof ZkmlError ? new ZkmlError(err.code, `inputs[${i}]: ${err.message}`, { ...err.details, index: i }) : err;
      });
    }
    const batchId = crypto.randomUUID();
    const jobs = b.inputs.map((input, i) => ({ id: crypto.randomUUID(), kind: 'prove' as const, modelId: b.modelId, payload: { input }, batchId, batchIndex: i }));
    await this.submit(jobs, { id: batchId, modelId: b.modelId, size: jobs.length, createdAt: new Date().toISOString() });
    return { batchId, size: jobs.length };
  }

  async batch(id: string, offset: number, limit: number) {
    const b = await this.store.getBatch(id);
    if (!b) throw new ZkmlError('NOT_FOUND', `no batch ${id}`);
    const counts: Record<JobState, number> = await this.store.batchCounts(id);
    const items = await this.store.batchItems(id, offset, limit);
    const withReceipts = await Promise.all(
      items.map(async (j) => ({ index: j.batchIndex, ...jobView(j), receipt: j.state === 'done' ? ((await this.store.getResult(j.id)) ?? null) : null })),
    );
    return { id: b.id, modelId: b.modelId, size: b.size, createdAt: b.createdAt, counts, offset, limit, items: withReceipts };
  }

  async verify(body: unknown): Promise<VerifyResult & { onchain?: unknown }> {
    const { receipt, onchain } = parseBody(VerifyBody, body);
    const modelId = receipt.model.onnxSha256;
    const m = await this.store.getModel(modelId);
    if (!m) throw new ZkmlError('RECEIPT_MODEL_MISMATCH', `the receipt names model ${modelId}, which this service does not know`);
    const build = await this.readyBuild(modelId);
    const manifest = readManifest(build);
    if (receipt.model.vkSha256 !== manifest.vkSha256) {
      return { valid: false, code: 'RECEIPT_MODEL_MISMATCH', reason: `the receipt was made with verification key ${receipt.model.vkSha256.slice(0, 16)}…, the model has ${String(manifest.vkSha256).slice(0, 16)}…` };
    }
    const r = receipt as unknown as Receipt;
    const off = await verifyOffchain(r, readJson(artifactPath(build, 'vk')));
    if (!onchain || !off.valid) return off;
    const on = await verifyOnchain(build, r, await this.opts.chain());
    return { valid: on.valid, code: on.code, reason: on.reason, onchain: { address: on.address, chainId: on.chainId, deployed: on.deployed } };
  }
}
