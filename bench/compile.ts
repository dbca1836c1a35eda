// Compile benchmark: the direct backend (src/compiler/direct: r1cs written from the layer plan) against
// circom 2.2.3 --O2 on the same emitted circuit, side by side, alternately (direct, circom, direct,
// circom, ... for --rounds N pairs; --cnn-rounds for models/mnist-cnn, whose circom run takes minutes),
// on models/mnist-mlp and models/mnist-cnn; with --lenet 1 also the LeNet-class CNNs of
// bench/lib/lenet.ts with the direct backend only (circom runs out of memory on mnist-8's shape and
// takes ~25 minutes on LeNet-5). Each compile runs in a child process (`zkml compile --backend X`),
// so its peak memory is its own. Per model: medians, the direct/circom ratio, and whether the two
// r1cs files have the same constraint, wire and A/B/C non-zero counts.
//
//   node dist/bench/compile.js [--build DIR] [--rounds N] [--cnn-rounds N] [--lenet 0|1]
//
// Writes docs/bench-compile.md (docs/compile.md explains the backends and the figures).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactPath, readJson } from '../src/formats/artifacts';
import type { CompileReport } from '../src/compiler/report';
import type { R1csStats } from '../src/compiler/r1cs-stats';
import { parseBenchArgs } from './lib/args';
import { lenet5, mnist8Like } from './lib/lenet';
import { machine, ROOT, writeBenchDoc } from './lib/report';

const DOC = path.join(ROOT, 'docs', 'bench-compile.md');
const TARGET_MS: Record<string, number> = { 'mnist-mlp': 10_000, 'mnist-cnn': 60_000 };
type Backend = 'direct' | 'circom';

interface Sample {
  totalMs: number;
  /** The r1cs writer's own time: the direct backend's, or circom's. */
  backendMs: number;
  peak?: number;
  stats: R1csStats;
  predicted: number;
}

interface ModelResult {
  name: string;
  runs: Record<Backend, Sample[]>;
  error?: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mib = (b?: number): string => (b === undefined || Number.isNaN(b) ? '—' : `${(b / 2 ** 20).toFixed(0)} MiB`);
const sec = (ms: number): string => (Number.isNaN(ms) ? '—' : `${(ms / 1000).toFixed(1)} s`);
const int = (n: number): string => n.toLocaleString('en-US');

function compileOnce(backend: Backend, onnx: string, calibration: string | undefined, out: string): Sample {
  fs.rmSync(out, { recursive: true, force: true });
  const args = [path.join(ROOT, 'bin', 'zkml.js'), 'compile', onnx, '--out', out, '--backend', backend, ...(calibration ? ['--calibration', calibration] : [])];
  execFileSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 26 });
  const report = readJson<CompileReport>(artifactPath(out, 'report'));
  const c = report.compile!;
  if (report.backend !== backend) throw new Error(`${onnx}: asked for ${backend}, compiled by ${report.backend} (${report.backendFallback})`);
  return {
    totalMs: c.totalMs,
    backendMs: backend === 'direct' ? c.directMs! : c.circomMs,
    peak: backend === 'direct' ? c.peakMemoryBytes : c.circomPeakMemoryBytes,
    stats: report.r1cs!,
    predicted: report.predictedConstraints,
  };
}

function benchModel(name: string, onnx: string, calibration: string | undefined, buildDir: string, rounds: number, backends: Backend[]): ModelResult {
  const result: ModelResult = { name, runs: { direct: [], circom: [] } };
  for (let r = 0; r < rounds; r++) {
    for (const backend of backends) {
      try {
        result.runs[backend].push(compileOnce(backend, onnx, calibration, path.join(buildDir, name, backend)));
      } catch (err) {
        result.error = `${backend}: ${(err as Error).message.split('\n')[0]}`;
        return result;
      }
    }
  }
  return result;
}

const sameCounts = (a: R1csStats, b: R1csStats): boolean =>
  a.constraints === b.constraints && a.wires === b.wires && a.nonZerosA === b.nonZerosA && a.nonZerosB === b.nonZerosB && a.nonZerosC === b.nonZerosC;

