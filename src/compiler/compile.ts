/**
 * The compile stage: ONNX file → graph IR → quantized model → circom source → r1cs/wasm/sym,
 * with compiled.json, the per-layer report and the manifest in the build folder.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactPath, diskError, diskFullOr, Manifest, sha256Bytes, sha256File, writeFileAtomic, writeJson } from '../formats/artifacts';
import { ZkmlError } from '../errors';
import { sizeOf, type Graph } from '../formats/graph';
import { loadOnnx } from '../onnx/load';
import { createOrtSession } from '../onnx/runtime';
import { readSamples, InputSample } from '../formats/input-document';
import { assumedRangeWarnings, CalibrationRanges, quantizeWithRanges } from '../quantize/quantize';
import { calibrateRanges } from '../quantize/float-executor';
import { searchPrecision } from '../quantize/precision-search';
import { attributeError } from '../quantize/error-attribution';
import type { QuantizedModel } from '../formats/quantized-model';
import { writeJsonWithBigints } from '../formats/bigint-json';
import type { CompiledModel } from '../formats/compiled-model';
import { CompileSettings, parseSettings } from '../formats/settings';
import { compileCircom, copyTemplateLibrary } from './circom2';
import { readR1csHeader } from '../snark/r1cs-header';
import { mainIncludes } from './emit-main';
import { emitCircuitLines } from './emit';
import { calibrationAccuracy, FloatOutputs, pickOutputs } from './layer-errors';
import { addCalibration, buildReport, CircuitBackend, CompileReport, formatReport, provingCost } from './report';
import { compileDirect } from './direct/backend';
import type { Elimination } from './direct/system';
import { directUnsupported } from './direct/model';
import { readR1csStats } from './r1cs-stats';
import { randomSalt, weightsCommitment } from '../commit/commitments';
import { COMMITMENT_SCHEME } from '../commit/scheme';
import { withHeartbeat } from '../formats/progress';

export interface CompileOptions {
  settings?: Partial<CompileSettings>;
  /** A calibration JSON document (already parsed) or a path to one. */
  calibration?: unknown;
  onProgress?: (phase: string, fraction: number) => void;
  /** Told what the compile assumed (also in report.warnings): the CLI prints it on stderr. */
  onWarning?: (message: string) => void;
  /** With private weights: the salt of their commitment (random unless given, to reproduce one). */
  weightsSalt?: bigint;
  /** How long circom may run; default circomTimeoutMs(predicted constraints). */
  circomTimeoutMs?: number;
  /** Stops circom (a child process) when aborted. */
  signal?: AbortSignal;
  /**
   * Who writes the r1cs: 'direct' (default; src/compiler/direct, no circom, no circuit wasm) falls
   * back to circom, saying why in the report, for a layer kind or option it does not cover.
   */
  backend?: CircuitBackend;
  /**
   * The direct backend's elimination rule (src/compiler/direct/system.ts): 'short' (default) or
   * 'circom', which reproduces circom --O2's r1cs (what the parity tests compare).
   */
  directElimination?: Elimination;
}

/**
 * circom's time limit: 15 minutes, or 30 ms per predicted constraint when that is more. circom's
 * time grows with the circuit (ezkl/variable_cnn's 44k constraints: 4.6 min on a quiet 2-core
 * machine, over 15 min under load); a fixed limit would refuse large models on a busy machine.
 */
export function circomTimeoutMs(predictedConstraints: number): number {
  return Math.max(15 * 60 * 1000, 30 * predictedConstraints);
}

export interface CompileResult {
  buildDir: string;
  constraints: number;
  publicSignals: number;
  report: CompileReport;
  manifest: Manifest;
  /** quantizeMs covers ingest, quantization and calibration (as before); the phases are in report.compile. */
  timings: { quantizeMs: number; circomMs: number; totalMs: number };
}

/** Node's global WebAssembly (the ES2022 lib this project compiles against does not declare it). */
const wasmApi = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => unknown } }).WebAssembly;

