/**
 * Progress of a long operation: (phase, fraction done). A phase that waits on one long call (circom,
 * `zkey new`, a contribution) says it is still alive: withHeartbeat repeats its progress report every
 * few seconds, so the CLI prints the elapsed time and a job's progress (and updatedAt) moves.
 */
export type ProgressFn = (phase: string, fraction: number) => void;

/** At most this long between two reports of one phase. */
export const HEARTBEAT_MS = 4000;

export async function withHeartbeat<T>(progress: ProgressFn, phase: string, fraction: number, work: () => Promise<T>, everyMs = HEARTBEAT_MS): Promise<T> {
  progress(phase, fraction);
  const timer = setInterval(() => progress(phase, fraction), everyMs);
  timer.unref?.();
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
