/**
 * The scale-out queue on Redis with BullMQ. The BullMQ job id is our job id, so announcing a job
 * twice (recovery after an API restart) is a no-op while BullMQ still holds it. A worker that dies
 * mid-job loses its lock; BullMQ's stalled-job check hands the job to another worker.
 */
import { Queue, Worker } from 'bullmq';
import { ZkmlError } from '../errors';
import { queueUnavailable } from './outage';
import type { JobHandler, JobQueue, Lane, LaneSlots } from './queue';

const redacted = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');

export interface BullmqOptions {
  redisUrl: string;
  /** The proof lane's queue; the compile lane's is `${name}-compile`. */
  name: string;
  /** Jobs run at once per lane in this process. */
  concurrency: LaneSlots;
  /** How long a worker's lock on a job lasts without renewal (a killed worker's job waits this long). */
  lockDurationMs: number;
  stalledIntervalMs: number;
}

function connection(redisUrl: string) {
  const u = new URL(redisUrl);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    maxRetriesPerRequest: null,
  };
}

const LANES: Lane[] = ['prove', 'compile'];

export class BullmqQueue implements JobQueue {
  private readonly queues: Record<Lane, Queue>;
  private readonly workers: Worker[] = [];
  private readonly running: Record<Lane, number> = { compile: 0, prove: 0 };

  constructor(private readonly opts: BullmqOptions) {
    // No offline queue on the producer: with Redis down a command fails at once (a 503) instead of
    // waiting for a reconnect that may never come while the client holds the request.
    const queue = (lane: Lane) => new Queue(this.queueName(lane), { connection: { ...connection(opts.redisUrl), enableOfflineQueue: false } });
    this.queues = { prove: queue('prove'), compile: queue('compile') };
    // Connection errors are retried by ioredis; ready() and enqueue() report them to the caller.
    for (const q of Object.values(this.queues)) q.on('error', () => undefined);
  }

  private queueName(lane: Lane): string {
    return lane === 'prove' ? this.opts.name : `${this.opts.name}-compile`;
  }

  async reachable(timeoutMs = 1000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    // A connection that is not ready fails at once (no offline queue); a hung one hits the timeout.
    const q = this.queues.prove;
    const ping = q
      .getBackend()
      .client.then((c) => (c.status === 'ready' ? c.get(q.toKey('zkml-ping')) : Promise.reject(new Error(c.status))))
      .then(
        () => true,
        () => false,
      );
    try {
      return await Promise.race([ping, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Fails boot with a clear message instead of retrying forever when Redis is unreachable. */
  async ready(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ZkmlError('CONFIG_INVALID', `cannot reach Redis at ${redacted(this.opts.redisUrl)} within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.all(LANES.map((l) => this.queues[l].waitUntilReady())), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async enqueue(jobIds: string[], lane: Lane): Promise<void> {
    try {
      await this.queues[lane].addBulk(jobIds.map((id) => ({ name: 'job', data: { jobId: id }, opts: { jobId: id, removeOnComplete: true, removeOnFail: true } })));
    } catch (err) {
      throw queueUnavailable(err);
    }
  }

  process(handler: JobHandler): void {
    for (const lane of LANES) {
      const worker = new Worker(
        this.queueName(lane),
        async (job) => {
          this.running[lane]++;
          try {
            await handler(String(job.data.jobId));
          } finally {
            this.running[lane]--;
          }
        },
        {
          connection: connection(this.opts.redisUrl),
          concurrency: this.opts.concurrency[lane],
          lockDuration: this.opts.lockDurationMs,
          stalledInterval: this.opts.stalledIntervalMs,
          // A job is handed over after each killed worker; the runner's attempt limit gives up on a poison job.
          maxStalledCount: 1000,
        },
      );
      worker.on('error', () => undefined);
      this.workers.push(worker);
    }
  }

  busy(lane?: Lane): number {
    return lane ? this.running[lane] : this.running.compile + this.running.prove;
  }

  async depth(): Promise<number> {
    const counts = await Promise.all(LANES.map((l) => this.queues[l].count()));
    return counts.reduce((a, b) => a + b, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all(LANES.map((l) => this.queues[l].close()));
  }
}
