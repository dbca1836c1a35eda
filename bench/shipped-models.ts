// Warm proving time of the shipped models beyond MNIST (models/iris-gbt, models/gru-sequence,
// models/transformer-encoder; default settings, each model's calibration.json): constraints, compile and
// setup time, then a warm single-worker Prover (one warm-up, then --proofs proofs of the calibration
// samples), each receipt matching the integer reference and verified off-chain.
//
//   node dist/bench/shipped-models.js [--proofs N] [--fresh]
//
// Builds go to build/bench-shipped-<model> and are reused while their manifest matches (--fresh redoes
// them). Writes docs/bench-shipped-models.md.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactPath, readJson } from '../src/formats/artifacts';
import type { Receipt } from '../src/formats/receipt';
import { Prover } from '../src/prover/prover';
import { withSnarkjsCurve } from '../src/snark/curve';
import { verifyOffchain } from '../src/verifier/offchain';
import { compileOrReuse, setupOrReuse } from './lib/build';
import { loadAverage, machine, percentile, ROOT, seconds, writeBenchDoc } from './lib/report';

const MODELS = ['iris-gbt', 'gru-sequence', 'transformer-encoder'];
const DOC = path.join(ROOT, 'docs', 'bench-shipped-models.md');

interface Result {
  model: string;
  constraints: number;
  power: number;
  compileS: string;
  setupS: string;
  warmupMs: number;
  totalMs: number[];
  witnessMs: number[];
  proveMs: number[];
  matches: number;
  verified: number;
}

function parseArgs(argv: string[]): { proofs: number; fresh: boolean } {
  const args = { proofs: 5, fresh: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--proofs' && argv[i + 1]) args.proofs = Number(argv[++i]);
    else if (argv[i] === '--fresh') args.fresh = true;
    else throw new Error(`unknown argument ${argv[i]}; usage: node dist/bench/shipped-models.js [--proofs N] [--fresh]`);
  }
  if (!Number.isInteger(args.proofs) || args.proofs < 1) throw new Error('--proofs needs a positive integer');
  return args;
}

/** The calibration samples, one input document each (a model's held-out-like inputs, not its input.json alone). */
function sampleDocs(modelDir: string, n: number): unknown[] {
  const cal = JSON.parse(fs.readFileSync(path.join(modelDir, 'calibration.json'), 'utf8')) as { input_data: unknown[] };
  const docs = cal.input_data.map((row) => ({ input_data: [row] }));
  return Array.from({ length: n }, (_, i) => docs[i % docs.length]);
}

async function measure(model: string, proofs: number, fresh: boolean): Promise<Result> {
  const dir = path.join(ROOT, 'models', model);
  const buildDir = path.join(ROOT, 'build', `bench-shipped-${model}`);
  const { compile } = await compileOrReuse(path.join(dir, 'model.onnx'), path.join(dir, 'calibration.json'), buildDir, fresh);
  const { power, setup, setupReused } = await setupOrReuse(buildDir, fresh);
  const report = readJson<{ constraints: number }>(artifactPath(buildDir, 'report'));
  const prover = new Prover({ threads: 1 });
  const receipts: Receipt[] = [];
  const r: Result = {
    model,
    constraints: report.constraints,
    power,
    compileS: compile ? seconds(compile.totalMs) : 'reused',
    setupS: setupReused ? 'reused' : seconds(setup.totalMs),
    warmupMs: 0,
    totalMs: [],
    witnessMs: [],
    proveMs: [],
    matches: 0,
    verified: 0,
  };
  try {
    const docs = sampleDocs(dir, proofs + 1);
    const t = Date.now();
    await prover.prove(buildDir, docs[0]);
    r.warmupMs = Date.now() - t;
    for (const doc of docs.slice(1)) {
      const receipt = await prover.prove(buildDir, doc);
      receipts.push(receipt);
      r.totalMs.push(receipt.timings.totalMs);
      r.witnessMs.push(receipt.timings.witnessMs);
      r.proveMs.push(receipt.timings.proveMs);
      if (receipt.reference.integerReferenceMatches) r.matches++;
      console.log(`${model}: proof ${receipts.length}/${proofs} ${receipt.timings.totalMs} ms (witness ${receipt.timings.witnessMs}, Groth16 ${receipt.timings.proveMs})`);
    }
  } finally {
    await prover.close();
  }
  const vk = readJson<object>(artifactPath(buildDir, 'vk'));
  r.verified = await withSnarkjsCurve(async () => {
    let ok = 0;
    for (const receipt of receipts) if ((await verifyOffchain(receipt, vk)).valid) ok++;
    return ok;
  });
  return r;
}

function row(r: Result): string {
  const median = (xs: number[]): number => percentile(xs, 0.5);
  const n = r.totalMs.length;
  return `| ${r.model} | ${r.constraints.toLocaleString('en-US')} | 2^${r.power} | ${r.compileS} | ${r.setupS} | **${median(r.totalMs)} ms** (p95 ${percentile(r.totalMs, 0.95)}) | ${median(r.witnessMs)} / ${median(r.proveMs)} ms | ${r.matches}/${n}, ${r.verified}/${n} |`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const m = machine();
  const results: Result[] = [];
  for (const model of MODELS) results.push(await measure(model, args.proofs, args.fresh));
  const text = [
    '# Benchmark: the shipped models beyond MNIST',
    '',
    'Generated by `node dist/bench/shipped-models.js` (`bench/shipped-models.ts`); rerun it to refresh this file.',
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB RAM, Node ${m.node}`,
    `- Load average (1 / 5 / 15 min): ${m.load} at the start, ${loadAverage()} at the end (other jobs shared the cores: times are wall-clock under that load)`,
    `- Each model at default settings with its calibration.json; a warm single-worker Prover (multi-threaded curve): one warm-up proof, then ${args.proofs} proofs of the calibration samples, each receipt checked against the integer reference and verified off-chain. Compile and setup: "reused" when the build folder already held them.`,
    '',
    '| model | constraints | domain | compile s | setup s (dev ptau) | warm proof, median | witness / Groth16, median | reference matches, verified |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...results.map(row),
    '',
  ].join('\n');
  writeBenchDoc(DOC, text);
  console.log(text);
  if (results.some((r) => r.matches !== r.totalMs.length || r.verified !== r.totalMs.length)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
