// Do compiles delay proofs? `zkml serve` (a child process, SQLite + in-process queue, 1 prover
// thread, ZKML_COMPILE_CONCURRENCY 1, a fresh data folder) proves models/tiny sequentially, K proofs
// per round, alternating rounds with nothing else running (A) and rounds while a shipped model
// compiles (B: mnist-mlp, then mnist-cnn), A B A B; reports the request → done latency median per
// condition and the ratio B / A.
//
//   node dist/bench/service-lanes.js [--proofs 8]
//
// The table goes into docs/bench-service.md (its section is replaced on each run).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/package-root';
import { Child, http, startChild, waitFor } from '../tools/service-child';
import { percentile } from './lib/report';

const ROOT = packageRoot();
const DOC = path.join(ROOT, 'docs', 'bench-service.md');
const SECTION = '## Proof latency while a compile runs (bench/service-lanes.ts)';
const { values } = parseArgs({ options: { proofs: { type: 'string', default: '8' } } });
const K = Number(values.proofs);

const TINY_INPUT = JSON.parse(fs.readFileSync(path.join(ROOT, 'models', 'tiny', 'input.json'), 'utf8'));

async function proveOnce(base: string, modelId: string): Promise<number> {
  const t0 = performance.now();
  const p = await http(base, 'POST', '/v1/proofs', { modelId, input: TINY_INPUT });
  if (p.status !== 202) throw new Error(`POST /v1/proofs: ${p.status} ${JSON.stringify(p.body)}`);
  await waitFor(
    'the proof',
    async () => {
      const r = await http(base, 'GET', `/v1/proofs/${p.body.id}`);
      if (r.body.state === 'failed') throw new Error(JSON.stringify(r.body.error));
      return r.body.state === 'done';
    },
    1_800_000,
    20,
  );
  return performance.now() - t0;
}

async function compileState(base: string, id: string): Promise<string> {
  return (await http(base, 'GET', `/v1/models/${id}`)).body.status;
}

async function main(): Promise<void> {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-bench-lanes-'));
  let child: Child | undefined;
  const rows: Array<{ round: string; ms: number[] }> = [];
  try {
    child = await startChild('serve', { PORT: '0', ZKML_DATA_DIR: data, ZKML_MODELS_DIR: path.join(ROOT, 'models'), ZKML_PROVER_THREADS: '1', ZKML_COMPILE_CONCURRENCY: '1' });
    const base = child.url;
    const models = (await http(base, 'GET', '/v1/models')).body as Array<{ id: string; name: string }>;
    const id = (name: string) => models.find((m) => m.name === name)!.id;
    await http(base, 'POST', `/v1/models/${id('tiny')}/compile`, {});
    await waitFor('tiny to be ready', async () => (await compileState(base, id('tiny'))) === 'ready', 600_000, 250);
    await proveOnce(base, id('tiny')); // warm: the prover loads the build once
    for (const [i, big] of ['mnist-mlp', 'mnist-cnn'].entries()) {
      const idle: number[] = [];
      for (let k = 0; k < K; k++) idle.push(await proveOnce(base, id('tiny')));
      rows.push({ round: `A${i + 1}: nothing else running`, ms: idle });
      const c = await http(base, 'POST', `/v1/models/${id(big)}/compile`, {});
      if (c.status !== 202) throw new Error(`compile ${big}: ${c.status} ${JSON.stringify(c.body)}`);
      await waitFor(`the ${big} compile to start`, async () => (await http(base, 'GET', `/v1/models/${id(big)}`)).body.compileJob?.state === 'running', 60_000, 50);
      const busy: number[] = [];
      while (busy.length < K && (await compileState(base, id(big))) === 'compiling') busy.push(await proveOnce(base, id('tiny')));
      rows.push({ round: `B${i + 1}: while ${big} compiles`, ms: busy });
      console.log(JSON.stringify(rows.slice(-2).map((r) => ({ round: r.round, median: percentile(r.ms, 0.5), n: r.ms.length }))));
      await waitFor(`the ${big} compile`, async () => (await compileState(base, id(big))) !== 'compiling', 1_800_000, 500);
    }
  } finally {
    await child?.kill('SIGTERM');
    fs.rmSync(data, { recursive: true, force: true });
  }
  const median = (cond: string) =>
    percentile(
      rows.filter((r) => r.round.startsWith(cond)).flatMap((r) => r.ms),
      0.5,
    );
  const load = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
  const section = [
    SECTION,
    '',
    `\`zkml serve\` (SQLite, in-process queue, 1 prover thread, ZKML_COMPILE_CONCURRENCY 1) proves models/tiny one request at a time ` +
      `(POST /v1/proofs until done), ${K} proofs per round, rounds alternating A (nothing else running) and B (while a shipped model compiles ` +
      `in the compile lane). ${os.cpus().length} cores shared with other work, Node ${process.version}, ${new Date().toISOString()}, load average after ${load}.`,
    '',
    '| round | proofs | request → done: median / max |',
    '|---|---|---|',
    ...rows.map((r) => `| ${r.round} | ${r.ms.length} | ${percentile(r.ms, 0.5).toFixed(0)} / ${Math.max(...r.ms).toFixed(0)} ms |`),
    '',
    `Median over all rounds: A ${median('A').toFixed(0)} ms, B ${median('B').toFixed(0)} ms, ratio B / A ${(median('B') / median('A')).toFixed(2)}. ` +
      'Before the lanes, a proof submitted during a compile waited for the whole compile (the one job slot was the compile’s: 11 minutes in the issue report).',
    '',
  ].join('\n');
  const doc = fs.readFileSync(DOC, 'utf8');
  const at = doc.indexOf(SECTION);
  const rest = at >= 0 ? doc.slice(at + SECTION.length) : '';
  const next = rest.indexOf('\n## ');
  const out = at >= 0 ? doc.slice(0, at) + section + (next >= 0 ? rest.slice(next + 1) : '') : `${doc.trimEnd()}\n\n${section}`;
  fs.writeFileSync(DOC, out);
  console.log(section);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
