/**
 * The prove stage: quantize the input, prove in a Piscina worker while onnxruntime runs the float
 * model alongside, check the circuit's outputs against the integer reference, assemble the receipt.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import Piscina from 'piscina';
import { artifactPath, Manifest, readManifest } from '../formats/artifacts';
import { CompiledModel, readCompiled } from '../formats/compiled-model';
import { asZkmlError, unwrapTask, ZkmlError } from '../errors';
import { checkBuildIntegrity, HashCache } from './integrity';
import { createOrtSession, OrtOutput, OrtSession, runOrt } from '../onnx/runtime';
import { batchedInputs, evaluateBatch, modelCommitments, randomSalt, readBatch, Salts } from '../commit/commitments';
import { commitmentLayout } from '../commit/layout';
import { circuitInput } from '../quantize/codec';
import { decodePublicSignals, publicLayout } from '../formats/public-signals';
import { assertProductionReady, ZkmlMode } from '../setup/production';
import type { ProveTask, ProveTaskResult } from './prove-task';
import { compareOutputs, setupClaims } from '../formats/receipt';
import type { Groth16Proof, Receipt, TensorValues } from '../formats/receipt';
import * as fs from 'node:fs';

export interface ProverOptions {
  /** Worker threads, each proving one input at a time (default 1). */
  threads?: number;
  /**
   * WebAssembly threads of each worker's curve, where the ABC evaluation, FFTs and MSMs run (1: the
   * worker computes alone). Default: the cores shared out among the workers, at least 1 each, so the
   * process never runs more compute threads than cores; with the default single worker that is one
   * pool of availableParallelism() threads for the whole process.
   */
  curveThreads?: number;
  /** 'production' refuses dev/unpinned ptau and keys not from a finished ceremony (default 'development'; the CLI and the service pass ZKML_MODE). */
  mode?: ZkmlMode;
}

interface LoadedModel {
  compiled: CompiledModel;
  manifest: Manifest;
  session: OrtSession;
  cacheKey: string;
}

export class Prover {
  private readonly pool: Piscina;
  private readonly curveThreads: number;
  private readonly models = new Map<string, { stamp: string; model: Promise<LoadedModel> }>();
  /** Models stopped by an integrity failure, until their manifest changes (a new compile or setup). */
  private readonly stopped = new Map<string, { stamp: string; error: ZkmlError }>();
  private readonly hashes = new HashCache();
  readonly mode: ZkmlMode;

  constructor(options: ProverOptions = {}) {
    this.mode = options.mode ?? 'development';
    const threads = Math.max(1, options.threads ?? 1);
    const cores = os.availableParallelism?.() ?? os.cpus().length;
    this.curveThreads = Math.max(1, Math.floor(options.curveThreads ?? cores / threads));
    this.pool = new Piscina({
      filename: path.resolve(__dirname, 'prove-task.js'),
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
    });
  }

  /**
   * Loads a build folder once (reloads when its manifest changes) after checking every artifact hash
   * and, in production mode, the trust of its setup. A service calls this at startup for each model.
   */
  async open(buildDir: string): Promise<void> {
    await this.load(buildDir);
  }

  private async load(buildDir: string): Promise<LoadedModel> {
    const manifestFile = artifactPath(buildDir, 'manifest');
    const stat = fs.existsSync(manifestFile) ? fs.statSync(manifestFile) : undefined;
    if (!stat) throw new ZkmlError('ARTIFACT_MISSING', `no ${path.basename(manifestFile)} in ${buildDir}: run zkml compile first`);
    const stamp = `${stat.mtimeMs}:${stat.ctimeMs}:${stat.size}`;
    const stop = this.stopped.get(buildDir);
    // A stopped build stays stopped until its files check out again (repaired in place) or its manifest changes.
    if (stop && stop.stamp === stamp && !this.checksOut(buildDir)) throw stop.error;
    this.stopped.delete(buildDir);
    const cached = this.models.get(buildDir);
    const model = cached && cached.stamp === stamp ? cached.model : this.startLoad(buildDir, stamp);
    const loaded = await model;
    // Before each use, not only at load: a key swapped on disk must never reach a proof.
    try {
      checkBuildIntegrity(buildDir, loaded.manifest, this.hashes);
    } catch (err) {
      throw this.stop(buildDir, stamp, err);
    }
    return loaded;
  }

