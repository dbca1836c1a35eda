/**
 * Prometheus metrics (prom-client): queue depth and jobs by state from the store at scrape time (so
 * they are right in scale-out mode too), job durations by phase, proofs made and failed, and the
 * utilisation of the workers in this process.
 */
import * as client from 'prom-client';
import type { Job } from '../jobs/job';
import type { JobQueue } from '../jobs/queue';
import type { JobStore } from '../jobs/store';
import type { Receipt } from '../formats/receipt';

export class Metrics {
  readonly registry = new client.Registry();
  private readonly durations: client.Histogram<'kind' | 'phase'>;
  private readonly finished: client.Counter<'kind' | 'state' | 'code'>;
  private readonly proofs: client.Counter<'result'>;

  constructor(store: JobStore, queue: JobQueue, workerSlots: number) {
    client.collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    new client.Gauge({
      name: 'zkml_queue_depth',
      help: 'Jobs queued or running (the bounded queue)',
      registers,
      async collect() {
        this.set(await store.countActive());
      },
    });
    new client.Gauge({
      name: 'zkml_jobs',
      help: 'Jobs by state',
      labelNames: ['state'],
      registers,
      async collect() {
        const counts = await store.countByState();
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    new client.Gauge({
      name: 'zkml_worker_utilisation',
      help: 'Busy job slots in this process over its slots (0 when it runs no jobs)',
      registers,
      collect() {
        this.set(workerSlots > 0 ? queue.busy('prove') / workerSlots : 0);
      },
    });
    this.durations = new client.Histogram({
      name: 'zkml_job_duration_seconds',
      help: 'Job durations by kind and phase (queue wait, witness, proof, onnxruntime, total run)',
      labelNames: ['kind', 'phase'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.finished = new client.Counter({ name: 'zkml_jobs_finished_total', help: 'Jobs finished in this process', labelNames: ['kind', 'state', 'code'], registers });
    this.proofs = new client.Counter({ name: 'zkml_proofs_total', help: 'Proofs made (ok) and failed in this process', labelNames: ['result'], registers });
  }

  jobFinished(job: Job, outcome: { state: 'done' | 'failed'; code?: string; runMs: number; receipt?: Receipt }): void {
    this.finished.inc({ kind: job.kind, state: outcome.state, code: outcome.code ?? '' });
    this.durations.observe({ kind: job.kind, phase: 'run' }, outcome.runMs / 1000);
    if (job.startedAt) this.durations.observe({ kind: job.kind, phase: 'queue' }, Math.max(0, Date.parse(job.startedAt) - Date.parse(job.createdAt)) / 1000);
    if (job.kind !== 'prove') return;
    this.proofs.inc({ result: outcome.state === 'done' ? 'ok' : 'failed' });
    const t = outcome.receipt?.timings;
    if (t) {
      this.durations.observe({ kind: 'prove', phase: 'witness' }, t.witnessMs / 1000);
      this.durations.observe({ kind: 'prove', phase: 'proof' }, t.proveMs / 1000);
      this.durations.observe({ kind: 'prove', phase: 'onnxruntime' }, t.onnxruntimeMs / 1000);
    }
  }
}
