// Compile benchmark: the circuit shape before materialised sums (old) against the shipped one (new),
// both at circom --O2, on models/mnist-mlp and models/mnist-cnn (and, with --lenet 1, the LeNet-class
// CNNs of bench/lib/lenet.ts). Per model: one full compileModel (new shape; the phases of its time,
// circom's share and peak memory), then circom alone on the old and the new source, alternately
// (old, new, old, new, ... for --rounds N), with constraints, A/B/C non-zeros, time and peak memory.
//
//   node dist/bench/compile.js [--build DIR] [--rounds N] [--lenet 0|1]
//
// Writes docs/bench-compile.md (docs/compile.md explains the shape and the figures).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactPath } from '../src/formats/artifacts';
import { readCompiled } from '../src/formats/compiled-model';
import { compileModel } from '../src/compiler/compile';
import { compileCircom, copyTemplateLibrary } from '../src/compiler/circom2';
import { emitCircuit } from '../src/compiler/emit';
import { mainIncludes } from '../src/compiler/emit-main';
import { readR1csStats, R1csStats } from '../src/compiler/r1cs-stats';
import type { CompilePhases } from '../src/compiler/report';
import { parseBenchArgs } from './lib/args';
import { lenet5, mnist8Like } from './lib/lenet';
import { machine, ROOT, writeBenchDoc } from './lib/report';

const DOC = path.join(ROOT, 'docs', 'bench-compile.md');
const TARGET_MS: Record<string, number> = { 'mnist-mlp': 10_000, 'mnist-cnn': 60_000 };

interface Sample {
  ms: number;
  peak?: number;
  stats: R1csStats;
}

interface ModelResult {
  name: string;
  phases: CompilePhases;
  old: Sample[];
  new: Sample[];
  error?: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mib = (b?: number): string => (b === undefined ? '—' : `${(b / 2 ** 20).toFixed(0)} MiB`);
const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const int = (n: number): string => n.toLocaleString('en-US');

async function circomOnly(dir: string): Promise<Sample> {
  fs.rmSync(path.join(dir, 'build'), { recursive: true, force: true });
  const out = await compileCircom({ workDir: dir, mainFile: 'main.circom', timeoutMs: 4 * 3600 * 1000 });
  return { ms: out.ms, peak: out.peakMemoryBytes, stats: readR1csStats(out.r1csPath) };
}

async function benchModel(name: string, onnx: string, calibration: string | undefined, buildDir: string, rounds: number): Promise<ModelResult> {
  const dir = path.join(buildDir, name);
  const result = await compileModel(onnx, path.join(dir, 'build'), calibration ? { calibration } : {});
  const model = readCompiled(result.buildDir).model;
  const sources: Record<'old' | 'new', string> = {
    old: emitCircuit(model, path.basename(onnx), { materialiseSums: false }),
    new: fs.readFileSync(artifactPath(result.buildDir, 'circuitSource'), 'utf8'),
  };
  const dirs: Record<'old' | 'new', string> = { old: path.join(dir, 'old'), new: path.join(dir, 'new') };
  for (const shape of ['old', 'new'] as const) {
    fs.rmSync(dirs[shape], { recursive: true, force: true });
    copyTemplateLibrary(dirs[shape], mainIncludes(model).length > 0);
    fs.writeFileSync(path.join(dirs[shape], 'main.circom'), sources[shape]);
  }
  const out: ModelResult = { name, phases: result.report.compile!, old: [], new: [] };
  // The full compile is the first new sample; then old, new, old, ... so that load drifts hit both.
  out.new.push({ ms: result.report.compile!.circomMs, peak: result.report.compile!.circomPeakMemoryBytes, stats: result.report.r1cs! });
  for (let r = 0; r < rounds; r++) {
    try {
      out.old.push(await circomOnly(dirs.old));
    } catch (err) {
      out.error = `old shape: ${(err as Error).message}`;
      break;
    }
    if (r + 1 < rounds) out.new.push(await circomOnly(dirs.new));
  }
  return out;
}

function table(results: ModelResult[]): string {
  const lines = [
    '| model | shape | constraints | A non-zeros | B non-zeros | C non-zeros | longest A/B row | circom time (median) | circom peak memory |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    for (const shape of ['old', 'new'] as const) {
      const s = r[shape];
      if (s.length === 0) {
        lines.push(`| ${r.name} | ${shape} | ${r.error ?? '—'} | | | | | | |`);
        continue;
      }
      const st = s[0].stats;
      const peak = median(s.filter((x) => x.peak !== undefined).map((x) => x.peak!));
      lines.push(
        `| ${r.name} | ${shape} (${s.length} run${s.length > 1 ? 's' : ''}) | ${int(st.constraints)} | ${int(st.nonZerosA)} | ${int(st.nonZerosB)} | ${int(st.nonZerosC)} | ${st.maxRowAB} | ${sec(median(s.map((x) => x.ms)))} | ${mib(Number.isNaN(peak) ? undefined : peak)} |`,
      );
    }
    if (r.old.length > 0 && r.new.length > 0) {
      const o = r.old[0].stats;
      const n = r.new[0].stats;
      lines.push(
        `| ${r.name} | new / old | ${(n.constraints / o.constraints).toFixed(3)} | ${((n.nonZerosA + n.nonZerosB) / (o.nonZerosA + o.nonZerosB)).toFixed(3)} (A+B) | | | | ${(median(r.new.map((x) => x.ms)) / median(r.old.map((x) => x.ms))).toFixed(2)} | |`,
      );
    }
  }
  return lines.join('\n');
}

