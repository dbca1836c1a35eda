/**
 * Runs one model of the shared corpus of real ONNX files (other zkML projects' examples) through the
 * whole pipeline: compile → setup → prove → off-chain verify → soundness audit. Used by the corpus
 * tests and by the corpus table (bench/corpus-table.ts), so both judge a model the same way.
 *
 * Outcomes: 'proved' (with the error against onnxruntime and the static tolerance), 'refused' (compile
 * said no with a ZkmlError: the clear rejection we promise for what we do not support) and 'failed'
 * (anything else: a setup, prove or verify failure is a bug and is reported, never hidden).
 *
 * At depth 'witness' (the quick test tier) setup, prove and verify are replaced by the checks the
 * prover makes before it proves: the honest witness satisfies the r1cs, its public signals are the
 * integer reference's, and its error against onnxruntime; the audit runs as at full depth. Outcome
 * 'witnessed' instead of 'proved'. Groth16 proves any witness that satisfies the r1cs, so what this
 * leaves out is the key and proof machinery, which the pipeline tests cover on their own models.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactPath, readJson } from '../../src/formats/artifacts';
import { compileModel } from '../../src/compiler/compile';
import { ZkmlError } from '../../src/errors';
import type { ElemType, Graph, ValueInfo } from '../../src/formats/graph';
import { sizeOf } from '../../src/formats/graph';
import { loadOnnx } from '../../src/onnx/load';
import { parseOnnx } from '../../src/onnx/parse';
import { Prover } from '../../src/prover/prover';
import type { CompileSettings } from '../../src/formats/settings';
import { auditBuild } from '../../src/audit/audit';
import { runSetup } from '../../src/setup/groth16-setup';
import { verifyOffchain } from '../../src/verifier/offchain';
import { packageRoot } from '../../src/package-root';
import { computeWitness, loadR1cs, verifyWitness } from '../../src/compiler/r1cs-check';
import { readCompiled } from '../../src/formats/compiled-model';
import { decodePublicSignals } from '../../src/formats/public-signals';
import { compareOutputs } from '../../src/formats/receipt';
import { evaluateBatch, modelCommitments, randomSalt, readBatch } from '../../src/commit/commitments';
import { commitmentLayout } from '../../src/commit/layout';
import { circuitInput } from '../../src/quantize/codec';
import { createOrtSession, OrtOutput, runOrt } from '../../src/onnx/runtime';

export type CorpusStatus = 'proved' | 'witnessed' | 'refused' | 'failed';

/** 'prove' (default): set up, prove and verify; 'witness': check the honest witness instead (see above). */
export type CorpusDepth = 'prove' | 'witness';

export interface CorpusResult {
  /** `<source>/<name>`, as in INDEX.md. */
  model: string;
  tier: number;
  /** Op histogram as INDEX.md writes it ("Gemm Relu", "Addx2 MatMul"). */
  ops: string;
  status: CorpusStatus;
  code?: string;
  reason?: string;
  /** Where a failure happened: load, compile, setup, prove or verify. */
  stage?: string;
  /** Number of graph inputs (0 for a model that only computes constants). */
  inputs?: number;
  /** Where the proved input came from. */
  inputSource?: 'input.json' | 'random';
  /** Set when the default 8 input bits could not hold the input's range (e.g. raw tabular features) and the run raised them. */
  inputBits?: number;
  /** Set when a random input was redrawn in [0, 1] because the model is undefined for negative inputs (a Sqrt of its input, say). */
  nonNegativeInput?: true;
  /** Set when the random calibration samples took the model outside its domain and it was calibrated on input.json alone. */
  calibratedOnInput?: true;
  constraints?: number;
  /** The compile report's count, predicted before circom ran (equal to constraints when the report is right). */
  predictedConstraints?: number;
  publicSignals?: number;
  ptauPower?: number;
  compileMs?: number;
  setupMs?: number;
  proveMs?: number;
  maxAbsError?: number;
  tolerance?: number;
  /** max |onnxruntime output|: scales the float32 slack allowed on top of the tolerance. */
  maxAbsOutput?: number;
  integerReferenceMatches?: boolean;
  /** Depth 'witness': whether the honest witness satisfies the r1cs. */
  witnessSatisfies?: boolean;
  verified?: boolean;
  /** Soundness audit on the proved input: mutations tried, and how many the constraints accepted (0 when sound). */
  auditMutations?: number;
  auditForgeries?: number;
}

