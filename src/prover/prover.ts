/**
 * The prove stage: quantize the input, prove in a Piscina worker while onnxruntime runs the float
 * model alongside, check the circuit's outputs against the integer reference, assemble the receipt.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import Piscina from 'piscina';
import { artifactPath, Manifest, readManifest } from '../artifacts';
import { CompiledModel, readCompiled } from '../compiler/compile';
import { asZkmlError, ZkmlError } from '../errors';
import { checkBuildIntegrity, HashCache } from '../integrity';
import { createOrtSession, OrtOutput, OrtSession, runOrt } from '../onnx/runtime';
import { circuitInput, decodePublicSignals, publicLayout, quantizeSample } from '../quantize/codec';
import { readInput } from '../quantize/input-file';
import { runReference } from '../quantize/reference';
import { assertProductionReady, ZkmlMode, zkmlMode } from '../setup/production';
import type { ProveTask, ProveTaskResult } from './prove-task';
import type { Groth16Proof, Receipt, TensorValues } from './receipt';
import * as fs from 'node:fs';

export interface ProverOptions {
  /** Worker threads (default 1: snarkjs then uses both cores inside it). */
  threads?: number;
  /** Let snarkjs start its own threads inside each worker (default: only when there is one worker). */
  snarkjsThreads?: boolean;
  /** 'production' refuses dev/unpinned ptau and keys not from a finished ceremony (default: ZKML_MODE). */
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
  private readonly singleThread: boolean;
  private readonly models = new Map<string, { stamp: string; model: Promise<LoadedModel> }>();
  /** Models stopped by an integrity failure, until their manifest changes (a new compile or setup). */
  private readonly stopped = new Map<string, { stamp: string; error: ZkmlError }>();
  private readonly hashes = new HashCache();
  readonly mode: ZkmlMode;

  constructor(options: ProverOptions = {}) {
    this.mode = options.mode ?? zkmlMode();
    const threads = Math.max(1, options.threads ?? 1);
    this.singleThread = !(options.snarkjsThreads ?? threads === 1);
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
    if (stop && stop.stamp === stamp) throw stop.error;
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
      return { compiled, manifest, session, cacheKey: `${manifest.wasmSha256}:${manifest.zkeySha256}` };
    })();
    this.models.set(buildDir, { stamp, model });
    model.catch(() => this.models.delete(buildDir));
    return model;
  }

  /** A hash mismatch stops the model: it refuses every proof until its manifest changes. */
  private stop(buildDir: string, stamp: string, err: unknown): ZkmlError {
    const cause = asZkmlError(err);
    if (cause.code !== 'ARTIFACT_HASH_MISMATCH') return cause; // e.g. no setup yet: nothing was tampered with
    const error = new ZkmlError(cause.code, `model stopped: ${cause.message}`, { ...cause.details, buildDir });
    this.models.delete(buildDir);
    this.stopped.set(buildDir, { stamp, error });
    return error;
  }

  async prove(buildDir: string, inputDoc: unknown): Promise<Receipt> {
    const t0 = Date.now();
    const m = await this.load(buildDir);
    const { model } = m.compiled;
    const sample = readInput(inputDoc, m.compiled.graphInputs);
    const quantized = quantizeSample(model, sample);
    const task: ProveTask = {
      wasmPath: artifactPath(buildDir, 'wasm'),
      zkeyPath: artifactPath(buildDir, 'zkey'),
      cacheKey: m.cacheKey,
      wasmSha256: m.manifest.wasmSha256,
      zkeySha256: m.manifest.zkeySha256!,
      input: circuitInput(model, quantized),
      singleThread: this.singleThread,
    };
    const tOrt = Date.now();
    const ortRun = runOrt(m.session, m.compiled.graphInputs, sample).then((outputs) => ({ outputs, ms: Date.now() - tOrt }));
    let result: ProveTaskResult;
    try {
      result = await this.pool.run(task);
    } catch (err) {
      const msg = String((err as Error).message ?? err);
      if (msg.startsWith('ARTIFACT_HASH_MISMATCH')) throw this.stop(buildDir, this.models.get(buildDir)?.stamp ?? '', new ZkmlError('ARTIFACT_HASH_MISMATCH', msg.replace(/^ARTIFACT_HASH_MISMATCH: /, '')));
      throw new ZkmlError(/assert|witness|constraint/i.test(msg) ? 'WITNESS_FAILED' : 'PROVE_FAILED', msg.split('\n')[0]);
    }
    const ort = await ortRun.catch((err) => {
      throw asZkmlError(err, 'ONNXRUNTIME_REFUSED');
    });

    const decoded = decodePublicSignals(model, result.publicSignals);
    const reference = runReference(model, quantized);
    const matches = model.outputs.every((o, j) => decoded[j].integers.every((v, i) => v === reference[o.tensor][i]));
    if (!matches) {
      throw new ZkmlError('PROVE_FAILED', 'the circuit output differs from the integer reference: refusing to issue a receipt');
    }
    const outputs: TensorValues[] = decoded.filter((d) => d.kind === 'output').map((d) => ({ name: d.name, shape: d.shape, values: d.values }));
    return {
      format: 'zkml-receipt/1',
      model: {
        onnxSha256: m.manifest.onnxSha256,
        r1csSha256: m.manifest.r1csSha256,
        zkeySha256: m.manifest.zkeySha256!,
        vkSha256: m.manifest.vkSha256!,
        publicLayout: publicLayout(model).map(({ kind, name, shape, scaleBits }) => ({ kind, name, shape, scaleBits })),
      },
      proof: result.proof as Groth16Proof,
      publicSignals: result.publicSignals,
      outputs,
      publicInputs: decoded.filter((d) => d.kind === 'input').map((d) => ({ name: d.name, shape: d.shape, values: d.values })),
      reference: {
        engine: 'onnxruntime-node',
        outputs: ort.outputs,
        ...compareOutputs(outputs, ort.outputs),
        integerReferenceMatches: matches,
        tolerance: Math.max(0, ...model.outputs.map((o) => o.errorBound)),
      },
      setup: receiptSetup(m.manifest),
      timings: { witnessMs: result.witnessMs, proveMs: result.proveMs, onnxruntimeMs: ort.ms, totalMs: Date.now() - t0 },
      createdAt: new Date().toISOString(),
    };
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** What a verifier should know about how the key was made, straight from the checked manifest. */
function receiptSetup(manifest: Manifest): Receipt['setup'] {
  const ptau = manifest.ptau;
  return {
    devSingleContributor: ptau?.devSingleContributor ?? true,
    ptauPower: ptau?.power ?? 0,
    ptauPinned: ptau?.pinned === true,
    ...(ptau?.pinnedFile ? { ptauFile: ptau.pinnedFile } : {}),
    ...(ptau?.blake2b512 ? { ptauBlake2b512: ptau.blake2b512 } : {}),
    phase2: manifest.phase2?.kind ?? 'local',
    phase2Contributions: manifest.phase2?.contributions ?? 0,
    ...(manifest.phase2?.transcriptSha256 ? { transcriptSha256: manifest.phase2.transcriptSha256 } : {}),
  };
}

function argmax(values: number[]): number {
  let best = 0;
  values.forEach((v, i) => {
    if (v > values[best]) best = i;
  });
  return best;
}

/** Max abs error over all outputs, and argmax agreement for a single vector output. */
export function compareOutputs(circuit: TensorValues[], ort: OrtOutput[]): { maxAbsError: number; argmaxAgrees: boolean | null } {
  let maxAbsError = 0;
  for (const c of circuit) {
    const r = ort.find((o) => o.name === c.name);
    if (!r) continue;
    c.values.forEach((v, i) => (maxAbsError = Math.max(maxAbsError, Math.abs(v - r.values[i]))));
  }
  const single = circuit.length === 1 && circuit[0].values.length > 1 ? ort.find((o) => o.name === circuit[0].name) : undefined;
  return { maxAbsError, argmaxAgrees: single ? argmax(circuit[0].values) === argmax(single.values) : null };
}

export const defaultProverThreads = (): number => Math.max(1, Math.min(2, os.availableParallelism?.() ?? 1) - 1);
