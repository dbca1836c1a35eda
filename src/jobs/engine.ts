/**
 * The proof service's application logic, free of any HTTP framework: models, compile jobs, proof
 * jobs, batches, verification. The NestJS controllers (src/service/) are thin wrappers over it.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactPath, readJson, readManifest } from '../formats/artifacts';
import { deployModel, ModelDeployment } from '../chain/deploy-model';
import { isThisVerifier } from '../chain/deployments';
import { loadVerifierArtifact } from '../chain/verifier-artifact';
import { getChainId, getDeployedCode, solidityCallArgs, SolidityCallArgs } from '../chain/verifier-contract';
import { PublicError, toPublicError, ZkmlError } from '../errors';
import { parseSalt, readBatch } from '../commit/commitments';
import { commitmentLayout } from '../commit/layout';
import { COMMITMENT_SCHEME } from '../commit/scheme';
import { CompiledModel, readCompiled } from '../formats/compiled-model';
import { checkIngestibleOffThread } from './ingest-thread';
import { quantizeSample } from '../quantize/codec';
import { publicLayout } from '../formats/public-signals';
import { CompileSettings, parseSettings } from '../formats/settings';
import type { Receipt } from '../formats/receipt';
import { Verdict } from '../formats/verdict';
import type { OnchainOptions } from '../verifier/onchain';
import { verifyReceipt } from '../app/verify-receipt';
import { ArtifactStore } from './artifact-store';
import { BatchRecord, Job, JobState, ModelRecord, NewJob, WebhookDelivery } from './job';
import type { JobQueue } from './queue';
import { queueUnavailable } from './outage';
import { requestHash, scopedKey } from './request-hash';
import type { CompilePayload, StoredSalts } from './runner';
import type { JobStore } from './store';

/** Who calls: the sha256 of their API key, or null when the API runs without keys. */
export type CallerId = string | null;

export interface EngineOptions {
  /** Queued + running jobs allowed; beyond it submissions get QUEUE_FULL (HTTP 429). */
  maxQueue: number;
  maxBatch: number;
  /** Proof jobs run at once across the workers (for the Retry-After estimate). */
  workers: number;
  /** Where on-chain verification runs: a configured node, or a local anvil started on first use. */
  chain: () => Promise<OnchainOptions>;
  /** Checks a model's build (artifact hashes, and trust in production mode); throws its integrity error. */
  checkBuild?: (modelId: string) => Promise<void> | void;
  onEnqueueError?: (err: unknown) => void;
  /** Whether webhooks are configured (a signing secret): without, a callbackUrl is refused. */
  webhooks?: boolean;
}

export class QueueFullError extends ZkmlError {
  constructor(readonly retryAfterSec: number) {
    super('QUEUE_FULL', `the job queue is full; retry in about ${retryAfterSec} s`, { retryAfterSec });
  }
}

/** The requests the engine takes, already validated by the adapter (the service's zod schemas). */
export interface SaltsRequest {
  input?: string;
  output?: string;
}
export interface ProofRequest {
  modelId: string;
  input: unknown;
  idempotencyKey?: string;
  salts?: SaltsRequest;
  callbackUrl?: string;
}
export interface BatchRequest {
  modelId: string;
  inputs: unknown[];
  idempotencyKey?: string;
  /** One per input when given. */
  salts?: SaltsRequest[];
  /** Each item's outcome is POSTed there when it ends. */
  callbackUrl?: string;
}
export interface CompileRequest {
  settings?: Record<string, unknown>;
  calibration?: unknown;
  /** The compile job's outcome is POSTed there when it ends (only when this request starts a job). */
  callbackUrl?: string;
}
export interface DeployRequest {
  /** A ZkmlRegistry address, or "new" for a new one. */
  registry?: string;
  force?: boolean;
}
export interface VerifyRequest {
  receipt: Receipt;
  onchain?: boolean;
}

/** A proof job and, once done, its stored receipt. */
export interface ProofJob {
  job: Job;
  receipt?: Receipt;
  /** Its webhook delivery, when it gave a callbackUrl. */
  webhook?: WebhookDelivery;
}