  private startLoad(buildDir: string, stamp: string): Promise<LoadedModel> {
    const model = (async () => {
      const manifest = readManifest(buildDir);
      try {
        checkBuildIntegrity(buildDir, manifest, this.hashes);
      } catch (err) {
        throw this.stop(buildDir, stamp, err);
      }
      if (this.mode === 'production') assertProductionReady(buildDir, manifest);
      const compiled = readCompiled(buildDir);
      const session = await createOrtSession(fs.readFileSync(artifactPath(buildDir, 'onnx')));
      return { compiled, manifest, session, cacheKey: `${manifest.wasmSha256 ?? `${manifest.compiledSha256}:${manifest.r1csSha256}`}:${manifest.zkeySha256}` };
    })();
    this.models.set(buildDir, { stamp, model });
    model.catch(() => this.models.delete(buildDir));
    return model;
  }

  private checksOut(buildDir: string): boolean {
    try {
      checkBuildIntegrity(buildDir, readManifest(buildDir), this.hashes);
      return true;
    } catch {
      return false;
    }
  }

  /** A hash mismatch stops the model: it refuses every proof until its files check out again or its manifest changes. */
  private stop(buildDir: string, stamp: string, err: unknown): ZkmlError {
    const cause = asZkmlError(err);
    if (cause.code !== 'ARTIFACT_HASH_MISMATCH') return cause; // e.g. no setup yet: nothing was tampered with
    const error = new ZkmlError(cause.code, `model stopped: ${cause.message}`, { ...cause.details, buildDir }, { cause });
    this.models.delete(buildDir);
    this.stopped.set(buildDir, { stamp, error });
    return error;
  }

