/**
 * The Piscina task: witness generation and a Groth16 proof for one input. Each worker thread keeps
 * every circuit's wasm and zkey in memory after first use, and snarkjs keeps its curve, so a warm
 * proof pays neither the file reads nor the curve build again. A failure comes back as the outcome's
 * ErrorEnvelope (src/errors.ts), which the prover turns back into the same ZkmlError.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { settleTask, TaskOutcome, ZkmlError } from '../errors';
import { snarkjs } from '../snark/in-worker';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { WitnessCalculatorBuilder } = require('circom_runtime');

export interface ProveTask {
  wasmPath: string;
  zkeyPath: string;
  /** Artifact hashes (checked by the caller), so a rebuilt circuit is never served from the cache. */
  cacheKey: string;
  /** The manifest hashes: the bytes this worker loads are checked against them, not just the files. */
  wasmSha256: string;
  zkeySha256: string;
  /** Canonical field elements, as the witness calculator takes them (bigints survive the thread crossing). */
  input: Record<string, bigint[]>;
  singleThread: boolean;
}

export interface ProveTaskResult {
  proof: unknown;
  publicSignals: string[];
  witnessMs: number;
  proveMs: number;
}

interface WitnessCalculator {
  calculateWTNSBin(input: Record<string, unknown>, sanityCheck: number): Promise<Uint8Array>;
}

interface LoadedCircuit {
  /** The instantiated witness wasm: compiling it costs more than running it on a small model. */
  witness: WitnessCalculator;
  zkey: Uint8Array;
}

const circuits = new Map<string, LoadedCircuit>();

async function load(task: ProveTask): Promise<LoadedCircuit> {
  let c = circuits.get(task.cacheKey);
  if (!c) {
    const wasm = readChecked(task.wasmPath, task.wasmSha256);
    const witness = await WitnessCalculatorBuilder(wasm);
    c = { witness, zkey: readChecked(task.zkeyPath, task.zkeySha256) };
    circuits.set(task.cacheKey, c);
  }
  return c;
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
  const circuit = await load(task);
  const t0 = Date.now();
  const wtns = await stage('WITNESS_FAILED', () => circuit.witness.calculateWTNSBin(task.input, 0));
  const t1 = Date.now();
  const { proof, publicSignals } = await stage<{ proof: unknown; publicSignals: string[] }>('PROVE_FAILED', () =>
    snarkjs.groth16.prove({ type: 'mem', data: circuit.zkey }, { type: 'mem', data: wtns }, undefined, {
      singleThread: task.singleThread,
    }),
  );
  return { proof, publicSignals, witnessMs: t1 - t0, proveMs: Date.now() - t1 };
}

export default function prove(task: ProveTask): Promise<TaskOutcome<ProveTaskResult>> {
  return settleTask(() => proveNow(task), 'PROVE_FAILED');
}
