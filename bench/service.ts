// The proof service under load, on the shipped MNIST MLP, with the service run as `zkml serve` in a
// child process (SQLite + in-process queue) and 1 then 2 prover workers (Piscina threads):
// - a batch of 100 end to end (POST /v1/batches → every item done) → proofs per minute;
// - latency from request to receipt for C proof requests sent at once (p50, p95);
// - GET /health latency, polled every 100 ms during the whole run (p50, p95; target p95 ≤ 50 ms).
//
//   node dist/bench/service.js [--batch 100] [--concurrent 40] [--workers 1,2] [--data DIR]
//
// DIR (default build/bench-service) keeps the compiled model between runs. Writes docs/bench-service.md
// (keeping the section of bench/service-compile.ts: /health during a compile job).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadMnistSplit } from '../models/mnist-mlp/dataset';
import { packageRoot } from '../src/package-root';
import { http, pollHealth, startChild, waitFor } from '../tools/service-child';
import { percentile } from './lib/report';

const ROOT = packageRoot();
const DOC = path.join(ROOT, 'docs', 'bench-service.md');
const HEALTH_P95_TARGET_MS = 50;

const { values } = parseArgs({
  options: { batch: { type: 'string', default: '100' }, concurrent: { type: 'string', default: '40' }, workers: { type: 'string', default: '1,2' }, data: { type: 'string' } },
});
const BATCH = Number(values.batch);
const CONCURRENT = Number(values.concurrent);
const WORKERS = values.workers!.split(',').map(Number);
const DATA = path.resolve(values.data ?? path.join(ROOT, 'build', 'bench-service'));

const pct = percentile;

interface Row {
  workers: number;
  batchSeconds: number;
  proofsPerMinute: number;
  latencyP50: number;
  latencyP95: number;
  healthP50: number;
  healthP95: number;
  healthMax: number;
  healthSamples: number;
}

const digits = loadMnistSplit().test.map((d) => ({ input_data: [d.pixels] }));

async function ensureModel(base: string): Promise<string> {
  const models = (await http(base, 'GET', '/v1/models')).body as Array<{ id: string; name: string; status: string }>;
  const m = models.find((x) => x.name === 'mnist-mlp');
  if (!m) throw new Error('mnist-mlp is not registered');
  if (m.status !== 'ready') {
    const t = Date.now();
    await http(base, 'POST', `/v1/models/${m.id}/compile`, {});
    await waitFor(
      'the MNIST compile',
      async () => {
        const s = (await http(base, 'GET', `/v1/models/${m.id}`)).body;
        if (s.status === 'failed') throw new Error(JSON.stringify(s.error));
        return s.status === 'ready';
      },
      900_000,
      1000,
    );
    console.log(`compiled and set up mnist-mlp in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  return m.id;
}

async function proveOne(base: string, modelId: string, input: unknown): Promise<void> {
  const r = await http(base, 'POST', '/v1/proofs', { modelId, input });
  if (r.status !== 202) throw new Error(`POST /v1/proofs: ${r.status} ${JSON.stringify(r.body)}`);
  await waitFor('a proof', async () => (await http(base, 'GET', `/v1/proofs/${r.body.id}`)).body.state === 'done', 120_000, 100);
}

async function run(workers: number): Promise<Row> {
  const child = await startChild('serve', { PORT: '0', ZKML_DATA_DIR: DATA, ZKML_PROVER_THREADS: String(workers), ZKML_MAX_QUEUE: '10000' });
  try {
    const base = child.url;
    const modelId = await ensureModel(base);
    // Warm every worker thread (each loads the circuit once).
    await Promise.all(Array.from({ length: workers }, (_, i) => proveOne(base, modelId, digits[i])));

    const poller = pollHealth(base, 100);

    const t0 = Date.now();
    const b = await http(base, 'POST', '/v1/batches', { modelId, inputs: digits.slice(0, BATCH) });
    if (b.status !== 202) throw new Error(`POST /v1/batches: ${b.status} ${JSON.stringify(b.body)}`);
    await waitFor(
      'the batch',
      async () => {
        const s = (await http(base, 'GET', `/v1/batches/${b.body.id}?limit=1`)).body;
        if (s.counts.failed) throw new Error('a batch item failed');
        return s.counts.done === BATCH;
      },
      1_800_000,
      250,
    );
    const batchSeconds = (Date.now() - t0) / 1000;

    // Request → receipt for CONCURRENT requests sent at once; the service's finishedAt marks the receipt.
    const sent = await Promise.all(
      digits.slice(BATCH, BATCH + CONCURRENT).map(async (input) => {
        const at = Date.now();
        const r = await http(base, 'POST', '/v1/proofs', { modelId, input });
        if (r.status !== 202) throw new Error(`POST /v1/proofs: ${r.status}`);
        return { id: r.body.id as string, at };
      }),
    );
    const latencies: number[] = [];
    for (const s of sent) {
      const done = await waitFor(
        'a proof',
        async () => {
          const p = (await http(base, 'GET', `/v1/proofs/${s.id}`)).body;
          return p.state === 'done' && p;
        },
        600_000,
        200,
      );
      latencies.push(Date.parse(done.finishedAt) - s.at);
    }
    const health = (await poller.stop()).map((h) => h.ms);
    return {
      workers,
      batchSeconds,
      proofsPerMinute: (BATCH / batchSeconds) * 60,
      latencyP50: pct(latencies, 0.5) / 1000,
      latencyP95: pct(latencies, 0.95) / 1000,
      healthP50: pct(health, 0.5),
      healthP95: pct(health, 0.95),
      healthMax: Math.max(...health),
      healthSamples: health.length,
    };
  } finally {
    await child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const w of WORKERS) {
    console.log(`running with ${w} worker(s)…`);
    rows.push(await run(w));
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
  const table = [
    `| prover workers | batch of ${BATCH}, end to end | proofs / min | request → receipt, ${CONCURRENT} at once: p50 / p95 | GET /health under load: p50 / p95 / max (samples) |`,
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.workers} | ${r.batchSeconds.toFixed(1)} s | ${r.proofsPerMinute.toFixed(1)} | ${r.latencyP50.toFixed(1)} s / ${r.latencyP95.toFixed(1)} s | ` +
        `${r.healthP50.toFixed(1)} / ${r.healthP95.toFixed(1)} / ${r.healthMax.toFixed(1)} ms (${r.healthSamples}) |`,
    ),
  ].join('\n');
  const load = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
  const doc =
    `# Service benchmark (bench/service.ts)\n\nMNIST MLP (models/mnist-mlp), \`zkml serve\` on embedded defaults (SQLite, in-process queue), ` +
    `${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString()}, load average after the run ${load}.\n\n${table}\n\n` +
    `Target: GET /health p95 ≤ ${HEALTH_P95_TARGET_MS} ms under full proving load: ` +
    `${rows.every((r) => r.healthP95 <= HEALTH_P95_TARGET_MS) ? 'met' : 'NOT met'}.\n`;
  // Sections other scripts write into this file (bench/service-compile.ts) are kept.
  const previous = fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : '';
  const kept = previous.includes('\n## ') ? previous.slice(previous.indexOf('\n## ')) : '';
  fs.writeFileSync(DOC, doc + kept);
  console.log(doc);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
