/**
 * The model benchmarks' report: metrics next to their requirements as a markdown table, the machine
 * they ran on, and the doc file it all goes to (docs/bench-<model>.md, rewritten on every run).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageRoot } from '../../src/package-root';

// Runs from dist/, but the model files and docs live in the source tree.
export const ROOT = packageRoot();

export interface Row {
  metric: string;
  value: string;
  requirement: string;
  /** undefined: informational, no requirement. */
  met?: boolean;
  /** false: compared with a requirement but does not fail the run (default true). */
  gate?: boolean;
}

export function markdownTable(rows: Row[]): string {
  const mark = (r: Row): string => (r.met === undefined ? '' : r.met ? 'met' : r.gate === false ? 'above' : '**MISSED**');
  const lines = ['| metric | value | requirement | |', '| --- | ---: | --- | --- |'];
  for (const r of rows) lines.push(`| ${r.metric} | ${r.value} | ${r.requirement} | ${mark(r)} |`);
  return lines.join('\n');
}

/** The requirements that fail the run. */
export function missedRows(rows: Row[]): Row[] {
  return rows.filter((r) => r.met === false && r.gate !== false);
}

/** The doc's closing line. */
export function verdict(rows: Row[]): string {
  const missed = missedRows(rows);
  return missed.length === 0 ? 'All requirements are met.' : `Missed: ${missed.map((r) => `${r.metric} (${r.value}, requirement ${r.requirement})`).join('; ')}.`;
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}

export function machine(): { cpu: string; cores: number; memGiB: string; node: string; os: string; load: string } {
  const cpus = os.cpus();
  return {
    // Other processes compete for the same cores and skew the timings: record how busy the machine was.
    load: loadAverage(),
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
  };
}

export function writeBenchDoc(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** A path relative to the repository when it is inside it. */
export function show(p: string): string {
  const rel = path.relative(ROOT, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

export function seconds(x: number): string {
  return (x / 1000).toFixed(1);
}

export function pct(k: number, n: number): string {
  return `${((100 * k) / n).toFixed(1)}% (${k}/${n})`;
}

/** The p-quantile (0..1) of a sample, nearest rank. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}
