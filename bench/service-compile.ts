// Is the service responsive while it compiles? `zkml serve` (a child process, SQLite + in-process
// queue, a fresh data folder so nothing is compiled yet) compiles and sets up a shipped model through
// the API while GET /health is polled every 50 ms; reports the /health latency p50 / p95 / max over
// the whole compile job (ONNX ingest, quantization, circom, report, Groth16 setup).
//
//   node dist/bench/service-compile.js [--model mnist-mlp] [--label "worker thread"]
//
// The row goes into the table of docs/bench-service.md under its label (a row with the same label
// is replaced), so runs of different code versions sit next to each other.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/package-root';
import { Child, http, pollHealth, startChild, waitFor } from '../tools/service-child';
import { percentile } from './lib/report';

const ROOT = packageRoot();
const DOC = path.join(ROOT, 'docs', 'bench-service.md');
const COMPILE_SECTION = '## /health during a compile job (bench/service-compile.ts)';
const POLL_MS = 50;

const { values } = parseArgs({ options: { model: { type: 'string', default: 'mnist-mlp' }, label: { type: 'string', default: 'current code' } } });
const MODEL = values.model!;
const LABEL = values.label!.replace(/\|/g, '/');

const pct = percentile;

interface Row {
  compileSeconds: number;
  p50: number;
  p95: number;
  max: number;
  over1s: number;
  samples: number;
  /** p95 / max while the job was in its compile stage, then in its setup stage. */
  compileStage: { p95: number; max: number };
  setupStage: { p95: number; max: number };
}

async function run(): Promise<Row> {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-bench-compile-'));
  let child: Child | undefined;
  try {
    child = await startChild('serve', { PORT: '0', ZKML_DATA_DIR: data, ZKML_MODELS_DIR: path.join(ROOT, 'models'), ZKML_PROVER_THREADS: '1' });
    const base = child.url;
    const models = (await http(base, 'GET', '/v1/models')).body as Array<{ id: string; name: string }>;
    const m = models.find((x) => x.name === MODEL);
    if (!m) throw new Error(`${MODEL} is not a shipped model`);

    let stage = 'queued';
    const poller = pollHealth(base, POLL_MS, () => stage);

    const t0 = Date.now();
    const c = await http(base, 'POST', `/v1/models/${m.id}/compile`, {});
    if (c.status !== 202) throw new Error(`POST compile: ${c.status} ${JSON.stringify(c.body)}`);
    await waitFor(
      `the ${MODEL} compile`,
      async () => {
        const s = (await http(base, 'GET', `/v1/models/${m.id}`)).body;
        if (s.status === 'failed') throw new Error(JSON.stringify(s.error));
        stage = String(s.compileJob?.phase ?? '').split(':')[0];
        return s.status === 'ready';
      },
      1_800_000,
      250,
    );
    const compileSeconds = (Date.now() - t0) / 1000;
    const health = await poller.stop();
    const all = health.map((h) => h.ms);
    const during = (name: string) => {
      const xs = health.filter((h) => h.label === name).map((h) => h.ms);
      return { p95: pct(xs, 0.95), max: Math.max(...xs) };
    };
    return {
      compileSeconds,
      p50: pct(all, 0.5),
      p95: pct(all, 0.95),
      max: Math.max(...all),
      over1s: all.filter((ms) => ms > 1000).length,
      samples: all.length,
      compileStage: during('compile'),
      setupStage: during('setup'),
    };
  } finally {
    await child?.kill('SIGTERM');
    fs.rmSync(data, { recursive: true, force: true });
  }
}

/** The section's table with this run's row added (or replacing the row of the same label). */
function updateDoc(row: Row, load: string): void {
  const header = [
    '| code | model | compile + setup, end to end | GET /health every 50 ms: p50 / p95 / max | p95 / max in the compile stage | p95 / max in the setup stage | polls over 1 s (samples) | load average after |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const ms = (x: number) => x.toFixed(1);
  const line =
    `| ${LABEL} | ${MODEL} | ${row.compileSeconds.toFixed(1)} s | ${ms(row.p50)} / ${ms(row.p95)} / ${ms(row.max)} ms | ` +
    `${ms(row.compileStage.p95)} / ${ms(row.compileStage.max)} ms | ${ms(row.setupStage.p95)} / ${ms(row.setupStage.max)} ms | ${row.over1s} (${row.samples}) | ${load} |`;
  const doc = fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : '# Service benchmark\n';
  const at = doc.indexOf(COMPILE_SECTION);
  const before = at >= 0 ? doc.slice(0, at) : `${doc.trimEnd()}\n\n`;
  const rows =
    at >= 0
      ? doc
          .slice(at)
          .split('\n')
          .filter((l) => l.startsWith('| ') && !l.startsWith('| code |'))
      : [];
  const kept = rows.filter((l) => !l.startsWith(`| ${LABEL} | ${MODEL} |`));
  const section = [
    COMPILE_SECTION,
    '',
    `\`zkml serve\` (SQLite, in-process queue, 1 prover thread) on a fresh data folder compiles and sets up a shipped model ` +
      `through the API (POST /v1/models/:id/compile until ready) while GET /health is polled every ${POLL_MS} ms. ` +
      `${os.cpus().length} cores, Node ${process.version}; the dev ptau comes from the cache. Each row is one run, kept until a run ` +
      `with the same label replaces it; the stage columns split the polls by the job's phase. Latest run ${new Date().toISOString()}.`,
    '',
    ...header,
    ...kept,
    line,
    '',
  ].join('\n');
  fs.writeFileSync(DOC, before + section);
}

async function main(): Promise<void> {
  console.log(`compiling ${MODEL} through the API while polling /health…`);
  const row = await run();
  const load = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
  console.log(JSON.stringify({ label: LABEL, model: MODEL, ...row, load }));
  updateDoc(row, load);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
