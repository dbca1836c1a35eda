/**
 * The typed face of snarkjs 0.7.6: the calls this project makes, with the types they take and
 * return. Every stage goes through it, so a snarkjs upgrade is checked here, once.
 */
import type { Groth16Proof } from '../formats/receipt';

/** snarkjs's logger: progress at debug/info, failures only through error (and a false/-1 return). */
export interface SnarkjsLog {
  debug(msg: unknown): void;
  info(msg: unknown): void;
  warn(msg: unknown): void;
  error(msg: unknown): void;
}

/** A file name, or snarkjs's in-memory file `{ type: 'mem', data }`. */
export type SnarkjsFile = string | { type: 'mem'; data?: Uint8Array };

/** An ffjavascript curve (bn128), with its worker threads; terminate() ends them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SnarkjsCurve = any;

export interface Snarkjs {
  curves: { getCurveFromName(name: string, options?: { singleThread?: boolean }): Promise<SnarkjsCurve> };
  groth16: {
    prove(zkey: SnarkjsFile, witness: SnarkjsFile, log?: SnarkjsLog, options?: { singleThread?: boolean }): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    verify(vk: object, publicSignals: string[], proof: object, log?: SnarkjsLog): Promise<boolean>;
  };
  zKey: {
    /** The circuit hash, or -1 on failure (reported through log.error). */
    newZKey(r1cs: SnarkjsFile, ptau: SnarkjsFile, zkey: SnarkjsFile, log?: SnarkjsLog): Promise<Uint8Array | number>;
    contribute(zkeyIn: SnarkjsFile, zkeyOut: SnarkjsFile, name: string, entropy: string, log?: SnarkjsLog): Promise<Uint8Array | number>;
    beacon(zkeyIn: SnarkjsFile, zkeyOut: SnarkjsFile, name: string, beaconHash: string, numIterationsExp: number, log?: SnarkjsLog): Promise<Uint8Array | number>;
    exportVerificationKey(zkey: SnarkjsFile, log?: SnarkjsLog): Promise<object>;
    exportSolidityVerifier(zkey: SnarkjsFile, templates: { groth16: string }, log?: SnarkjsLog): Promise<string>;
    verifyFromInit(initFile: SnarkjsFile, ptau: SnarkjsFile, zkey: SnarkjsFile, log?: SnarkjsLog): Promise<boolean>;
    verifyFromR1cs(r1cs: SnarkjsFile, ptau: SnarkjsFile, zkey: SnarkjsFile, log?: SnarkjsLog): Promise<boolean>;
  };
  powersOfTau: {
    newAccumulator(curve: SnarkjsCurve, power: number, ptau: SnarkjsFile, log?: SnarkjsLog): Promise<unknown>;
    contribute(ptauIn: SnarkjsFile, ptauOut: SnarkjsFile, name: string, entropy: string, log?: SnarkjsLog): Promise<unknown>;
    preparePhase2(ptauIn: SnarkjsFile, ptauOut: SnarkjsFile, log?: SnarkjsLog): Promise<unknown>;
  };
  wtns: { calculate(input: object, wasm: SnarkjsFile, wtns: SnarkjsFile): Promise<void> };
}

let loaded: Snarkjs | undefined;

/**
 * snarkjs, required at its first use: loading it (and ffjavascript) costs about 0.2 s of CPU, which
 * a command that never touches a proof (`zkml --help`, `zkml abi`) should not pay.
 */
export const snarkjs: Snarkjs = new Proxy({} as Snarkjs, {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  get: (_target, key) => Reflect.get((loaded ??= require('snarkjs') as Snarkjs), key),
});
