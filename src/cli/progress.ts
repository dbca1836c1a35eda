import { cliEnv } from './env';

/** Progress lines on stderr: phase, percent, elapsed. Silenced by ZKML_QUIET. */
export function progressPrinter(command: string): (phase: string, fraction: number) => void {
  const t0 = Date.now();
  let lastPhase = '';
  let lastTime = 0;
  return (phase, fraction) => {
    if (cliEnv().quiet) return;
    const now = Date.now();
    // A line per phase, and at most one every 2 s within a phase.
    if (phase === lastPhase && now - lastTime < 2000) return;
    lastPhase = phase;
    lastTime = now;
    process.stderr.write(`[${command}] ${phase} ${Math.round(fraction * 100)}% ${((now - t0) / 1000).toFixed(1)}s\n`);
  };
}
