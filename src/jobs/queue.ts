/**
 * Job queues carry job ids only, in two lanes: compile jobs (compile + setup, minutes each) and
 * proof jobs, each with its own slots, so a compile never holds a slot a proof of a ready model
 * waits for. In-process: a FIFO per lane. BullMQ (src/jobs/bullmq-queue.ts): a Redis queue per lane,
 * any number of worker processes.
 */
import type { JobKind } from './job';

export type JobHandler = (jobId: string) => Promise<void>;
/** A lane per job kind. */
export type Lane = JobKind;

export interface JobQueue {
  /** Resolves when the queue's backend is reachable (rejects otherwise). */
  ready(): Promise<void>;
  enqueue(jobIds: string[], lane: Lane): Promise<void>;
  /** Whether the backend answers now (quickly: a health check and each submission ask). */
  reachable(): Promise<boolean>;
  /** Starts taking jobs in this process. */
  process(handler: JobHandler): void;
  /** Jobs started and not finished in this process (in one lane, or in both). */
  busy(lane?: Lane): number;
  /** Stops taking new jobs and waits for running ones (up to the given time). */
  close(timeoutMs?: number): Promise<void>;
}

/** Slots per lane: proofs (one per prover thread) and compiles (ZKML_COMPILE_CONCURRENCY). */
export type LaneSlots = Record<Lane, number>;

export class InProcessQueue implements JobQueue {
  private readonly waiting: Record<Lane, string[]> = { compile: [], prove: [] };
  private readonly runningIn: Record<Lane, number> = { compile: 0, prove: 0 };
  private handler?: JobHandler;
  private closed = false;
  private readonly idle = new Set<() => void>();

  constructor(private readonly slots: LaneSlots) {}

  private get running(): number {
    return this.runningIn.compile + this.runningIn.prove;
  }

  async ready(): Promise<void> {
    // nothing to connect to
  }

  async reachable(): Promise<boolean> {
    return true;
  }

  async enqueue(jobIds: string[], lane: Lane): Promise<void> {
    this.waiting[lane].push(...jobIds);
    this.pump();
  }

  process(handler: JobHandler): void {
    this.handler = handler;
    this.pump();
  }

  busy(lane?: Lane): number {
    return lane ? this.runningIn[lane] : this.running;
  }

  private pump(): void {
    for (const lane of ['prove', 'compile'] as const) {
      const waiting = this.waiting[lane];
      while (this.handler && !this.closed && this.runningIn[lane] < this.slots[lane] && waiting.length > 0) {
        const id = waiting.shift()!;
        this.runningIn[lane]++;
        // The handler records every outcome in the store; a throw here is a bug, not a job result.
        this.handler(id)
          .catch(() => undefined)
          .finally(() => {
            this.runningIn[lane]--;
            if (this.running === 0) for (const f of this.idle) f();
            this.pump();
          });
      }
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
