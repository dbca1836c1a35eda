// End-to-end benchmark of the shipped MNIST CNN (circomlib-ml's reference shape, ending in ArgMax;
// default settings: private input, public class output, fixed weights): constraint count, compile and
// setup time, proving time, float and circuit accuracy on the 1,000 held-out test digits, and the
// circuit's witness checked against the integer reference on a sample of them.
//
//   node dist/bench/mnist-cnn.js [--build DIR] [--proofs N] [--witness-sample N] [--fresh]
//
// DIR (default build/bench-mnist-cnn) is reused when its manifest matches the model and the default
// settings; --fresh recompiles and redoes the setup. --proofs (default 3) proofs on test digits
// 1..N after one warm-up; --witness-sample (default 50) test digits whose wasm witness is compared
// with the integer reference. Writes docs/bench-mnist-cnn.md.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactPath, readJson } from '../src/formats/artifacts';
import { CompiledModel, readCompiled } from '../src/formats/compiled-model';
import { computeWitness } from '../src/compiler/r1cs-check';
import { createOrtSession, runOrt } from '../src/onnx/runtime';
import { Prover } from '../src/prover/prover';
import type { Receipt } from '../src/formats/receipt';
import { circuitInput, quantizeSample } from '../src/quantize/codec';
import { toField } from '../src/formats/field';
import { readInput } from '../src/formats/input-document';
import { runReference } from '../src/quantize/reference';
import { SetupTimings } from '../src/setup/groth16-setup';
import { readSetupR1cs } from '../src/setup/groth16-setup';
import { withSnarkjsCurve } from '../src/snark/curve';
import { verifyOffchain } from '../src/verifier/offchain';
import { loadMnistSplit, MnistDigit } from '../models/mnist-mlp/dataset';
import { parseBenchArgs } from './lib/args';
import { compileOrReuse, CompileTimings, setupOrReuse } from './lib/build';
import { loadAverage, machine, markdownTable, missedRows, pct, ROOT, Row, seconds, show, verdict, writeBenchDoc } from './lib/report';

const MODEL_DIR = path.join(ROOT, 'models', 'mnist-cnn');
const ONNX = path.join(MODEL_DIR, 'model.onnx');
const CALIBRATION = path.join(MODEL_DIR, 'calibration.json');
const DOC = path.join(ROOT, 'docs', 'bench-mnist-cnn.md');

const MAX_CONSTRAINTS = 120_000;
/** Circuit accuracy may trail the float model's by at most this many percentage points. */
const MAX_ACCURACY_DROP_PP = 1;
/** circomlib-ml's circuit for the same network (issue 3), for comparison. */
const CIRCOMLIB_ML_CONSTRAINTS = 1_965_828;

interface Args {
  buildDir: string;
  proofs: number;
  witnessSample: number;
  fresh: boolean;
}

function parseArgs(argv: string[]): Args {
  const { buildDir, fresh, numbers } = parseBenchArgs(argv, 'mnist-cnn', { proofs: 3, 'witness-sample': 50 });
  const args: Args = { buildDir, proofs: numbers.proofs, witnessSample: numbers['witness-sample'], fresh };
  if (!Number.isInteger(args.proofs) || args.proofs < 1) throw new Error('--proofs needs an integer ≥ 1');
  if (!Number.isInteger(args.witnessSample) || args.witnessSample < 1 || args.witnessSample > 1000) throw new Error('--witness-sample needs an integer in 1..1000');
  return args;
}

const inputDoc = (d: MnistDigit): unknown => ({ input_data: [d.pixels] });

// ---------------------------------------------------------------------------------------------
// Compile and setup

interface BuildInfo {
  constraints: number;
  predicted: number;
  compile?: CompileTimings;
  compileReused: boolean;
  power: number;
  setup: SetupTimings;
  setupReused: boolean;
}

async function prepareBuild(buildDir: string, fresh: boolean): Promise<BuildInfo> {
  const { compile, compileReused } = await compileOrReuse(ONNX, CALIBRATION, buildDir, fresh);
  const constraints = readSetupR1cs(artifactPath(buildDir, 'r1cs')).nConstraints;
  const predicted = readJson<{ predictedConstraints: number }>(artifactPath(buildDir, 'report')).predictedConstraints;
  console.log(`compile: ${constraints} constraints (predicted ${predicted})${compile ? `, ${seconds(compile.totalMs)} s (circom ${seconds(compile.circomMs)} s)` : ''}`);
  const { power, setup, setupReused } = await setupOrReuse(buildDir, fresh);
  console.log(`setup: ptau power ${power}, ${seconds(setup.totalMs)} s`);
  return { constraints, predicted, compile, compileReused, power, setup, setupReused };
}

// ---------------------------------------------------------------------------------------------
// Proofs

interface ProofInfo {
  n: number;
  totalMs: number[];
  witnessMs: number[];
  proveMs: number[];
  referenceMatches: number;
  verified: number;
  /** Proved class = the digit's label. */
  correct: number;
}

