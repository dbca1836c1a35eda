/**
 * The Piscina task: witness generation and a Groth16 proof for one input. Each worker thread keeps
 * every circuit's wasm and zkey in memory after first use, and snarkjs keeps its curve, so a warm
 * proof pays neither the file reads nor the curve build again.
 */
import * as fs from 'node:fs';
import { snarkjs } from './snarkjs-in-worker';

export interface ProveTask {
  wasmPath: string;
  zkeyPath: string;
  /** Artifact hashes (checked by the caller), so a rebuilt circuit is never served from the cache. */
  cacheKey: string;
  input: Record<string, string[]>;
  singleThread: boolean;
}

export interface ProveTaskResult {
  proof: unknown;
  publicSignals: string[];
  witnessMs: number;
  proveMs: number;
}

interface LoadedCircuit {
  wasm: Uint8Array;
  zkey: Uint8Array;
}

const circuits = new Map<string, LoadedCircuit>();

function load(task: ProveTask): LoadedCircuit {
  let c = circuits.get(task.cacheKey);
  if (!c) {
    c = { wasm: fs.readFileSync(task.wasmPath), zkey: fs.readFileSync(task.zkeyPath) };
    circuits.set(task.cacheKey, c);
  }
  return c;
}

export default async function prove(task: ProveTask): Promise<ProveTaskResult> {
  const circuit = load(task);
  const options = { singleThread: task.singleThread };
  const t0 = Date.now();
  const wtns = { type: 'mem' } as { type: 'mem'; data?: Uint8Array };
  await snarkjs.wtns.calculate(task.input, { type: 'mem', data: circuit.wasm }, wtns, options);
  const t1 = Date.now();
  const { proof, publicSignals } = await snarkjs.groth16.prove({ type: 'mem', data: circuit.zkey }, wtns, undefined, options);
  return { proof, publicSignals, witnessMs: t1 - t0, proveMs: Date.now() - t1 };
}