export class Engine {
  /** Moving average of a job's run time, for Retry-After. */
  private avgRunMs = 2_000;
  /** compiled.json per ready model (a ready model is never rebuilt in place). */
  private readonly compiled = new Map<string, CompiledModel>();
  /** Deployments run one after another (see deploy()). */
  private deploying: Promise<unknown> = Promise.resolve();

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
    // Refuses malformed, unsupported or too large models now, with their stable codes, in a worker thread.
    await checkIngestibleOffThread(bytes);
    const id = this.artifacts.putOnnx(bytes);
    return this.store.upsertModel({ id, name: (name ?? '').slice(0, 200) || `model-${id.slice(0, 12)}` });
  }

  async model(id: string): Promise<ModelRecord> {
    const m = await this.store.getModel(id);
    if (!m) throw new ZkmlError('NOT_FOUND', `no model ${id}`);
    return m;
  }

  async compile(id: string, { settings, calibration, callbackUrl }: CompileRequest): Promise<Job> {
    const wanted = parseSettings(settings); // refuses bad settings now (SETTINGS_INVALID, a 400) rather than in the job
    this.checkCallback(callbackUrl);
    const m = await this.model(id);
    // A ready model is never rebuilt in place: proofs in flight would read half-written artifacts.
    // Asked again with the settings in force, the build is the same: its job is returned. Asked
    // with other settings, it is another build: refused, naming the difference (delete the model first).
    if ((m.status === 'compiling' || m.status === 'ready') && m.compileJobId) {
      const job = (await this.store.getJob(m.compileJobId))!;
      const inForce = m.status === 'ready' ? (await this.compiledModel(id)).model.settings : parseSettings((job.payload as CompilePayload | null)?.settings);
      const differ = Object.keys(settings ?? {})
        .map((k) => (k === 'paramVisibility' ? 'weightVisibility' : k) as keyof CompileSettings)
        .filter((k) => JSON.stringify(wanted[k]) !== JSON.stringify(inForce[k]));
      if (differ.length) {
        const list = differ.map((k) => `${k} ${JSON.stringify(inForce[k])} (asked ${JSON.stringify(wanted[k])})`).join(', ');
        throw new ZkmlError('MODEL_SETTINGS_CONFLICT', `model ${id} is ${m.status} with other settings: ${list}; delete it (DELETE /v1/models/${id}) to build it with new ones`, {
          settings: differ,
        });
      }
      return job;
    }
    await this.checkQueue();
    const job = await this.store.startCompile(id, {
      id: crypto.randomUUID(),
      kind: 'compile',
      modelId: id,
      payload: { settings, calibration: calibration ?? m.calibration ?? undefined },
      callbackUrl,
    });
    // Stored is durable: if the queue drops out now, the sweep announces the job later.
    await this.queue.enqueue([job.id], 'compile').catch((err) => this.opts.onEnqueueError?.(err));
    return job;
  }

  /** One page of models with the settings of each ready one; nextCursor continues the list (null at its end). */
  async listModels(limit: number, cursor?: string) {
    let after: { createdAt: string; id: string } | undefined;
    if (cursor) {
      const [createdAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
      if (!createdAt || !id) throw new ZkmlError('BODY_INVALID', 'cursor: not a cursor this API returned', { field: 'cursor' });
      after = { createdAt, id };
    }
    const page = await this.store.listModelsPage(limit, after);
    const items = await Promise.all(
      page.map(async (m) => ({
        id: m.id,
        name: m.name,
        status: m.status,
        settings:
          m.status === 'ready'
            ? await this.compiledModel(m.id).then(
                (c) => c.model.settings,
                () => null,
              )
            : null,
        createdAt: m.createdAt,
      })),
    );
    const last = page[page.length - 1];
    return { items, nextCursor: page.length === limit && last ? Buffer.from(`${last.createdAt}|${last.id}`).toString('base64url') : null };
  }

  /** Removes a model and its artifacts; refused (MODEL_BUSY) while it has queued or running jobs. */
  async deleteModel(id: string): Promise<void> {
    const r = await this.store.deleteModel(id);
    if (r === 'missing') throw new ZkmlError('NOT_FOUND', `no model ${id}`);
    if (r !== 'deleted') throw new ZkmlError('MODEL_BUSY', `model ${id} has ${r.busy} queued or running jobs: cancel them or wait until they end`, { active: r.busy });
    this.compiled.delete(id);
    this.artifacts.remove(id);
  }

  /** Cancels a queued proof job of this caller; a running or finished one is JOB_NOT_CANCELLABLE. */
  async cancelProof(id: string, caller: CallerId): Promise<Job> {
    const job = await this.store.getJob(id);
    // Another caller's job is not theirs to cancel, nor to learn about.
    if (!job || job.kind !== 'prove' || job.requester !== caller) throw new ZkmlError('NOT_FOUND', `no proof job ${id}`);
    const r = await this.store.cancel(id, { code: 'JOB_CANCELLED', message: 'cancelled by its requester before it ran' });
    if (!r.cancelled) throw new ZkmlError('JOB_NOT_CANCELLABLE', `proof job ${id} is ${r.job?.state}: only a queued job can be cancelled (a running proof finishes in seconds)`);
    return r.job!;
  }

  async modelDetails(id: string) {
    const m = await this.model(id);
    const build = this.artifacts.buildDir(id);
    const ready = m.status === 'ready';
    const compileJob = m.compileJobId ? await this.store.getJob(m.compileJobId) : undefined;
    const model = ready ? (await this.compiledModel(id)).model : undefined;
    const layout = model ? publicLayout(model) : undefined;
    return {
      id: m.id,
      name: m.name,
      status: m.status,
      error: m.error,
      compileJob: compileJob ?? null,
      /** The compile job's webhook delivery, when its request gave a callbackUrl. */
      compileWebhook: compileJob ? ((await this.store.getWebhook(compileJob.id)) ?? null) : null,
      /** The compile settings in force, visibilities and batch size included. */
      settings: model?.settings ?? null,
      publicLayout: layout ?? null,
      commitmentScheme: layout?.some((e) => e.kind.endsWith('Commitment')) ? COMMITMENT_SCHEME : null,
      /** With private weights: the published commitment every proof of this model carries (the weights stay in the service). */
      weightsCommitment: ready ? (readManifest(build).weightsCommitment ?? null) : null,
      deployment: m.deployment,
      report: ready ? readJson<unknown>(artifactPath(build, 'report')) : null,
      manifest: ready ? readManifest(build) : null,
      createdAt: m.createdAt,
    };
  }

  /**
   * Checks a ready or stopped model's build again (an operator repaired its files): a build that
   * checks out makes the model ready, one that does not stops it with the reason.
   */
  async recheck(id: string): Promise<ModelRecord> {
    const m = await this.model(id);
    if (m.status !== 'ready' && m.status !== 'stopped') throw new ZkmlError('MODEL_NOT_READY', `model ${id} is ${m.status}: only a ready or stopped model's build can be checked`);
    let failure: PublicError | null = null;
    try {
      await this.opts.checkBuild?.(id);
    } catch (err) {
      failure = toPublicError(err);
    }
    await this.store.setModelHealth(id, failure);
    return this.model(id);
  }

  private async readyBuild(id: string): Promise<string> {
    const m = await this.model(id);
    if (m.status === 'stopped') {
      const why = m.error ? `${m.error.code}: ${m.error.message}` : 'its build failed the startup check';
      throw new ZkmlError(
        'MODEL_STOPPED',
        `model ${id} is stopped (${why}); repair its artifacts and re-check it (POST /v1/models/${id}/check), or compile it again (POST /v1/models/${id}/compile)`,
        m.error ? { reason: m.error.code } : undefined,
      );
    }
    if (m.status !== 'ready') throw new ZkmlError('MODEL_NOT_READY', `model ${id} is ${m.status}: compile it first (POST /v1/models/${id}/compile)`);
    return this.artifacts.buildDir(id);
  }

  async verifierSol(id: string): Promise<string> {
    return fs.readFileSync(artifactPath(await this.readyBuild(id), 'verifierSol'), 'utf8');
  }

  async verificationKey(id: string): Promise<unknown> {
    return readJson(artifactPath(await this.readyBuild(id), 'vk'));
  }

  /** The public manifest (artifact hashes, key provenance, weights commitment) of a ready model. */
  async publicManifest(id: string): Promise<unknown> {
    return readManifest(await this.readyBuild(id));
  }

  private retryAfter(active: number): number {
    return Math.max(1, Math.min(300, Math.ceil((active * this.avgRunMs) / this.opts.workers / 1000)));
  }

  /** Refuses new work at once (503 QUEUE_UNAVAILABLE) while the queue is down, before anything is stored. */
  private async checkQueue(): Promise<void> {
    if (!(await this.queue.reachable())) throw queueUnavailable();
  }

  private async submit(jobs: NewJob[], batch?: BatchRecord) {
    await this.checkQueue();
    const r = await this.store.createProveJobs(jobs, { activeLimit: this.opts.maxQueue, batch });
    if (r === 'full') throw new QueueFullError(this.retryAfter(await this.store.countActive()));
    // A repeated key must come with the same request: another body is a client bug, not a retry.
    const hash = batch ? batch.requestHash : jobs[0]?.requestHash;
    if (!r.created && r.requestHash && hash && r.requestHash !== hash) {
      throw new ZkmlError('IDEMPOTENCY_CONFLICT', 'this idempotency key was used with another request body; use a new key for a new request');
    }
    // The jobs are durable once stored: if the queue cannot take them now, the sweep re-announces them.
    if (r.created)
      await this.queue
        .enqueue(
          r.jobs.map((j) => j.id),
          'prove',
        )
        .catch((err) => this.opts.onEnqueueError?.(err));
    return r;
  }

  private async compiledModel(modelId: string): Promise<CompiledModel> {
    let c = this.compiled.get(modelId);
    if (!c) {
      c = readCompiled(await this.readyBuild(modelId));
      this.compiled.set(modelId, c);
    }
    return c;
  }

  /**
   * Refuses an input the circuit cannot take (shape, NaN, out of range) with its code now, as a 400,
   * instead of accepting a job that can only fail. The quantized values are not kept: the job stores
   * the input document (in the job's row, never in a queue message), and the prover reads and
   * quantizes it again when the job runs, later and maybe in another process; a job must be
   * runnable from the store alone after a crash. Quantizing costs well under a millisecond.
   */
  private async checkInput(modelId: string, input: unknown): Promise<void> {
    const c = await this.compiledModel(modelId);
    for (const sample of readBatch(input, c.model, c.graphInputs)) quantizeSample(c.model, sample);
  }

  /**
   * A request's salts, checked now (OPENING_INVALID, a 400): decimal or 0x-hex field elements, and
   * only for a side the circuit hashes. Returned as decimal text for the job's payload.
   */
  private async checkSalts(modelId: string, salts: { input?: string; output?: string } | undefined): Promise<StoredSalts | undefined> {
    if (!salts) return undefined;
    const layout = commitmentLayout((await this.compiledModel(modelId)).model);
    const out: StoredSalts = {};
    for (const side of ['input', 'output'] as const) {
      const text = salts[side];
      if (text === undefined) continue;
      if (!layout[`${side}s`]) throw new ZkmlError('OPENING_INVALID', `salts.${side}: this model's ${side} is not hashed, so it takes no salt`);
      try {
        out[side] = parseSalt(text).toString();
      } catch (err) {
        throw err instanceof ZkmlError ? new ZkmlError(err.code, `salts.${side}: ${err.message}`, err.details, { cause: err }) : err;
      }
    }
    return out;
  }

  /** A callbackUrl needs the signing secret: refused now (a 400) rather than accepted and never sent. */
  private checkCallback(url: string | undefined): void {
    if (url !== undefined && !this.opts.webhooks) {
      throw new ZkmlError('BODY_INVALID', 'callbackUrl: this service has no webhook secret (ZKML_WEBHOOK_SECRET), so it sends no webhooks', { field: 'callbackUrl' });
    }
  }

  async submitProof(b: ProofRequest, caller: CallerId = null): Promise<{ job: Job; created: boolean }> {
    this.checkCallback(b.callbackUrl);
    await this.readyBuild(b.modelId);
    await this.checkInput(b.modelId, b.input);
    const salts = await this.checkSalts(b.modelId, b.salts);
    const payload = { input: b.input, ...(salts ? { salts } : {}) };
    const key =
      b.idempotencyKey === undefined
        ? {}
        : { idempotencyKey: scopedKey(caller, b.idempotencyKey), requestHash: requestHash({ modelId: b.modelId, input: b.input, salts: b.salts, callbackUrl: b.callbackUrl }) };
    const r = await this.submit([{ id: crypto.randomUUID(), kind: 'prove', modelId: b.modelId, payload, requester: caller, callbackUrl: b.callbackUrl, ...key }]);
    return { job: r.jobs[0], created: r.created };
  }

  /** A job with its receipt once it is done. */
  private async withReceipt(job: Job): Promise<ProofJob> {
    const receipt = job.state === 'done' ? ((await this.store.getResult(job.id)) as Receipt | undefined) : undefined;
    return { job, receipt, webhook: await this.store.getWebhook(job.id) };
  }

  async proof(id: string): Promise<ProofJob> {
    const job = await this.store.getJob(id);
    if (!job || job.kind !== 'prove') throw new ZkmlError('NOT_FOUND', `no proof job ${id}`);
    return this.withReceipt(job);
  }

  /** The arguments of the verifier's verifyProof for a finished proof, exactly as `zkml calldata` prints them. */
  async calldata(id: string): Promise<SolidityCallArgs> {
    const job = await this.store.getJob(id);
    if (!job || job.kind !== 'prove') throw new ZkmlError('NOT_FOUND', `no proof job ${id}`);
    if (job.state === 'failed') throw new ZkmlError('NO_RECEIPT', `proof job ${id} failed (${job.error?.code}): it has no receipt`);
    if (job.state !== 'done') throw new ZkmlError('NO_RECEIPT', `proof job ${id} is ${job.state}: ask again when it is done`);
    const receipt = (await this.store.getResult(id)) as Receipt;
    return solidityCallArgs(receipt.proof, receipt.publicSignals);
  }

  /** created is false when the batch's idempotency key repeats: the first batch is returned, nothing is added. */
  async submitBatch(b: BatchRequest, caller: CallerId = null): Promise<{ batchId: string; size: number; created: boolean }> {
    if (b.inputs.length > this.opts.maxBatch) throw new ZkmlError('BODY_INVALID', `a batch holds at most ${this.opts.maxBatch} inputs, got ${b.inputs.length}`);
    if (b.salts && b.salts.length !== b.inputs.length) throw new ZkmlError('BODY_INVALID', `salts: give one entry per input (${b.inputs.length}), got ${b.salts.length}`);
    this.checkCallback(b.callbackUrl);
    await this.readyBuild(b.modelId);
    const salts: Array<StoredSalts | undefined> = [];
    for (const [i, input] of b.inputs.entries()) {
      const named = (what: string) => (err: unknown) => {
        throw err instanceof ZkmlError ? new ZkmlError(err.code, `${what}[${i}]: ${err.message}`, { ...err.details, index: i }, { cause: err }) : err;
      };
      await this.checkInput(b.modelId, input).catch(named('inputs'));
      salts.push(await this.checkSalts(b.modelId, b.salts?.[i]).catch(named('salts')));
    }
    const batchId = crypto.randomUUID();
    const jobs = b.inputs.map((input, i) => ({
      id: crypto.randomUUID(),
      kind: 'prove' as const,
      modelId: b.modelId,
      payload: { input, ...(salts[i] ? { salts: salts[i] } : {}) },
      batchId,
      batchIndex: i,
      requester: caller,
      callbackUrl: b.callbackUrl,
    }));
    const key =
      b.idempotencyKey === undefined
        ? {}
        : { idempotencyKey: scopedKey(caller, b.idempotencyKey), requestHash: requestHash({ modelId: b.modelId, inputs: b.inputs, salts: b.salts, callbackUrl: b.callbackUrl }) };
    const r = await this.submit(jobs, { id: batchId, modelId: b.modelId, size: jobs.length, createdAt: new Date().toISOString(), ...key });
    if (!r.created) return { batchId: r.batchId!, size: (await this.store.getBatch(r.batchId!))!.size, created: false };
    return { batchId, size: jobs.length, created: true };
  }

  async batch(id: string, offset: number, limit: number) {
    const b = await this.store.getBatch(id);
    if (!b) throw new ZkmlError('NOT_FOUND', `no batch ${id}`);
    const counts: Record<JobState, number> = await this.store.batchCounts(id);
    const items = await this.store.batchItems(id, offset, limit);
    const withReceipts = await Promise.all(items.map((j) => this.withReceipt(j)));
    return { id: b.id, modelId: b.modelId, size: b.size, createdAt: b.createdAt, counts, offset, limit, items: withReceipts };
  }

  /**
   * Deploys the model's verifier to the configured chain (or the service's local anvil) and, when
   * asked, registers it in a ZkmlRegistry. The deployment is stored with the model; asking again
   * returns it while the verifier is still on that chain, unless force is set. Asked for a registry
   * it does not name, the stored verifier is registered there. `created` is false when nothing was sent.
   */
  async deploy(id: string, { registry, force }: DeployRequest): Promise<{ deployment: ModelDeployment; created: boolean }> {
    const build = await this.readyBuild(id);
    // One at a time: transactions from the one key must not race for a nonce, and a repeated
    // request must find the deployment the first one stored.
    const run = this.deploying.then(() => this.deployNow(id, build, registry, force === true));
    this.deploying = run.catch(() => undefined);
    return run;
  }

  private async deployNow(id: string, build: string, registry: string | undefined, force: boolean): Promise<{ deployment: ModelDeployment; created: boolean }> {
    const { rpcUrl, privateKey } = await this.opts.chain();
    if (!rpcUrl || !privateKey) throw new ZkmlError('CONFIG_INVALID', 'deploying needs ZKML_CHAIN_PRIVATE_KEY next to ZKML_CHAIN_RPC_URL');
    const live = force ? null : await this.liveDeployment(id, build, rpcUrl);
    const registered = live?.registry?.address.toLowerCase();
    if (live && (!registry || (registered && (registry === 'new' || registry.toLowerCase() === registered)))) return { deployment: live, created: false };
    const d = await deployModel(build, { rpcUrl, privateKey, registry, verifier: live?.verifier.address });
    const deployment = live ? { ...d, verifier: live.verifier } : d;
    await this.store.setDeployment(id, deployment);
    return { deployment, created: true };
  }

  /**
   * The stored deployment while the chain still holds its verifier (not after a reset, nor on another
   * chain). A stored registry whose address holds no code any more is dropped from it (and from the
   * store): it is not reported as deployed.
   */
  private async liveDeployment(id: string, build: string, rpcUrl: string): Promise<ModelDeployment | null> {
    const d = (await this.model(id)).deployment;
    if (!d || d.chainId !== (await getChainId(rpcUrl))) return null;
    if (!(await isThisVerifier(rpcUrl, d.verifier.address, loadVerifierArtifact(build)))) return null;
    if (d.registry && (await getDeployedCode(rpcUrl, d.registry.address)) === '0x') {
      const { registry: _gone, ...rest } = d;
      await this.store.setDeployment(id, rest);
      return rest;
    }
    return d;
  }

  async verify({ receipt, onchain }: VerifyRequest): Promise<Verdict & { onchain?: unknown; opened?: Array<'input' | 'output'> }> {
    const modelId = receipt.model.onnxSha256;
    const m = await this.store.getModel(modelId);
    if (!m) throw new ZkmlError('RECEIPT_MODEL_MISMATCH', `the receipt names model ${modelId}, which this service does not know`);
    const build = await this.readyBuild(modelId);
    const { model } = await this.compiledModel(modelId);
    const v = await verifyReceipt(build, receipt, { onchain: onchain ? await this.opts.chain() : undefined, model: () => model });
    const onchainView = v.onchain && { address: v.onchain.address, chainId: v.onchain.chainId, deployed: v.onchain.deployed };
    if (!v.valid) return { valid: false, code: v.code, reason: v.reason, ...(v.field ? { field: v.field } : {}), ...(onchainView ? { onchain: onchainView } : {}) };
    const opened = v.openings?.opened.length ? { reason: `${v.reason}; ${v.openings.reason}`, opened: v.openings.opened } : {};
    return { valid: true, reason: v.reason, ...(onchainView ? { onchain: onchainView } : {}), ...opened };
  }
}