async function measureProofs(buildDir: string, warmup: MnistDigit, digits: MnistDigit[]): Promise<ProofInfo> {
  const prover = new Prover({ threads: 1 });
  const vk = readJson<object>(artifactPath(buildDir, 'vk'));
  const info: ProofInfo = { n: digits.length, totalMs: [], witnessMs: [], proveMs: [], referenceMatches: 0, verified: 0, correct: 0 };
  try {
    const t = Date.now();
    await prover.prove(buildDir, inputDoc(warmup));
    console.log(`prove: warm-up (loads wasm and zkey) ${seconds(Date.now() - t)} s`);
    const receipts: Receipt[] = [];
    for (const d of digits) {
      const r = await prover.prove(buildDir, inputDoc(d));
      receipts.push(r);
      info.totalMs.push(r.timings.totalMs);
      info.witnessMs.push(r.timings.witnessMs);
      info.proveMs.push(r.timings.proveMs);
      if (r.reference.integerReferenceMatches) info.referenceMatches++;
      if (r.reference.outputs[0].values[0] === d.label) info.correct++;
      console.log(`prove: digit ${d.label} → class ${r.reference.outputs[0].values[0]}, ${seconds(r.timings.totalMs)} s (witness ${r.timings.witnessMs} ms, proof ${r.timings.proveMs} ms)`);
    }
    info.verified = await withSnarkjsCurve(async () => {
      let ok = 0;
      for (const r of receipts) if ((await verifyOffchain(r, vk)).valid) ok++;
      return ok;
    });
  } finally {
    await prover.close();
  }
  return info;
}

// ---------------------------------------------------------------------------------------------
// Accuracy on all test digits; the wasm witness on a sample

interface AccuracyInfo {
  n: number;
  floatCorrect: number;
  circuitCorrect: number;
  agree: number;
  witnessChecked: number;
  witnessMatches: number;
  firstMismatch?: number;
  referenceMs: number;
  witnessMs: number;
}

async function measureAccuracy(buildDir: string, compiled: CompiledModel, test: MnistDigit[], witnessSample: number): Promise<AccuracyInfo> {
  const { model } = compiled;
  const out = model.outputs[0];
  const wasm = artifactPath(buildDir, 'wasm');
  const session = await createOrtSession(fs.readFileSync(artifactPath(buildDir, 'onnx')));
  const info: AccuracyInfo = { n: test.length, floatCorrect: 0, circuitCorrect: 0, agree: 0, witnessChecked: 0, witnessMatches: 0, referenceMs: 0, witnessMs: 0 };
  try {
    for (let n = 0; n < test.length; n++) {
      const digit = test[n];
      const sample = readInput(inputDoc(digit), compiled.graphInputs);
      const floatClass = (await runOrt(session, compiled.graphInputs, sample)).find((o) => o.name === out.name)!.values[0];
      let t = performance.now();
      const quantized = quantizeSample(model, sample);
      const ints = runReference(model, quantized)[out.tensor];
      info.referenceMs += performance.now() - t;
      const circuitClass = Number(ints[0]);
      if (floatClass === digit.label) info.floatCorrect++;
      if (circuitClass === digit.label) info.circuitCorrect++;
      if (floatClass === circuitClass) info.agree++;
      if (n < witnessSample) {
        // main's outputs are wires 1..nOutputs.
        t = performance.now();
        const witness = await computeWitness(circuitInput(model, quantized), wasm);
        info.witnessMs += performance.now() - t;
        info.witnessChecked++;
        if (ints.every((v, i) => witness[1 + i].toString() === toField(v))) info.witnessMatches++;
        else info.firstMismatch ??= n;
      }
      if ((n + 1) % 250 === 0) console.log(`accuracy: ${n + 1}/${test.length}`);
    }
  } finally {
    await session.release();
  }
  return info;
}

