import { cliEnv } from './env';

/**
 * Progress lines on stderr: phase, percent, elapsed (overall and in the phase). Silenced by
 * ZKML_QUIET. A line per phase, and at most one every 2 s within a phase; long phases repeat their
 * report (withHeartbeat), so a line comes at least every 5 s.
 */
export function progressPrinter(command: string): (phase: string, fraction: number) => void {
  const t0 = Date.now();
  let lastPhase = '';
  let lastTime = 0;
  let phaseStart = t0;
  return (phase, fraction) => {
    if (cliEnv().quiet) return;
    const now = Date.now();
    if (phase === lastPhase && now - lastTime < 2000) return;
    if (phase !== lastPhase) phaseStart = now;
    const inPhase = now - phaseStart >= 1000 ? ` (${phase} ${((now - phaseStart) / 1000).toFixed(0)}s)` : '';
    lastPhase = phase;
    lastTime = now;
    process.stderr.write(`[${command}] ${phase} ${Math.round(fraction * 100)}% ${((now - t0) / 1000).toFixed(1)}s${inPhase}\n`);
  };
}

/** A warning of the core on stderr (unless ZKML_QUIET; it is in the report too). */
export function printWarning(message: string): void {
  if (!cliEnv().quiet) process.stderr.write(`warning: ${cliWording(message)}\n`);
}

/** The CLI names a setting by its flag: the core's messages use the setting names the API takes (camelCase, never a plain word). */
const FLAGS: Record<string, string> = {
  inputRange: '--input-range',
  inputBits: '--input-bits',
  weightBits: '--weight-bits',
  activationBits: '--activation-bits',
  maxConstraints: '--max-constraints',
  maxError: '--max-error',
  batchSize: '--batch',
  leadingDim: '--leading-dim',
  inputVisibility: '--input-visibility',
  outputVisibility: '--output-visibility',
  weightVisibility: '--weight-visibility',
};

export function cliWording(message: string): string {
  return message.replace(/\b(inputRange|inputBits|weightBits|activationBits|maxConstraints|maxError|batchSize|leadingDim|inputVisibility|outputVisibility|weightVisibility)\b/g, (name) => FLAGS[name]);
}
