/**
 * Job queues carry job ids only. In-process: a FIFO feeding a fixed number of concurrent runs.
 * BullMQ (src/jobs/bullmq-queue.ts): Redis, any number of worker processes.
 */
export type JobHandler = (jobId: string) => Promise<void>;

export interface JobQueue {
  /** Resolves when the queue's backend is reachable (rejects otherwise). */
  ready(): Promise<void>;
  enqueue(jobIds: string[]): Promise<void>;
  /** Whether the backend answers now (quickly: a health check and each submission ask). */
  reachable(): Promise<boolean>;
  /** Starts taking jobs in this process. */
  process(handler: JobHandler): void;
  /** Jobs started and not finished in this process. */
  busy(): number;
  /** Stops taking new jobs and waits for running ones (up to the given time). */
  close(timeoutMs?: number): Promise<void>;
}

export class InProcessQueue implements JobQueue {
  private readonly waiting: string[] = [];
  private running = 0;
  private handler?: JobHandler;
  private closed = false;
  private readonly idle = new Set<() => void>();

  constructor(private readonly concurrency: number) {}

  async ready(): Promise<void> {
    // nothing to connect to
  }

  async reachable(): Promise<boolean> {
    return true;
  }

  async enqueue(jobIds: string[]): Promise<void> {
    this.waiting.push(...jobIds);
    this.pump();
  }

  process(handler: JobHandler): void {
    this.handler = handler;
    this.pump();
  }

  busy(): number {
    return this.running;
  }

  private pump(): void {
    while (this.handler && !this.closed && this.running < this.concurrency && this.waiting.length > 0) {
      const id = this.waiting.shift()!;
      this.running++;
      // The handler records every outcome in the store; a throw here is a bug, not a job result.
      this.handler(id)
        .catch(() => undefined)
        .finally(() => {
          this.running--;
          if (this.running === 0) for (const f of this.idle) f();
          this.pump();
        });
    }
  }

  async close(timeoutMs = 30_000): Promise<void> {
    this.closed = true;
    if (this.running === 0) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.idle.add(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