/** The input bits a run falls back to when the default 8 cannot hold an input's range. */
export const WIDE_INPUT_BITS = 20;

export interface CorpusRunOptions {
  /** A long-lived prover to reuse; without one a prover is made and closed for this model. */
  prover?: Prover;
  /** Dev ptau cache (ZKML_CACHE_DIR, else ~/.cache/zkml, when absent). */
  cacheDir?: string;
  settings?: Partial<CompileSettings>;
  /** Seed of the random input and calibration samples (default 1). */
  seed?: number;
  /** Random calibration samples added to the input (default 15). */
  calibrationSamples?: number;
  /** Whether a compile refused because the inputs leave the model's domain is retried inside it (default true). */
  retryInDomain?: boolean;
  depth?: CorpusDepth;
  onProgress?: (stage: string) => void;
}

interface CorpusMeta {
  model?: string;
  tier?: number;
  ops?: Record<string, number>;
}

type InputDoc = { input_data: number[][] };

/** The corpus folder: ZKML_CORPUS_DIR, else ../shared/corpus beside the repository (as CI lays it out). */
export function corpusDir(): string {
  return process.env.ZKML_CORPUS_DIR ? path.resolve(process.env.ZKML_CORPUS_DIR) : path.resolve(packageRoot(), '../shared/corpus');
}

export interface CorpusIndexRow {
  model: string;
  tier: number;
  ops: string;
  /** false when onnxruntime refuses the file: the right answer is then a clear rejection. */
  loadsInOnnxruntime: boolean;
}

/** The model table of INDEX.md. */
export function readCorpusIndex(dir: string = corpusDir()): CorpusIndexRow[] {
  const lines = fs.readFileSync(path.join(dir, 'INDEX.md'), 'utf8').split('\n');
  const header = lines.findIndex((l) => l.startsWith('| model |'));
  if (header < 0) throw new Error(`${dir}/INDEX.md has no model table`);
  const cols = cells(lines[header]);
  const at = (name: string): number => {
    const i = cols.indexOf(name);
    if (i < 0) throw new Error(`INDEX.md has no '${name}' column`);
    return i;
  };
  const [iModel, iTier, iOps, iLoads] = [at('model'), at('tier'), at('ops'), at('loads in onnxruntime')];
  const rows: CorpusIndexRow[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const c = cells(line);
    rows.push({ model: c[iModel], tier: Number(c[iTier]), ops: c[iOps], loadsInOnnxruntime: c[iLoads] === 'yes' });
  }
  return rows;
}

function cells(line: string): string[] {
  return line
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
}

/** Slack for onnxruntime computing in float32 while the bound is exact arithmetic. */
export function floatSlack(maxAbsOutput: number): number {
  return 1e-6 * (1 + maxAbsOutput);
}

/** A proved result whose error against onnxruntime is within the static bound (plus float32 slack). */
export function withinTolerance(r: CorpusResult): boolean {
  return r.maxAbsError !== undefined && r.tolerance !== undefined && r.maxAbsError <= r.tolerance + floatSlack(r.maxAbsOutput ?? 0);
}

/** mulberry32: deterministic samples, so a table row or a test failure reproduces exactly. */
function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform in [-1, 1] in the input's own kind: 0/1 for bool and unsigned, -1/0/1 for signed integers. */
function randomValue(elemType: ElemType, next: () => number): number {
  switch (elemType) {
    case 'bool':
    case 'uint8':
      return next() < 0.5 ? 0 : 1;
    case 'int8':
    case 'int32':
    case 'int64':
      return Math.floor(next() * 3) - 1;
    default:
      return 2 * next() - 1;
  }
}

function randomSample(inputs: ValueInfo[], next: () => number): number[][] {
  return inputs.map((info) => Array.from({ length: sizeOf(info.shape) }, () => randomValue(info.elemType, next)));
}

function flattenValues(value: unknown, out: number[]): number[] {
  if (Array.isArray(value)) for (const v of value) flattenValues(v, out);
  else out.push(typeof value === 'boolean' ? (value ? 1 : 0) : (value as number));
  return out;
}

/**
 * The corpus's input.json fitted to the circuit, which binds a symbolic batch dimension to 1: the
 * first sample's arrays (some files hold several samples) and, of a batched array, its first row.
 * With a dimension bound by the `dims` setting (a sequence length, say), its first values.
 */
