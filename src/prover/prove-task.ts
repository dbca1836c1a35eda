/**
 * The Piscina task: witness generation and a Groth16 proof for one input (our prover, ./groth16.ts).
 * Each worker thread keeps every circuit's instantiated witness wasm and its parsed, prepared proving
 * key in memory after first use, and one curve with its thread pool, so a warm proof pays neither
 * the file reads, the zkey parsing nor the curve build again. A failure comes back as the outcome's
 * ErrorEnvelope (src/errors.ts), which the prover turns back into the same ZkmlError.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { settleTask, TaskOutcome, ZkmlError } from '../errors';
import { snarkjs } from '../snark/in-worker';
import { curveWithThreads } from '../snark/curve';
import type { SnarkjsCurve } from '../snark/snarkjs';
import { readWtnsValues } from '../snark/wtns';
import { readZkeySections } from '../snark/zkey-sections';
import type { CompiledModel } from '../formats/compiled-model';
import { reviveModel } from '../formats/bigint-json';
import { directWitness } from '../compiler/direct/backend';
import { readWireLabels, wtnsBytes } from '../compiler/direct/files';
import { Groth16Proof, prepareProvingKey, ProofTimings, ProvingKey, proveGroth16 } from './groth16';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { WitnessCalculatorBuilder } = require('circom_runtime');

/**
 * Where the witness comes from: the circuit wasm of a circom build, or, for a direct build
 * (src/compiler/direct), the layer plan in compiled.json and the r1cs's wire-to-label map.
 */
export type WitnessSource = { kind: 'wasm'; wasmPath: string; wasmSha256: string } | { kind: 'direct'; compiledPath: string; compiledSha256: string; r1csPath: string; r1csSha256: string };

export interface ProveTask {
  witness: WitnessSource;
  zkeyPath: string;
  /** Artifact hashes (checked by the caller), so a rebuilt circuit is never served from the cache. */
  cacheKey: string;
  /** The manifest hash of the zkey (the witness source carries its own): the bytes this worker loads are checked against them. */
  zkeySha256: string;
  /** Canonical field elements, as the witness calculator takes them (bigints survive the thread crossing). */
  input: Record<string, bigint[]>;
  /** WebAssembly threads of this worker's curve (1: it computes in the worker thread itself); read at the first task. */
  curveThreads: number;
}

export interface ProveTaskResult {
  proof: Groth16Proof;
  publicSignals: string[];
  witnessMs: number;
  proveMs: number;
  /** Where proveMs went. */
  proveSteps: ProofTimings;
}

interface WitnessCalculator {
  calculateWTNSBin(input: Record<string, unknown>, sanityCheck: number): Promise<Uint8Array>;
}

interface LoadedCircuit {
  /** The witness values (32-byte LE each) of one input: the instantiated wasm, or the direct backend. */
  witness: (input: Record<string, bigint[]>) => Promise<Uint8Array>;
  key: ProvingKey;
}

/** The witness calculator of a build: compiling a wasm costs more than running it on a small model, so it is kept. */
async function witnessCalculator(source: WitnessSource): Promise<LoadedCircuit['witness']> {
  if (source.kind === 'wasm') {
    const calculator: WitnessCalculator = await WitnessCalculatorBuilder(readChecked(source.wasmPath, source.wasmSha256));
    return async (input) => readWtnsValues(await calculator.calculateWTNSBin(input, 0)).values;
  }
  const compiled = JSON.parse(readChecked(source.compiledPath, source.compiledSha256).toString('utf8')) as CompiledModel;
  const model = reviveModel(compiled.model);
  const labels = readWireLabels(readChecked(source.r1csPath, source.r1csSha256));
  return async (input) => readWtnsValues(wtnsBytes(directWitness(model, input, labels))).values;
}

const circuits = new Map<string, LoadedCircuit>();
let curve: Promise<SnarkjsCurve> | undefined;

async function load(task: ProveTask): Promise<{ circuit: LoadedCircuit; curve: SnarkjsCurve }> {
  let circuit = circuits.get(task.cacheKey);
  if (!circuit) {
    const witness = await witnessCalculator(task.witness);
    const zkey = readZkeySections(readChecked(task.zkeyPath, task.zkeySha256));
    curve ??= curveWithThreads(snarkjs, task.curveThreads).catch((err) => {
      curve = undefined; // a failed build is retried by the next task
      throw err;
    });
    circuit = { witness, key: prepareProvingKey(await curve, zkey) };
    circuits.set(task.cacheKey, circuit);
  }
  return { circuit, curve: await curve! };
}

/** Reads a file and checks the bytes actually read, so nothing can change between check and use. */
function readChecked(file: string, sha256: string): Buffer {
  const bytes = fs.readFileSync(file);
  const actual = crypto.createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256) {
    const artifact = path.basename(file);
    throw new ZkmlError('ARTIFACT_HASH_MISMATCH', `${artifact} has sha256 ${actual.slice(0, 16)}…, the manifest says ${sha256.slice(0, 16)}…`, { artifact, actual, expected: sha256 });
  }
  return bytes;
}

/** A failure of one stage as its code: the stage that failed says what failed, not the message's words. */
async function stage<T>(code: 'WITNESS_FAILED' | 'PROVE_FAILED', work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ZkmlError) throw err;
    throw new ZkmlError(code, String((err as Error)?.message ?? err).split('\n')[0], undefined, { cause: err });
  }
}

async function proveNow(task: ProveTask): Promise<ProveTaskResult> {
  const { circuit, curve } = await load(task);
  const t0 = performance.now();
  const witness = await stage('WITNESS_FAILED', () => circuit.witness(task.input));
  const t1 = performance.now();
  const { proof, publicSignals, timings } = await stage('PROVE_FAILED', () => proveGroth16(curve, circuit.key, witness));
  return { proof, publicSignals, witnessMs: Math.round(t1 - t0), proveMs: Math.round(performance.now() - t1), proveSteps: roundTimings(timings) };
}

function roundTimings(t: ProofTimings): ProofTimings {
  return { abcMs: Math.round(t.abcMs), fftMs: Math.round(t.fftMs), msmMs: Math.round(t.msmMs) };
}

export default function prove(task: ProveTask): Promise<TaskOutcome<ProveTaskResult>> {
  return settleTask(() => proveNow(task), 'PROVE_FAILED');
}
