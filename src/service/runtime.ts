/**
 * Wires the pure core for one process from the config: the store (SQLite or PostgreSQL), the queue
 * (in-process or BullMQ), the artifact folder, the prover pool, the compile thread and the job
 * runner. `zkml serve` and `zkml worker` both start from here.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { LocalChain, startAnvil } from '../chain/anvil';
import { ArtifactStore } from '../jobs/artifact-store';
import { BullmqQueue } from '../jobs/bullmq-queue';
import { CompilePool } from '../jobs/compile-pool';
import { Engine } from '../jobs/engine';
import { PgJobStore } from '../jobs/pg-store';
import { InProcessQueue, JobQueue } from '../jobs/queue';
import { JobRunner } from '../jobs/runner';
import { SqliteJobStore } from '../jobs/sqlite-store';
import { WebhookDispatcher } from '../jobs/webhooks';
import type { JobStore } from '../jobs/store';
import type { JobKind } from '../jobs/job';
import type { OnchainOptions } from '../verifier/onchain';
import { holdSnarkjsCurve } from '../snark/curve';
import { asZkmlError, PublicError, toPublicError } from '../errors';
import { checkProvable, Prover } from '../prover/prover';
import type { Config } from './config';
import { Metrics } from './metrics';

export interface Runtime {
  config: Config;
  store: JobStore;
  queue: JobQueue;
  engine: Engine;
  metrics: Metrics;
  /** Present when this process runs jobs. */
  runner?: JobRunner;
  close(): Promise<void>;
}

export async function createRuntime(config: Config, log: Logger, opts: { runJobs: boolean }): Promise<Runtime> {
  const store: JobStore = config.databaseUrl ? new PgJobStore(config.databaseUrl, config.dbSchema) : new SqliteJobStore(path.join(config.dataDir, 'jobs.sqlite'));
  await store.init();
  // One proof slot per prover thread: more would only queue inside Piscina, fewer would idle a thread.
  // Compiles have a lane of their own, so they never hold a slot a proof of a ready model needs.
  const slots = config.proverThreads;
  const lanes = { prove: slots, compile: config.compileConcurrency };
  const queue: JobQueue = config.redisUrl
    ? new BullmqQueue({ redisUrl: config.redisUrl, name: config.queueName, concurrency: lanes, lockDurationMs: config.lockMs, stalledIntervalMs: config.stalledMs })
    : new InProcessQueue(lanes);
  try {
    await queue.ready();
  } catch (err) {
    await store.close();
    throw err;
  }
  const artifacts = new ArtifactStore(config.artifactsDir);
  const metrics = new Metrics(store, queue, opts.runJobs ? slots : 0);

  let anvil: Promise<LocalChain> | undefined;
  const chain = async (): Promise<OnchainOptions> => {
    if (config.chainRpcUrl) return { rpcUrl: config.chainRpcUrl, privateKey: config.chainPrivateKey };
    anvil ??= startAnvil();
    const c = await anvil;
    return { rpcUrl: c.rpcUrl, privateKey: c.privateKey };
  };
  let prover: Prover | undefined;
  let compiler: CompilePool | undefined;
  let runner: JobRunner | undefined;
  const checkBuild = (modelId: string): Promise<void> | void => {
    const buildDir = artifacts.buildDir(modelId);
    return prover ? prover.open(buildDir) : checkProvable(buildDir, config.mode);
  };
  const engine = new Engine(store, queue, artifacts, {
    maxQueue: config.maxQueue,
    maxBatch: config.maxBatch,
    workers: slots,
    chain,
    checkBuild,
    onEnqueueError: (err) => log.warn({ err }, 'enqueue failed; the sweep will retry'),
    webhooks: config.webhooks !== undefined,
  });
  // Every process polls the store for due deliveries; a claim makes one of them send each attempt.
  const webhooks = config.webhooks ? new WebhookDispatcher(store, { ...config.webhooks, onError: (err) => log.warn({ err }, 'webhook delivery failed') }) : undefined;

  if (opts.runJobs) {
    prover = new Prover({ threads: config.proverThreads, mode: config.mode });
    compiler = new CompilePool(config.compileTimeoutMs, config.cacheDir, config.compileConcurrency);
    const owner = `${os.hostname()}:${process.pid}`;
    runner = new JobRunner(store, artifacts, prover, compiler, owner, config.maxAttempts, {
      onFinished: (job, outcome) => {
        metrics.jobFinished(job, outcome);
        engine.observeRunTime(outcome.runMs);
        webhooks?.kick();
        log.info({ jobId: job.id, kind: job.kind, state: outcome.state, code: outcome.code, runMs: outcome.runMs, attempt: job.attempts }, 'job finished');
      },
      onError: (job, err) => log.error({ jobId: job?.id, err }, 'job error'),
    });
  }

  // Fail at startup, not at the first proof: a ready model whose build is broken is stopped (and says why).
  await checkModels(store, log, checkBuild);

  if (runner) {
    const r = runner;
    queue.process((id) => r.run(id));
  }

  // Jobs accepted before a crash or restart run again: running ones were interrupted.
  const pending = await store.recover();
  if (pending.length > 0) {
    log.info({ count: pending.length }, 'recovering queued and interrupted jobs');
    await announce(queue, pending);
  }

  webhooks?.start();

  // Scale-out: a job stored but not announced (Redis down, or the API died in between) is
  // re-announced; BullMQ ignores ids it already holds.
  const sweep = config.redisUrl
    ? setInterval(() => {
        store
          .queuedBefore(new Date(Date.now() - config.sweepMs).toISOString(), 1000)
          .then((jobs) => announce(queue, jobs))
          .catch((err) => log.warn({ err }, 'queue sweep failed'));
      }, config.sweepMs).unref()
    : undefined;

  // Verifications (POST /v1/verify) share one curve until close instead of building one each.
  const releaseCurve = holdSnarkjsCurve();

  return {
    config,
    store,
    queue,
    engine,
    metrics,
    runner,
    async close() {
      clearInterval(sweep);
      await queue.close();
      await webhooks?.close();
      // A compile still running after the drain is stopped here and left for the next start.
      await compiler?.close();
      await prover?.close();
      if (anvil) await (await anvil).stop();
      await releaseCurve();
      await store.close();
    },
  };
}