function fitInputFile(doc: unknown, inputs: ValueInfo[], dimsBound = false): InputDoc {
  const arrays = (doc as { input_data?: unknown[] }).input_data;
  if (!Array.isArray(arrays)) throw new ZkmlError('INPUT_INVALID', 'input.json has no "input_data" array');
  return {
    input_data: inputs.map((info, i) => {
      const values = flattenValues(arrays[i] ?? [], []);
      const size = sizeOf(info.shape);
      return values.length > size && (dimsBound || values.length % size === 0) ? values.slice(0, size) : values;
    }),
  };
}

/** The length of the symbolic leading dimension implied by input.json's first array, when it is more than 1. */
function inputLeadingDim(onnxPath: string, inputFile: string): number | undefined {
  const inputs = parseOnnx(fs.readFileSync(onnxPath)).inputs;
  const arrays = (JSON.parse(fs.readFileSync(inputFile, 'utf8')) as { input_data?: unknown[] }).input_data;
  if (inputs.length !== 1 || !Array.isArray(arrays) || typeof inputs[0].dims[0] === 'number') return undefined;
  const rest = inputs[0].dims.slice(1);
  if (!rest.every((d): d is number => typeof d === 'number')) return undefined;
  const k = flattenValues(arrays[0], []).length / rest.reduce((a, b) => a * b, 1);
  return Number.isInteger(k) && k > 1 ? k : undefined;
}

function modelName(modelDir: string, meta: CorpusMeta): string {
  return meta.model ?? `${path.basename(path.dirname(modelDir))}/${path.basename(modelDir)}`;
}

function opsText(ops: Record<string, number> | undefined): string {
  if (!ops) return '';
  return Object.entries(ops)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => (n > 1 ? `${op}x${n}` : op))
    .join(' ');
}

function explain(err: unknown): { code?: string; reason: string } {
  if (err instanceof ZkmlError) return { code: err.code, reason: err.message };
  return { reason: (err instanceof Error ? err.message : String(err)).split('\n')[0] };
}

