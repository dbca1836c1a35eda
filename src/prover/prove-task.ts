/**
 * The Piscina task: witness generation and a Groth16 proof for one input. Each worker thread keeps
 * every circuit's wasm and zkey in memory after first use, and snarkjs keeps its curve, so a warm
 * proof pays neither the file reads nor the curve build again.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
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
  if (actual !== sha256) throw new Error(`ARTIFACT_HASH_MISMATCH: ${path.basename(file)} has sha256 ${actual.slice(0, 16)}…, the manifest says ${sha256.slice(0, 16)}…`);
  return bytes;
}

export default async function prove(task: ProveTask): Promise<ProveTaskResult> {
  const circuit = await load(task);
  const t0 = Date.now();
  const wtns = await circuit.witness.calculateWTNSBin(task.input, 0);
  const t1 = Date.now();
  const { proof, publicSignals } = await snarkjs.groth16.prove({ type: 'mem', data: circuit.zkey }, { type: 'mem', data: wtns }, undefined, {
    singleThread: task.singleThread,
  });
  return { proof, publicSignals, witnessMs: t1 - t0, proveMs: Date.now() - t1 };
}