function phaseTable(results: ModelResult[]): string {
  const lines = [
    '| model | ingest | quantize | calibration | emit | circom | other | total | circom share | target | |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of results) {
    const p = r.phases;
    const target = TARGET_MS[r.name];
    const verdict = target === undefined ? '' : p.totalMs <= target ? 'met' : `**MISSED** by ${sec(p.totalMs - target)}`;
    lines.push(
      `| ${r.name} | ${sec(p.ingestMs)} | ${sec(p.quantizeMs)} | ${sec(p.calibrationMs)} | ${sec(p.emitMs)} | ${sec(p.circomMs)} | ${sec(p.otherMs)} | ${sec(p.totalMs)} | ${(100 * p.circomShare).toFixed(0)} % | ${target === undefined ? '—' : sec(target)} | ${verdict} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { buildDir, numbers } = parseBenchArgs(process.argv.slice(2), 'compile', { rounds: 1, lenet: 0 });
  if (!Number.isInteger(numbers.rounds) || numbers.rounds < 1) throw new Error('--rounds needs an integer ≥ 1');
  const m = machine();
  const start = m.load;
  const results: ModelResult[] = [];
  for (const name of ['mnist-mlp', 'mnist-cnn']) {
    const dir = path.join(ROOT, 'models', name);
    results.push(await benchModel(name, path.join(dir, 'model.onnx'), path.join(dir, 'calibration.json'), buildDir, numbers.rounds));
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
      results.push(await benchModel(name, onnx, undefined, buildDir, numbers.rounds));
      console.log(table(results));
    }
  }
  const doc = [
    '# Compile benchmark',
    '',
    'Generated by `npm run bench:compile` (`bench/compile.ts`); docs/compile.md explains the shape and the method.',
    '',
    `- Date: ${new Date().toISOString()}; machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB RAM, Node ${m.node}`,
    `- Load average at the start: ${start}; at the end: ${machine().load}`,
    `- Rounds: ${numbers.rounds} (circom alone on the old and new source, alternately; the new shape's first run is the full compile's)`,
    '',
    '## Circuit shape: old (long sums substituted by --O2) vs new (materialised sums), both circom --O2',
    '',
    table(results),
    '',
    '## Where a compile (new shape) spends its time',
    '',
    phaseTable(results),
    '',
  ].join('\n');
  writeBenchDoc(DOC, doc);
  console.log(doc);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