/** Compiles, sets up, proves and verifies one corpus model in workDir/<source>__<name>. */
export async function runCorpusModel(modelDir: string, workDir: string, opts: CorpusRunOptions = {}): Promise<CorpusResult> {
  const metaFile = path.join(modelDir, 'meta.json');
  const meta: CorpusMeta = fs.existsSync(metaFile) ? JSON.parse(fs.readFileSync(metaFile, 'utf8')) : {};
  const base = { model: modelName(modelDir, meta), tier: meta.tier ?? 0, ops: opsText(meta.ops) };
  const progress = opts.onProgress ?? (() => undefined);
  const onnxPath = path.join(modelDir, 'network.onnx');
  const buildDir = path.join(workDir, base.model.replace(/[\\/]/g, '__'));

  // load and compile: a ZkmlError here is the compiler's answer for this model (a refusal).
  let stage = 'load';
  let graph: Graph;
  let inputDoc: InputDoc;
  let inputSource: CorpusResult['inputSource'];
  let calibration: InputDoc;
  let nonNegativeInput: true | undefined;
  let calibratedOnInput: true | undefined;
  let compiled: Awaited<ReturnType<typeof compileModel>>;
  let settings = opts.settings;
  try {
    progress(stage);
    const inputFile = path.join(modelDir, 'input.json');
    const dims = settings?.dims;
    try {
      graph = loadOnnx(fs.readFileSync(onnxPath), undefined, dims ? { leading: settings?.leadingDim ?? 1, named: dims } : 1);
    } catch (err) {
      // A symbolic leading dimension that is a time axis (the model convolves along it) does not fit
      // at 1: bind it to the length input.json gives it.
      const leadingDim = err instanceof ZkmlError && err.code === 'SHAPE_MISMATCH' && fs.existsSync(inputFile) ? inputLeadingDim(onnxPath, inputFile) : undefined;
      if (leadingDim === undefined) throw err;
      settings = { ...settings, leadingDim };
      graph = loadOnnx(fs.readFileSync(onnxPath), undefined, dims ? { leading: leadingDim, named: dims } : leadingDim);
    }
    const next = seededRandom(opts.seed ?? 1);
    inputSource = fs.existsSync(inputFile) ? 'input.json' : 'random';
    inputDoc = inputSource === 'input.json' ? fitInputFile(JSON.parse(fs.readFileSync(inputFile, 'utf8')), graph.inputs, dims !== undefined) : { input_data: randomSample(graph.inputs, next) };
    // The input itself is one calibration sample, so its range is always covered.
    const extra = graph.inputs.length === 0 ? 0 : (opts.calibrationSamples ?? 15);
    // An input that input.json gives only nonnegative values (e.g. the operand of a Sqrt) is
    // calibrated in [0, 1], not [-1, 1]: the samples then follow the model's own input's sign.
    const nonNegative = inputDoc.input_data.map((values) => inputSource === 'input.json' && values.every((v) => v >= 0));
    const sample = () => randomSample(graph.inputs, next).map((values, k) => (nonNegative[k] ? values.map(Math.abs) : values));
    calibration = { input_data: [...inputDoc.input_data, ...Array.from({ length: extra }, sample).flat()] };

    stage = 'compile';
    progress(stage);
    try {
      compiled = await compileModel(onnxPath, buildDir, { settings, calibration });
    } catch (err) {
      const outsideDomain = opts.retryInDomain !== false && err instanceof ZkmlError && err.code === 'FUNCTION_UNBOUNDED' && /undefined (for x < 0|outside)/.test(err.message);
      if (outsideDomain && inputSource === 'random') {
        // A random input drawn where the model is undefined (onnxruntime gives NaN there): redraw it
        // and the calibration in [0, 1], the model's domain, as the corpus's own reference run did.
        nonNegativeInput = true;
        inputDoc = { input_data: inputDoc.input_data.map((values) => values.map(Math.abs)) };
        calibration = { input_data: calibration.input_data.map((values) => values.map(Math.abs)) };
        compiled = await compileModel(onnxPath, buildDir, { settings, calibration });
      } else if (outsideDomain && inputSource === 'input.json' && extra > 0) {
        // The random samples took the model where it is undefined; its own input is the sample to trust.
        calibratedOnInput = true;
        calibration = { input_data: inputDoc.input_data };
        compiled = await compileModel(onnxPath, buildDir, { settings, calibration });
      } else {
        // Raw tabular features (a tree ensemble's, say) span more than 8 bits with fractions that matter.
        if (!(err instanceof ZkmlError && err.code === 'SETTINGS_INVALID' && /raise inputBits/.test(err.message)) || settings?.inputBits !== undefined) throw err;
        settings = { ...settings, inputBits: WIDE_INPUT_BITS };
        compiled = await compileModel(onnxPath, buildDir, { settings, calibration });
      }
    }
  } catch (err) {
    const d = explain(err);
    return { ...base, status: err instanceof ZkmlError ? 'refused' : 'failed', stage, ...d };
  }

  const result: CorpusResult = {
    ...base,
    status: 'failed',
    inputs: graph.inputs.length,
    inputSource,
    ...(settings?.inputBits === WIDE_INPUT_BITS ? { inputBits: WIDE_INPUT_BITS } : {}),
    ...(nonNegativeInput ? { nonNegativeInput } : {}),
    ...(calibratedOnInput ? { calibratedOnInput } : {}),
    constraints: compiled.constraints,
    predictedConstraints: compiled.report.predictedConstraints,
    publicSignals: compiled.publicSignals,
    compileMs: compiled.timings.totalMs,
  };
  if (opts.depth === 'witness') {
    try {
      stage = 'witness';
      progress(stage);
      Object.assign(result, await checkWitness(buildDir, inputDoc));
      if (!result.witnessSatisfies) return { ...result, stage, code: 'WITNESS_FAILED', reason: 'the honest witness does not satisfy the r1cs' };
      if (!result.integerReferenceMatches) return { ...result, stage, code: 'PROVE_FAILED', reason: 'the public signals differ from the integer reference' };
      stage = 'audit';
      progress(stage);
      const audited = await audit(result, buildDir, inputDoc);
      return audited.code ? { ...audited, stage } : { ...audited, status: 'witnessed' };
    } catch (err) {
      return { ...result, stage, ...explain(err) };
    }
  }

  const prover = opts.prover ?? new Prover();
  try {
    stage = 'setup';
    progress(stage);
    const setup = await runSetup(buildDir, { cacheDir: opts.cacheDir });
    result.ptauPower = setup.power;
    result.setupMs = setup.timings.totalMs;

    stage = 'prove';
    progress(stage);
    const receipt = await prover.prove(buildDir, inputDoc);
    result.proveMs = receipt.timings.proveMs + receipt.timings.witnessMs;
    result.maxAbsError = receipt.reference.maxAbsError;
    result.tolerance = receipt.reference.tolerance;
    result.maxAbsOutput = maxAbs(receipt.reference.outputs);
    result.integerReferenceMatches = receipt.reference.integerReferenceMatches;

    stage = 'verify';
    progress(stage);
    const verdict = await verifyOffchain(receipt, readJson<object>(artifactPath(buildDir, 'vk')));
    result.verified = verdict.valid;
    if (!verdict.valid) return { ...result, stage, code: verdict.code, reason: verdict.reason };

    stage = 'audit';
    progress(stage);
    const audited = await audit(result, buildDir, inputDoc);
    return audited.code ? { ...audited, stage } : { ...audited, status: 'proved' };
  } catch (err) {
    return { ...result, stage, ...explain(err) };
  } finally {
    if (!opts.prover) await prover.close();
  }
}

