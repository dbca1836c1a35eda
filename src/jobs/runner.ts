/**
 * Runs one job by id, whatever queue delivered it: claim it in the store, run the core stage
 * (compile + setup in the compile thread, or prove in the prover's threads), then store the result
 * and mark the job done in one transaction. Every outcome lands in the store; a job that is already
 * finished is skipped, so a job delivered twice (a crash, a killed worker) yields one result.
 */
import { readManifest } from '../formats/artifacts';
import { parseSalt } from '../commit/commitments';
import { asZkmlError, toPublicError, ZkmlError } from '../errors';
import type { Prover } from '../prover/prover';
import type { Receipt } from '../formats/receipt';
import { ArtifactStore } from './artifact-store';
import { CompilePool, JobInterrupted } from './compile-pool';
import type { CompileSummary } from '../app/compile-and-setup';
import type { Job } from './job';
import type { JobStore } from './store';

/** How long a finished job's outcome is retried through a store outage before it is left for recovery. */
const STORE_RETRY_MS = 10 * 60_000;

/** The failures of a proof that mean the model's build is broken, not the job's input. */
const INTEGRITY_CODES: ReadonlySet<string> = new Set(['ARTIFACT_HASH_MISMATCH', 'ARTIFACT_MISSING']);

export interface RunnerEvents {
  /** A job finished here and its outcome was recorded (not called when another runner won). */
  onFinished?(job: Job, outcome: { state: 'done' | 'failed'; code?: string; runMs: number; receipt?: Receipt }): void;
  onError?(job: Job | undefined, err: unknown): void;
}

export interface CompilePayload {
  settings?: Record<string, unknown>;
  calibration?: unknown;
}

/** Salts as decimal text (JSON has no bigints); checked when the job was submitted. */
export interface StoredSalts {
  input?: string;
  output?: string;
}

export interface ProvePayload {
  input: unknown;
  /** Given by the requester to open the commitments with salts of their own; drawn at random otherwise. */
  salts?: StoredSalts;
}

export class JobRunner {
  constructor(
    private readonly store: JobStore,
    private readonly artifacts: ArtifactStore,
    private readonly prover: Prover,
    private readonly compiler: CompilePool,
    private readonly owner: string,
    private readonly maxAttempts: number,
    private readonly events: RunnerEvents = {},
  ) {}

  async run(jobId: string): Promise<void> {
    // Each store write is a durable commit (an fsync on SQLite): the claim names the first phase itself.
    const job = await this.store.claim(jobId, this.owner, 'started');
    if (!job) return; // finished already, or unknown
    const t0 = Date.now();
    try {
      if (job.attempts > this.maxAttempts) {
        throw new ZkmlError('JOB_ABANDONED', `the job was interrupted ${job.attempts - 1} times; giving up`);
      }
      if (job.kind === 'compile') {
        const summary = await this.compile(job);
        if (await this.durably(() => this.store.complete(job.id, summary, { status: 'ready', vkSha256: summary.vkSha256, error: null }))) {
          this.events.onFinished?.(job, { state: 'done', runMs: Date.now() - t0 });
        }
      } else {
        const receipt = await this.prove(job);
        if (await this.durably(() => this.store.complete(job.id, receipt))) this.events.onFinished?.(job, { state: 'done', runMs: Date.now() - t0, receipt });
      }
    } catch (err) {
      // Shutdown stopped the compile thread: the job stays running, and the next start's recovery
      // (or another worker) runs it again, as after a crash.
      if (err instanceof JobInterrupted) return;
      const e = asZkmlError(err);
      if (e.code === 'INTERNAL') this.events.onError?.(job, err);
      // What is stored is what clients may see: code, message and the code's public details.
      const error = toPublicError(e);
      const recorded = await this.durably(() => this.store.fail(job.id, error, job.kind === 'compile' ? { status: 'failed', error } : undefined)).catch((storeErr) => {
        this.events.onError?.(job, storeErr);
        return false;
      });
      // The build failed its integrity check (a key swapped or deleted on disk): the model is stopped and
      // takes no more proofs until its files are repaired and re-checked, or it is compiled again.
      if (recorded && job.kind === 'prove' && INTEGRITY_CODES.has(e.code)) {
        await this.store.setModelHealth(job.modelId, error).catch((storeErr) => this.events.onError?.(job, storeErr));
      }
      if (recorded) this.events.onFinished?.(job, { state: 'failed', code: e.code, runMs: Date.now() - t0 });
    }
  }

  /**
   * A job's outcome is written even through a store outage: the write is retried until the store
   * answers (the queue's lock on the job is kept meanwhile), so a finished proof is neither lost nor
   * run again. Finishing is guarded by state = running, so a retried write that had committed is a no-op.
   */
  private async durably(write: () => Promise<boolean>): Promise<boolean> {
    const end = Date.now() + STORE_RETRY_MS;
    for (;;) {
      try {
        return await write();
      } catch (err) {
        if (asZkmlError(err).code !== 'STORE_UNAVAILABLE' || Date.now() > end) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private compile(job: Job): Promise<CompileSummary> {
    const payload = (job.payload ?? {}) as CompilePayload;
    return this.compiler.run(
      { onnxPath: this.artifacts.onnxPath(job.modelId), buildDir: this.artifacts.buildDir(job.modelId), settings: payload.settings, calibration: payload.calibration },
      (p) => void this.store.progress(job.id, p.phase, p.percent).catch(() => undefined),
    );
  }

  private async prove(job: Job): Promise<Receipt> {
    const payload = job.payload as ProvePayload | null;
    if (!payload || payload.input === undefined) throw new ZkmlError('INPUT_MISSING', 'the job has no input');
    const buildDir = this.artifacts.buildDir(job.modelId);
    if (!readManifest(buildDir).zkeySha256) throw new ZkmlError('MODEL_NOT_READY', `model ${job.modelId} has no setup`);
    await this.store.progress(job.id, 'witness and proof', 10).catch(() => undefined); // progress is best effort
    const salts = payload.salts ?? {};
    return this.prover.prove(buildDir, payload.input, {
      input: salts.input !== undefined ? parseSalt(salts.input) : undefined,
      output: salts.output !== undefined ? parseSalt(salts.output) : undefined,
    });
  }
}
