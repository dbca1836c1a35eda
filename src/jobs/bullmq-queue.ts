/**
 * The scale-out queue on Redis with BullMQ. The BullMQ job id is our job id, so announcing a job
 * twice (recovery after an API restart) is a no-op while BullMQ still holds it. A worker that dies
 * mid-job loses its lock; BullMQ's stalled-job check hands the job to another worker.
 */
import { Queue, Worker } from 'bullmq';
import { ZkmlError } from '../errors';
import { queueUnavailable } from './outage';
import type { JobHandler, JobQueue } from './queue';

const redacted = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');

export interface BullmqOptions {
  redisUrl: string;
  name: string;
  concurrency: number;
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

export class BullmqQueue implements JobQueue {
  private readonly queue: Queue;
  private worker?: Worker;
  private running = 0;

  constructor(private readonly opts: BullmqOptions) {
    // No offline queue on the producer: with Redis down a command fails at once (a 503) instead of
    // waiting for a reconnect that may never come while the client holds the request.
    this.queue = new Queue(opts.name, { connection: { ...connection(opts.redisUrl), enableOfflineQueue: false } });
    // Connection errors are retried by ioredis; ready() and enqueue() report them to the caller.
    this.queue.on('error', () => undefined);
  }

  async reachable(timeoutMs = 1000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    // A connection that is not ready fails at once (no offline queue); a hung one hits the timeout.
    const ping = this.queue
      .getBackend()
      .client.then((c) => (c.status === 'ready' ? c.get(this.queue.toKey('zkml-ping')) : Promise.reject(new Error(c.status))))
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
      await Promise.race([this.queue.waitUntilReady(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async enqueue(jobIds: string[]): Promise<void> {
    try {
      await this.queue.addBulk(jobIds.map((id) => ({ name: 'job', data: { jobId: id }, opts: { jobId: id, removeOnComplete: true, removeOnFail: true } })));
    } catch (err) {
      throw queueUnavailable(err);
    }
  }

  process(handler: JobHandler): void {
    this.worker = new Worker(
      this.opts.name,
      async (job) => {
        this.running++;
        try {
          await handler(String(job.data.jobId));
        } finally {
          this.running--;
        }
      },
      {
        connection: connection(this.opts.redisUrl),
        concurrency: this.opts.concurrency,
        lockDuration: this.opts.lockDurationMs,
        stalledInterval: this.opts.stalledIntervalMs,
        // A job is handed over after each killed worker; the runner's attempt limit gives up on a poison job.
        maxStalledCount: 1000,
      },
    );
    this.worker.on('error', () => undefined);
  }

  busy(): number {
    return this.running;
  }

  async depth(): Promise<number> {
    return this.queue.count();
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