/** The soundness audit on the proved input: its counts in the result, and UNDER_CONSTRAINED naming the first forgeries. */
async function audit(result: CorpusResult, buildDir: string, inputDoc: InputDoc): Promise<CorpusResult> {
  const report = await auditBuild(buildDir, inputDoc, { perClass: 100 });
  const audited = { ...result, auditMutations: report.classes.reduce((s, c) => s + c.tried, 0), auditForgeries: report.forgeries };
  if (report.forgeries === 0) return audited;
  const reason = report.classes
    .flatMap((c) => c.accepted)
    .slice(0, 3)
    .join('; ');
  return { ...audited, code: 'UNDER_CONSTRAINED', reason };
}

const maxAbs = (outputs: ReadonlyArray<{ values: number[] }>): number => Math.max(0, ...outputs.flatMap((o) => o.values.map(Math.abs)));

/**
 * What the prover checks before it proves, on the build's honest witness of inputDoc: the witness
 * satisfies the r1cs, its public signals (outputs, then public inputs, after wire 0) decode to the
 * integer reference's outputs and to the commitments of the salts used, and the dequantized outputs'
 * error against onnxruntime.
 */
async function checkWitness(buildDir: string, inputDoc: InputDoc): Promise<Partial<CorpusResult>> {
  const { model, graphInputs, weights } = readCompiled(buildDir);
  const layout = commitmentLayout(model);
  const samples = readBatch(inputDoc, model, graphInputs);
  const values = evaluateBatch(model, samples);
  const salts = { input: layout.inputs ? randomSalt() : undefined, output: layout.outputs ? randomSalt() : undefined, weights: weights ? BigInt(weights.salt) : undefined };
  const witness = await computeWitness(circuitInput(model, values.inputs, salts), artifactPath(buildDir, 'wasm'));
  const r1cs = loadR1cs(artifactPath(buildDir, 'r1cs'));
  const publicSignals = witness.slice(1, 1 + r1cs.nOutputs + r1cs.nPubInputs).map(String);
  const decoded = decodePublicSignals(model, publicSignals);
  const expected = await modelCommitments(model, values, salts);
  const outputs = decoded.filter((d) => d.kind === 'output');
  const sameIntegers = (got: bigint[], want: bigint[]) => got.length === want.length && got.every((v, i) => v === want[i]);
  const integerReferenceMatches =
    outputs.length === (layout.outputs ? 0 : model.outputs.length) &&
    outputs.every((d, j) => sameIntegers(d.integers, values.outputs[j])) &&
    decoded.every((d) => d.kind !== 'inputCommitment' || d.integers[0] === expected.input) &&
    decoded.every((d) => d.kind !== 'outputCommitment' || d.integers[0] === expected.output) &&
    decoded.every((d) => d.kind !== 'weightsCommitment' || d.integers[0] === expected.weights);

  const session = await createOrtSession(fs.readFileSync(artifactPath(buildDir, 'onnx')));
  try {
    const runs: OrtOutput[][] = [];
    for (const sample of samples) runs.push(await runOrt(session, graphInputs, sample));
    const ort = runs[0].map((o, j) => ({ name: o.name, shape: o.shape, values: runs.flatMap((r) => r[j].values) }));
    const circuit = model.outputs.map((o, j) => ({ name: o.name, shape: o.shape, values: values.outputs[j].map((v) => Number(v) / 2 ** o.scaleBits) }));
    return {
      witnessSatisfies: verifyWitness(r1cs, witness).ok,
      integerReferenceMatches,
      maxAbsError: compareOutputs(circuit, ort).maxAbsError,
      tolerance: Math.max(0, ...model.outputs.map((o) => o.errorBound)),
      maxAbsOutput: maxAbs(ort),
    };
  } finally {
    await session.release();
  }
}