/** Hands stored jobs to the queue, each in its lane. */
async function announce(queue: JobQueue, jobs: Array<{ id: string; kind: JobKind }>): Promise<void> {
  for (const lane of ['compile', 'prove'] as const) {
    const ids = jobs.filter((j) => j.kind === lane).map((j) => j.id);
    if (ids.length) await queue.enqueue(ids, lane);
  }
}

/**
 * Opens (or, in a process that does not prove, checks) the build of every ready model: its artifact
 * hashes against the manifest and, in production mode, its trust. A build that fails does not stop
 * the process: the model is marked stopped with the reason, logged, and refuses proofs
 * (MODEL_STOPPED) until it is compiled again. A stopped model whose build checks out again (its
 * files restored) is ready again (at the next start, or at once on POST /v1/models/:id/check).
 */
async function checkModels(store: JobStore, log: Logger, check: (modelId: string) => Promise<void> | void): Promise<void> {
  for (const m of await store.listModels()) {
    if (m.status !== 'ready' && m.status !== 'stopped') continue;
    let failure: PublicError | null = null;
    try {
      await check(m.id);
    } catch (err) {
      const e = asZkmlError(err);
      failure = toPublicError(e);
      log.error({ modelId: m.id, name: m.name, code: e.code, err: e }, 'model stopped at startup: its build does not check out');
    }
    if (!failure && m.status === 'ready') continue;
    if ((await store.setModelHealth(m.id, failure)) && !failure) log.info({ modelId: m.id, name: m.name }, 'model ready again: its build checks out');
  }
}