function table(results: ModelResult[]): string {
  const lines = [
    '| model | backend | runs | constraints (= predicted) | wires | A / B / C non-zeros | compile (median) | r1cs writer (median) | peak memory | target |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of results) {
    for (const backend of ['direct', 'circom'] as const) {
      const s = r.runs[backend];
      if (s.length === 0) continue;
      const st = s[0].stats;
      const total = median(s.map((x) => x.totalMs));
      const target = TARGET_MS[r.name];
      const verdict = target === undefined ? '—' : total <= target ? `≤ ${sec(target)}: met` : `≤ ${sec(target)}: **missed** by ${sec(total - target)}`;
      lines.push(
        `| ${r.name} | ${backend} | ${s.length} | ${int(st.constraints)} (${s[0].predicted === st.constraints ? '=' : `≠ ${int(s[0].predicted)}`}) | ${int(st.wires)} | ${int(st.nonZerosA)} / ${int(st.nonZerosB)} / ${int(st.nonZerosC)} | ${sec(total)} | ${sec(median(s.map((x) => x.backendMs)))} | ${mib(median(s.filter((x) => x.peak !== undefined).map((x) => x.peak!)))} | ${verdict} |`,
      );
    }
    const d = r.runs.direct;
    const c = r.runs.circom;
    if (d.length > 0 && c.length > 0) {
      const ratio = median(c.map((x) => x.totalMs)) / median(d.map((x) => x.totalMs));
      const writer = median(c.map((x) => x.backendMs)) / median(d.map((x) => x.backendMs));
      lines.push(`| ${r.name} | circom / direct | | ${sameCounts(d[0].stats, c[0].stats) ? 'same counts' : '**counts differ**'} | | | ${ratio.toFixed(1)}× | ${writer.toFixed(0)}× | | |`);
    }
    if (r.error) lines.push(`| ${r.name} | error | | ${r.error} | | | | | | |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { buildDir, numbers } = parseBenchArgs(process.argv.slice(2), 'compile', { rounds: 2, 'cnn-rounds': 1, lenet: 0 });
  if (!Number.isInteger(numbers.rounds) || numbers.rounds < 1) throw new Error('--rounds needs an integer ≥ 1');
  const m = machine();
  const start = m.load;
  const results: ModelResult[] = [];
  for (const name of ['mnist-mlp', 'mnist-cnn']) {
    const dir = path.join(ROOT, 'models', name);
    const rounds = name === 'mnist-cnn' ? numbers['cnn-rounds'] : numbers.rounds;
    results.push(benchModel(name, path.join(dir, 'model.onnx'), path.join(dir, 'calibration.json'), buildDir, rounds, ['direct', 'circom']));
    console.log(table(results));
  }
  if (numbers.lenet) {
    for (const [name, bytes] of [
      ['mnist-8-like', mnist8Like()],
      ['lenet-5', lenet5()],
    ] as const) {
      const onnx = path.join(buildDir, `${name}.onnx`);
      fs.mkdirSync(buildDir, { recursive: true });
      fs.writeFileSync(onnx, bytes);
      results.push(benchModel(name, onnx, undefined, buildDir, 1, ['direct']));
      console.log(table(results));
    }
  }
  const doc = [
    '# Compile benchmark',
    '',
    'Generated by `npm run bench:compile` (`bench/compile.ts`); docs/compile.md explains the backends and the method.',
    '',
    `- Date: ${new Date().toISOString()}; machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB RAM, Node ${m.node}`,
    `- Load average at the start: ${start}; at the end: ${machine().load}`,
    `- Rounds: ${numbers.rounds} direct/circom pairs for mnist-mlp, ${numbers['cnn-rounds']} for mnist-cnn, alternately (direct, circom, direct, ...); each compile a child process`,
    '- compile: the whole `zkml compile` (ingest, quantize, calibration, emit, r1cs); r1cs writer: the direct backend alone, or circom alone',
    '- peak memory: the compiling process for the direct backend, the circom child for circom',
    '',
    table(results),
    '',
  ].join('\n');
  writeBenchDoc(DOC, doc);
  console.log(doc);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