  /**
   * Proves one input (or one batch of batchSize inputs). When the circuit hashes its input or
   * output, the salts are drawn at random unless given (give them to reproduce a commitment made
   * earlier with `zkml commit`).
   */
  async prove(buildDir: string, inputDoc: unknown, salts: Salts = {}): Promise<Receipt> {
    const t0 = Date.now();
    const m = await this.load(buildDir);
    const { model } = m.compiled;
    const layout = commitmentLayout(model);
    const samples = readBatch(inputDoc, model, m.compiled.graphInputs);
    const values = evaluateBatch(model, samples);
    const used: Salts = {
      input: layout.inputs ? (salts.input ?? randomSalt()) : undefined,
      output: layout.outputs ? (salts.output ?? randomSalt()) : undefined,
      weights: privateWeightsSalt(m.compiled, m.manifest),
    };
    const task: ProveTask = {
      witness:
        m.manifest.backend === 'direct'
          ? {
              kind: 'direct',
              compiledPath: artifactPath(buildDir, 'compiled'),
              compiledSha256: m.manifest.compiledSha256!,
              r1csPath: artifactPath(buildDir, 'r1cs'),
              r1csSha256: m.manifest.r1csSha256,
            }
          : { kind: 'wasm', wasmPath: artifactPath(buildDir, 'wasm'), wasmSha256: m.manifest.wasmSha256! },
      zkeyPath: artifactPath(buildDir, 'zkey'),
      cacheKey: m.cacheKey,
      zkeySha256: m.manifest.zkeySha256!,
      input: circuitInput(model, values.inputs, used),
      curveThreads: this.curveThreads,
    };
    const tOrt = Date.now();
    const ortRun = (async () => {
      const runs: OrtOutput[][] = [];
      for (const sample of samples) runs.push(await runOrt(m.session, m.compiled.graphInputs, sample));
      return { outputs: concatBatch(runs, samples.length), ms: Date.now() - tOrt };
    })();
    let result: ProveTaskResult;
    try {
      result = unwrapTask<ProveTaskResult>(await this.pool.run(task));
    } catch (err) {
      ortRun.catch(() => undefined);
      // A ZkmlError from the worker arrives as it was thrown there; a dead worker's rejection is PROVE_FAILED.
      const e = asZkmlError(err, 'PROVE_FAILED');
      // The worker checks the bytes it reads too: a key swapped after our check stops the model.
      throw e.code === 'ARTIFACT_HASH_MISMATCH' ? this.stop(buildDir, this.models.get(buildDir)?.stamp ?? '', e) : e;
    }
    const ort = await ortRun.catch((err) => {
      throw asZkmlError(err, 'ONNXRUNTIME_REFUSED');
    });

    // The public signals must be exactly what the integer reference and the commitment scheme say.
    const decoded = decodePublicSignals(model, result.publicSignals);
    const expected = await modelCommitments(model, values, used);
    const publicOutputs = decoded.filter((d) => d.kind === 'output');
    const matches =
      publicOutputs.every((d, j) => d.integers.every((v, i) => v === values.outputs[j][i])) &&
      decoded.every((d) => d.kind !== 'inputCommitment' || d.integers[0] === expected.input) &&
      decoded.every((d) => d.kind !== 'outputCommitment' || d.integers[0] === expected.output) &&
      decoded.every((d) => d.kind !== 'weightsCommitment' || d.integers[0].toString() === m.manifest.weightsCommitment);
    if (!matches) {
      throw new ZkmlError('PROVE_FAILED', 'the circuit output differs from the integer reference: refusing to issue a receipt');
    }
    const k = samples.length;
    const batchShape = (shape: number[]): number[] => (k === 1 ? shape : [k, ...shape]);
    const outputs: TensorValues[] = model.outputs.map((o, j) => ({ name: o.name, shape: batchShape(o.shape), values: values.outputs[j].map((v) => Number(v) / 2 ** o.scaleBits) }));
    const inputs = batchedInputs(model, values);
    const receipt: Receipt = {
      format: 'zkml-receipt/1',
      model: {
        onnxSha256: m.manifest.onnxSha256,
        r1csSha256: m.manifest.r1csSha256,
        zkeySha256: m.manifest.zkeySha256!,
        vkSha256: m.manifest.vkSha256!,
        publicLayout: publicLayout(model).map(({ kind, name, shape, scaleBits }) => ({ kind, name, shape, scaleBits })),
        ...(k > 1 ? { batchSize: k } : {}),
      },
      proof: result.proof as Groth16Proof,
      publicSignals: result.publicSignals,
      outputs,
      publicInputs: decoded.filter((d) => d.kind === 'input').map((d) => ({ name: d.name, shape: d.shape, values: d.values })),
      reference: {
        engine: 'onnxruntime-node',
        outputs: ort.outputs,
        ...compareOutputs(outputs, ort.outputs),
        // argmax over a whole batch means nothing
        ...(k > 1 ? { argmaxAgrees: null } : {}),
        integerReferenceMatches: matches,
        tolerance: Math.max(0, ...model.outputs.map((o) => o.errorBound)),
      },
      setup: setupClaims(m.manifest),
      timings: { witnessMs: result.witnessMs, proveMs: result.proveMs, proveSteps: result.proveSteps, onnxruntimeMs: ort.ms, totalMs: Date.now() - t0 },
      createdAt: new Date().toISOString(),
    };
    if (layout.inputs || layout.outputs || layout.weights) {
      receipt.commitments = {
        ...(expected.input !== undefined ? { input: expected.input.toString() } : {}),
        ...(expected.output !== undefined ? { output: expected.output.toString() } : {}),
        ...(expected.weights !== undefined ? { weights: expected.weights.toString() } : {}),
      };
    }
    // The weights' opening (their values and salt) is the model owner's and never leaves compiled.json.
    if (layout.inputs || layout.outputs) {
      receipt.openings = {
        ...(layout.inputs ? { inputSalt: used.input!.toString(), inputs: model.inputs.map((i, t) => ({ name: i.name, shape: batchShape(i.shape), integers: inputs[t].map(String) })) } : {}),
        ...(layout.outputs
          ? { outputSalt: used.output!.toString(), outputs: model.outputs.map((o, j) => ({ name: o.name, shape: batchShape(o.shape), integers: values.outputs[j].map(String) })) }
          : {}),
      };
    }
    return receipt;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/**
 * What loading a build checks, without loading it (a process that does not prove, such as the API in
 * scale-out): every artifact's hash against the manifest and, in production mode, the setup's trust.
 */
export function checkProvable(buildDir: string, mode: ZkmlMode, hashes: HashCache = new HashCache()): void {
  const manifest = readManifest(buildDir);
  checkBuildIntegrity(buildDir, manifest, hashes);
  if (mode === 'production') assertProductionReady(buildDir, manifest);
}

/**
 * The salt of a build's private weights, checked against the manifest's published commitment: a
 * compiled.json edited after compile (other weights, another salt) must not yield receipts.
 */
function privateWeightsSalt(compiled: CompiledModel, manifest: Manifest): bigint | undefined {
  if (!compiled.model.params) return undefined;
  if (!compiled.weights || compiled.weights.commitment !== manifest.weightsCommitment) {
    throw new ZkmlError('ARTIFACT_HASH_MISMATCH', 'compiled.json does not hold the weights committed to in the manifest');
  }
  return BigInt(compiled.weights.salt);
}

/** What a verifier should know about how the key was made, straight from the checked manifest. */
/** One output list per batch item → one list with each output's items one after another, shape [k, ...]. */
function concatBatch(runs: OrtOutput[][], k: number): OrtOutput[] {
  if (k === 1) return runs[0];
  return runs[0].map((o, j) => ({ name: o.name, shape: [k, ...o.shape], values: runs.flatMap((r) => r[j].values) }));
}

export const defaultProverThreads = (): number => Math.max(1, Math.min(2, os.availableParallelism?.() ?? 1) - 1);
