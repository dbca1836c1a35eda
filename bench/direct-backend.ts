// The direct backend (src/compiler/direct) on one compiled model, this build against a baseline
// build of the same code base, alternately (baseline, current, baseline, current, ... for --rounds
// N pairs), each run in its own child process so its time and peak memory are its own. Per run:
// the r1cs and sym written from the build's compiled.json (compileDirect), and with --input the
// direct witness of that input; the sha256 of the r1cs, the sym and the witness (.wtns) must be the
// same for both builds (the backend's output does not depend on how it is computed).
//
//   node dist/bench/direct-backend.js --build DIR --baseline DIST [--input FILE] [--rounds N] [--heap MiB]
//
// DIR: a build folder (zkml compile --backend direct) holding compiled.json; DIST: another build's
// dist/ folder (e.g. a copy of dist/ made before a change). Prints a markdown table.
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sha256File } from '../src/formats/artifacts';
import { loadAverage } from './lib/report';

interface ChildResult {
  compileMs: number;
  compilePeak: number;
  constraints: number;
  r1cs: string;
  sym: string;
  witnessMs?: number;
  witnessPeak?: number;
  wtns?: string;
}

/** One phase in this process, with the modules of the build at `dist`. */
function child(dist: string, phase: 'compile' | 'witness', buildDir: string, outDir: string, inputFile: string | undefined): void {
  /* eslint-disable @typescript-eslint/no-var-requires */
  const { readCompiled } = require(path.join(dist, 'src/formats/compiled-model.js'));
  const { compileDirect, directWitness } = require(path.join(dist, 'src/compiler/direct/backend.js'));
  const { readWireLabelsFile, wtnsBytes } = require(path.join(dist, 'src/compiler/direct/files.js'));
  /* eslint-enable @typescript-eslint/no-var-requires */
  const model = readCompiled(buildDir).model;
  const files = { r1cs: path.join(outDir, 'circuit.r1cs'), sym: path.join(outDir, 'circuit.sym') };
  const t0 = Date.now();
  if (phase === 'compile') {
    const constraints = compileDirect(model, files);
    const compileMs = Date.now() - t0;
    process.stdout.write(JSON.stringify({ compileMs, compilePeak: process.resourceUsage().maxRSS * 1024, constraints }));
    return;
  }
  /* eslint-disable @typescript-eslint/no-var-requires */
  const { readInput } = require(path.join(dist, 'src/formats/input-document.js'));
  const { circuitInput, quantizeSample } = require(path.join(dist, 'src/quantize/codec.js'));
  /* eslint-enable @typescript-eslint/no-var-requires */
  const compiled = readCompiled(buildDir);
  const sample = readInput(JSON.parse(fs.readFileSync(inputFile!, 'utf8')), compiled.graphInputs);
  const input = circuitInput(model, quantizeSample(model, sample));
  const t1 = Date.now();
  const bytes: Buffer = wtnsBytes(directWitness(model, input, readWireLabelsFile(files.r1cs)));
  const witnessMs = Date.now() - t1;
  const wtns = crypto.createHash('sha256').update(bytes).digest('hex');
  process.stdout.write(JSON.stringify({ witnessMs, witnessPeak: process.resourceUsage().maxRSS * 1024, wtns }));
}

function run(dist: string, buildDir: string, inputFile: string | undefined, heapMiB: number): ChildResult {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-direct-bench-'));
  try {
    const phase = (name: string) =>
      JSON.parse(
        execFileSync(process.execPath, [`--max-old-space-size=${heapMiB}`, __filename, '--child', dist, name, buildDir, outDir, inputFile ?? ''], {
          stdio: ['ignore', 'pipe', 'inherit'],
          maxBuffer: 1 << 20,
        }).toString('utf8'),
      );
    const compiled = phase('compile');
    const result: ChildResult = { ...compiled, r1cs: sha256File(path.join(outDir, 'circuit.r1cs')), sym: sha256File(path.join(outDir, 'circuit.sym')) };
    if (inputFile) Object.assign(result, phase('witness'));
    return result;
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const gib = (b: number): string => `${(b / 2 ** 30).toFixed(2)} GiB`;

function main(argv: string[]): void {
  if (argv[0] === '--child') return child(argv[1], argv[2] as 'compile' | 'witness', argv[3], argv[4], argv[5] || undefined);
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const buildDir = opt('build');
  const baseline = opt('baseline');
  if (!buildDir || !baseline) throw new Error('usage: node dist/bench/direct-backend.js --build DIR --baseline DIST [--input FILE] [--rounds N] [--heap MiB]');
  const input = opt('input');
  const rounds = Number(opt('rounds') ?? 2);
  const heap = Number(opt('heap') ?? 16384);
  const current = path.resolve(__dirname, '..');
  const runs: Record<'baseline' | 'current', ChildResult[]> = { baseline: [], current: [] };
  const loads: string[] = [loadAverage()];
  for (let r = 0; r < rounds; r++) {
    for (const [name, dist] of [
      ['baseline', path.resolve(baseline)],
      ['current', current],
    ] as const) {
      const result = run(dist, path.resolve(buildDir), input && path.resolve(input), heap);
      runs[name].push(result);
      loads.push(loadAverage());
      console.error(`${name} round ${r + 1}: ${JSON.stringify(result)}`);
    }
  }
  const all = [...runs.baseline, ...runs.current];
  const same = (key: 'r1cs' | 'sym' | 'wtns') => all.every((x) => x[key] === all[0][key]);
  const row = (label: string, f: (x: ChildResult) => number, show: (v: number) => string) => {
    const [b, c] = [median(runs.baseline.map(f)), median(runs.current.map(f))];
    return `| ${label} | ${show(b)} | ${show(c)} | ${(c / b).toFixed(2)} |`;
  };
  const lines = [
    `${path.basename(path.resolve(buildDir))}: ${all[0].constraints.toLocaleString('en-US')} constraints, ${rounds} rounds (baseline, current alternately), load average ${loads.join(' → ')}`,
    '',
    '| median | baseline | current | current / baseline |',
    '| --- | ---: | ---: | ---: |',
    row('compileDirect (r1cs + sym)', (x) => x.compileMs, sec),
    row('its peak RSS', (x) => x.compilePeak, gib),
    ...(input ? [row('direct witness', (x) => x.witnessMs!, sec), row('its peak RSS', (x) => x.witnessPeak!, gib)] : []),
    '',
    `same r1cs sha256 in every run: ${same('r1cs')} (${all[0].r1cs.slice(0, 16)}…); sym: ${same('sym')} (${all[0].sym.slice(0, 16)}…)${input ? `; witness: ${same('wtns')} (${all[0].wtns!.slice(0, 16)}…)` : ''}`,
  ];
  console.log(lines.join('\n'));
  if (!same('r1cs') || !same('sym') || (input && !same('wtns'))) process.exitCode = 1;
}

main(process.argv.slice(2));