// ---------------------------------------------------------------------------------------------
// Report

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function buildRows(b: BuildInfo, p: ProofInfo, acc: AccuracyInfo): Row[] {
  const drop = (100 * (acc.floatCorrect - acc.circuitCorrect)) / acc.n;
  const range = (xs: number[]): string => `${seconds(median(xs))} s (min ${seconds(Math.min(...xs))}, max ${seconds(Math.max(...xs))})`;
  return [
    { metric: 'constraints', value: b.constraints.toLocaleString('en-US'), requirement: `≤ ${MAX_CONSTRAINTS.toLocaleString('en-US')}`, met: b.constraints <= MAX_CONSTRAINTS },
    { metric: 'predicted by the report before circom', value: b.predicted.toLocaleString('en-US'), requirement: '= constraints', met: b.predicted === b.constraints },
    {
      metric: "circomlib-ml's circuit for this network",
      value: `${CIRCOMLIB_ML_CONSTRAINTS.toLocaleString('en-US')} non-linear constraints (${(CIRCOMLIB_ML_CONSTRAINTS / b.constraints).toFixed(1)}× ours)`,
      requirement: '—',
    },
    {
      metric: 'compile time',
      value: b.compile
        ? `${seconds(b.compile.totalMs)} s (quantize ${seconds(b.compile.quantizeMs)} s, circom ${seconds(b.compile.circomMs)} s)${b.compileReused ? ', build reused' : ''}`
        : 'build reused, time not recorded',
      requirement: '—',
    },
    { metric: 'setup: ptau power', value: String(b.power), requirement: '—' },
    {
      metric: 'setup time (dev ptau, zkey, 1 contribution, beacon)',
      value: `${seconds(b.setup.totalMs)} s (ptau ${seconds(b.setup.ptauMs)} s, zkey new ${seconds(b.setup.zkeyNewMs)} s)${b.setupReused ? ', zkey reused' : ''}`,
      requirement: '—',
    },
    { metric: `proof total (warm prover, ${p.n} proofs), median`, value: range(p.totalMs), requirement: '—' },
    { metric: 'witness, median', value: `${median(p.witnessMs).toFixed(0)} ms`, requirement: '—' },
    { metric: 'Groth16 proof, median', value: `${median(p.proveMs).toFixed(0)} ms`, requirement: '—' },
    {
      metric: 'proved receipts: integer reference matches / verify off-chain',
      value: `${p.referenceMatches}/${p.n} / ${p.verified}/${p.n}`,
      requirement: 'every one',
      met: p.referenceMatches === p.n && p.verified === p.n,
    },
    { metric: 'float accuracy (onnxruntime)', value: pct(acc.floatCorrect, acc.n), requirement: '—' },
    { metric: 'circuit accuracy (integer reference = circuit)', value: pct(acc.circuitCorrect, acc.n), requirement: `within ${MAX_ACCURACY_DROP_PP} pp of float`, met: drop <= MAX_ACCURACY_DROP_PP },
    { metric: 'class agreement, circuit vs onnxruntime', value: pct(acc.agree, acc.n), requirement: '—' },
    {
      metric: 'wasm witness output = integer reference',
      value: `${acc.witnessMatches}/${acc.witnessChecked} (test[0..${acc.witnessChecked - 1}])${acc.firstMismatch !== undefined ? `, first mismatch test[${acc.firstMismatch}]` : ''}`,
      requirement: 'every one',
      met: acc.witnessMatches === acc.witnessChecked,
    },
    { metric: 'per digit: integer reference / wasm witness', value: `${(acc.referenceMs / acc.n).toFixed(1)} ms / ${(acc.witnessMs / acc.witnessChecked).toFixed(0)} ms`, requirement: '—' },
  ];
}

function writeDoc(rows: Row[], args: Args, loadAtStart: string): void {
  const m = machine();
  const doc = `# Benchmark: mnist-cnn

Generated by \`node dist/bench/mnist-cnn.js\` (\`bench/mnist-cnn.ts\`); rerun it to refresh this file.

- Date: ${new Date().toISOString()}
- Machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB RAM, Node ${m.node}
- Load average (1 / 5 / 15 min): ${loadAtStart} at the start, ${m.load} at the end (other jobs shared the cores: times are wall-clock under that load)
- Model: \`models/mnist-cnn/model.onnx\` (circomlib-ml's reference shape: conv 3×3×4 → BatchNorm → ReLU → avgpool 2 → conv 3×3×8 → BatchNorm → ReLU → avgpool 2 → dense 200→10 → ArgMax, on 28×28×1), calibration \`models/mnist-cnn/calibration.json\`, default settings (private input, public class output, fixed weights); build folder \`${show(args.buildDir)}\`
- Proofs: one warm-up, then ${args.proofs} proof(s) on test digits 1..${args.proofs}, 1 worker, snarkjs multi-threaded.
- Accuracy: all 1,000 held-out test digits (\`loadMnistSplit().test\`); the circuit's class is the integer reference's, which the circuit computes bit for bit (checked through the wasm witness on the first ${args.witnessSample} digits, and by the prover on every proof).

What the class output proves: the ArgMax template (\`circuits/argmax.circom\`) shows the public index points at
a largest quantized logit (the first one on ties, as onnxruntime picks). The logits are the exact integer
model's; where two float logits are closer than the quantization error the class can differ from the
float model's, which the agreement row counts.

${markdownTable(rows)}

${verdict(rows)}
`;
  writeBenchDoc(DOC, doc);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const loadAtStart = loadAverage();
  const build = await prepareBuild(args.buildDir, args.fresh);
  const compiled = readCompiled(args.buildDir);
  const { test } = loadMnistSplit();
  const proofs = await measureProofs(args.buildDir, test[0], test.slice(1, 1 + args.proofs));
  const acc = await measureAccuracy(args.buildDir, compiled, test, args.witnessSample);
  const rows = buildRows(build, proofs, acc);
  console.log('\n' + markdownTable(rows));
  writeDoc(rows, args, loadAtStart);
  console.log(`\nwrote ${show(DOC)}`);
  if (missedRows(rows).length > 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
