/**
 * `zkml serve` and `zkml worker`. The service is loaded only when asked for, so the other commands do
 * not pay for NestJS.
 */
export async function serveCommand(): Promise<void> {
  await (await import('../../service/main')).serve();
}

export async function workerCommand(): Promise<void> {
  await (await import('../../service/worker')).work();
}