function readCalibration(calibration: unknown, graph: Graph): InputSample[] {
  if (calibration === undefined) return [];
  let doc = calibration;
  if (typeof calibration === 'string') {
    if (!fs.existsSync(calibration)) throw new ZkmlError('CALIBRATION_INVALID', `no calibration file at ${calibration}`);
    try {
      doc = JSON.parse(fs.readFileSync(calibration, 'utf8'));
    } catch (err) {
      throw new ZkmlError('CALIBRATION_INVALID', `${calibration} is not valid JSON`, undefined, { cause: err });
    }
  }
  return readSamples(doc, graph.inputs, 'CALIBRATION_INVALID');
}

export async function compileModel(onnxPath: string, buildDir: string, options: CompileOptions = {}): Promise<CompileResult> {
  const t0 = Date.now();
  const progress = options.onProgress ?? (() => {});
  let settings = parseSettings(options.settings ?? {});
  if (!fs.existsSync(onnxPath)) throw new ZkmlError('ONNX_MALFORMED', `no file at ${onnxPath}`);
  const bytes = fs.readFileSync(onnxPath);
  progress('ingest', 0);
  const graph = loadOnnx(bytes, undefined, { leading: settings.leadingDim, named: settings.dims });
  // A model onnxruntime refuses is invalid ONNX: refuse it before spending time on it. This session
  // cannot serve the calibration pass: that one runs a model with more outputs (the layers'), known
  // only once quantization has chosen the layers, and a session's outputs are fixed at creation.
  await (await createOrtSession(bytes)).release();
  const ingestMs = Date.now() - t0;
  const samples = readCalibration(options.calibration, graph);
  progress('quantize', 0.05);
  // The float outputs of the calibration run that picks the scales, kept for the accuracy figures
  // rather than run again; only when no larger than the samples themselves (a classifier's are).
  const floats: FloatOutputs[] = [];
  const keepFloats = graph.outputs.reduce((a, o) => a + sizeOf(o.shape), 0) <= graph.inputs.reduce((a, i) => a + sizeOf(i.shape), 0);
  const ranges: CalibrationRanges = samples.length > 0 ? calibrateRanges(graph, samples, keepFloats ? (values, s) => (floats[s] = pickOutputs(graph, values)) : undefined) : new Map();
  const chosen = settings.maxError !== undefined ? searchPrecision(graph, settings, ranges, settings.maxError, (m) => buildReport(m).predictedConstraints) : undefined;
  if (chosen) settings = chosen.settings;
  const model = chosen?.model ?? quantizeWithRanges(graph, settings, ranges);
  // Built once: the predicted count decides whether to go on; the calibration figures join it after.
  const report = buildReport(model);
  if (chosen) {
    const errorShares = attributeError(graph, settings, ranges, model);
    report.precision = {
      maxError: chosen.settings.maxError!,
      activationBits: settings.activationBits,
      weightBits: settings.weightBits,
      inputBits: settings.inputBits,
      target: settings.target,
      errorBound: chosen.errorBound,
      trials: chosen.trials,
      ...(errorShares ? { errorShares } : {}),
    };
  }
  const warnings = assumedRangeWarnings(model, settings, samples.length > 0);
  if (warnings.length > 0) report.warnings = warnings;
  for (const w of warnings) options.onWarning?.(w);
  const predicted = report.predictedConstraints;
  if (predicted > settings.maxConstraints) {
    throw new ZkmlError('MODEL_TOO_LARGE', `the circuit would have ${predicted} constraints, more than the limit of ${settings.maxConstraints}`, {
      count: predicted,
      limit: settings.maxConstraints,
      unit: 'constraints',
    });
  }
  const tq = Date.now();
  if (samples.length > 0) addCalibration(report, model, await calibrationAccuracy(bytes, graph, model, samples, floats));
  const quantizeMs = Date.now() - t0;
  const calibrationMs = Date.now() - tq;

  progress('emit', 0.15);
  fs.mkdirSync(buildDir, { recursive: true });
  // The manifest goes first and comes back last: a build that fails halfway (disk full, killed) is
  // never mistaken for a finished one, and a new circuit invalidates any earlier setup.
  for (const stale of ['manifest', 'zkey', 'vk', 'verifierSol', 'verifierArtifact', 'setup', 'transcript', 'ceremonyDir'] as const) {
    fs.rmSync(artifactPath(buildDir, stale), { force: true, recursive: true });
  }
  const circuitDir = artifactPath(buildDir, 'circuitDir');
  fs.rmSync(circuitDir, { recursive: true, force: true });
  fs.mkdirSync(circuitDir, { recursive: true });
  const te = Date.now();
  let sourceSha256: string;
  try {
    copyTemplateLibrary(circuitDir, mainIncludes(model).length > 0);
    sourceSha256 = writePieces(artifactPath(buildDir, 'circuitSource'), (write) => {
      let first = true;
      const push = (...lines: string[]) => {
        for (const line of lines) {
          write(first ? line : `\n${line}`);
          first = false;
        }
      };
      emitCircuitLines(model, path.basename(onnxPath), {}, { push });
    });
  } catch (err) {
    throw diskError(err, circuitDir);
  }

  const emitMs = Date.now() - te;
  let fallback = (options.backend ?? 'direct') === 'direct' ? directUnsupported(model) : undefined;
  let circomMs = 0;
  let directMs: number | undefined;
  let circomPeak: number | undefined;
  if (options.backend !== 'circom' && !fallback) {
    progress('r1cs', 0.2);
    const td = Date.now();
    compileDirect(model, { r1cs: artifactPath(buildDir, 'r1cs'), sym: artifactPath(buildDir, 'sym') }, undefined, options.directElimination);
    fs.rmSync(artifactPath(buildDir, 'wasm'), { force: true });
    directMs = Date.now() - td;
    // The direct r1cs must be circom's: where its count differs from the prediction (circom's rule),
    // circom decides (a safety net: no known model reaches it; the report says so).
    const direct = readR1csHeader(artifactPath(buildDir, 'r1cs'), 'CIRCOM_FAILED').nConstraints;
    if (direct !== predicted) fallback = `the direct r1cs has ${direct} constraints where circom's rule predicts ${predicted}`;
  }
  const backend: CircuitBackend = options.backend === 'circom' || fallback ? 'circom' : 'direct';
  report.backend = backend;
  if (fallback) report.backendFallback = fallback;
  if (backend === 'circom') {
    progress('circom', 0.2);
    const tc = Date.now();
    const timeoutMs = options.circomTimeoutMs ?? circomTimeoutMs(predicted);
    const out = await withHeartbeat(progress, 'circom', 0.2, () => compileCircom({ workDir: circuitDir, mainFile: 'main.circom', timeoutMs, signal: options.signal })).catch((err) => {
      throw diskFullOr(err, buildDir);
    });
    circomMs = Date.now() - tc;
    circomPeak = out.peakMemoryBytes;
    fs.renameSync(out.r1csPath, artifactPath(buildDir, 'r1cs'));
    fs.renameSync(out.wasmPath, artifactPath(buildDir, 'wasm'));
    fs.renameSync(out.symPath, artifactPath(buildDir, 'sym'));
    fs.rmSync(path.join(circuitDir, 'build'), { recursive: true, force: true });
    try {
      // V8 caps a wasm function's size; find out now rather than at the first proof.
      new wasmApi.Module(fs.readFileSync(artifactPath(buildDir, 'wasm')));
    } catch (err) {
      throw new ZkmlError('MODEL_TOO_LARGE', `the witness generator cannot be loaded: ${String((err as Error).message).split('\n')[0]}`, undefined, { cause: err });
    }
  }
  const info = readR1csHeader(artifactPath(buildDir, 'r1cs'), 'CIRCOM_FAILED');
  report.constraints = info.nConstraints;
  report.publicSignals = info.nOutputs + info.nPubInputs;
  report.r1cs = readR1csStats(artifactPath(buildDir, 'r1cs'));
  report.provingCost = provingCost(report.r1cs, report.publicSignals);

  progress('write', 0.95);
  const settingsJson = JSON.stringify(settings);
  const onnxSha256 = sha256Bytes(bytes);
  const weights = await commitWeights(model, options.weightsSalt);
  if (weights) report.weightsCommitment = weights.commitment;
  const compiled: CompiledModel = {
    format: 'zkml-compiled/1',
    onnxSha256,
    settingsSha256: sha256Bytes(settingsJson),
    graphInputs: graph.inputs,
    graphOutputs: graph.outputs,
    model,
    ...(weights ? { weights } : {}),
  };
  writeFileAtomic(artifactPath(buildDir, 'onnx'), bytes);
  writePieces(artifactPath(buildDir, 'compiled'), (write) => writeJsonWithBigints(compiled, write));
  const totalMs = Date.now() - t0;
  report.compile = {
    ingestMs,
    quantizeMs: quantizeMs - ingestMs - calibrationMs,
    calibrationMs,
    emitMs,
    circomMs,
    otherMs: totalMs - quantizeMs - emitMs - circomMs - (directMs ?? 0),
    totalMs,
    circomShare: totalMs > 0 ? circomMs / totalMs : 0,
    ...(circomPeak !== undefined ? { circomPeakMemoryBytes: circomPeak } : {}),
    ...(directMs !== undefined ? { directMs } : {}),
    peakMemoryBytes: process.resourceUsage().maxRSS * 1024,
  };
  writeJson(artifactPath(buildDir, 'report'), report);
  writeFileAtomic(artifactPath(buildDir, 'reportText'), formatReport(report));
  const manifest: Manifest = {
    format: 'zkml-manifest/1',
    onnxSha256,
    settingsSha256: compiled.settingsSha256,
    circuitSourceSha256: sourceSha256,
    r1csSha256: sha256File(artifactPath(buildDir, 'r1cs')),
    ...(backend === 'direct' ? { backend: 'direct' as const, compiledSha256: sha256File(artifactPath(buildDir, 'compiled')) } : { wasmSha256: sha256File(artifactPath(buildDir, 'wasm')) }),
    ...(weights ? { weightsCommitment: weights.commitment } : {}),
  };
  writeJson(artifactPath(buildDir, 'manifest'), manifest);
  progress('done', 1);
  return {
    buildDir,
    constraints: info.nConstraints,
    publicSignals: report.publicSignals,
    report,
    manifest,
    timings: { quantizeMs, circomMs, totalMs },
  };
}

/**
 * Writes a file from pieces of text, buffered, under a temporary name renamed when complete, and
 * returns its sha256: a corpus transformer's circuit source and compiled.json are more than one JS
 * string can hold.
 */
function writePieces(file: string, produce: (write: (piece: string) => void) => void): string {
  const hash = crypto.createHash('sha256');
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    let pending: string[] = [];
    let size = 0;
    const flush = () => {
      const text = pending.join('');
      hash.update(text);
      fs.writeSync(fd, text);
      pending = [];
      size = 0;
    };
    produce((piece) => {
      pending.push(piece);
      size += piece.length;
      if (size > 1 << 24) flush();
    });
    flush();
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw diskError(err, file);
  }
  return hash.digest('hex');
}

/** With private weights: a salt (given or random) and the commitment the circuit will output. */
async function commitWeights(model: QuantizedModel, given?: bigint): Promise<CompiledModel['weights']> {
  if (!model.params) return undefined;
  const salt = given ?? randomSalt();
  return { scheme: COMMITMENT_SCHEME, salt: salt.toString(), commitment: (await weightsCommitment(model, salt)).toString() };
}
