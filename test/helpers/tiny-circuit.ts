/**
 * Test fixture: a hand-written circom circuit compiled with circom2 into a temp build folder laid
 * out as the compile step leaves it (artifact names + manifest.json).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { artifactPath, Manifest, sha256Bytes, sha256File, writeJson } from '../../src/formats/artifacts';
import { Groth16Proof } from '../../src/formats/receipt';
import { withSnarkjsCurve } from '../../src/snark/curve';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

/** c = a·a·b + b with b public: 2 constraints, public signals [c, b]. */
export const TINY_CIRCOM = `pragma circom 2.1.0;
template Tiny() {
  signal input a;
  signal input b;
  signal output c;
  signal ab;
  ab <== a * b;
  c <== ab * a + b;
}
component main {public [b]} = Tiny();
`;

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `zkml-${prefix}-`));
}

/** Compiles `source` into a fresh build folder and returns its path. */
export function compileTinyCircuit(source = TINY_CIRCOM): string {
  const dir = makeTempDir('build');
  // circom2 runs under WASI and only sees its working directory, so compile inside the folder.
  fs.writeFileSync(path.join(dir, 'main.circom'), source);
  execFileSync(process.execPath, [require.resolve('circom2/cli.js'), 'main.circom', '--r1cs', '--wasm', '--sym', '-o', '.'], {
    cwd: dir,
    stdio: 'pipe',
  });
  fs.renameSync(path.join(dir, 'main.r1cs'), artifactPath(dir, 'r1cs'));
  fs.renameSync(path.join(dir, 'main.sym'), artifactPath(dir, 'sym'));
  fs.renameSync(path.join(dir, 'main_js', 'main.wasm'), artifactPath(dir, 'wasm'));
  fs.rmSync(path.join(dir, 'main_js'), { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'circuit'), { recursive: true });
  fs.renameSync(path.join(dir, 'main.circom'), artifactPath(dir, 'circuitSource'));
  writeJson(artifactPath(dir, 'compiled'), { test: 'tiny circuit' });

  const manifest: Manifest = {
    format: 'zkml-manifest/1',
    onnxSha256: sha256Bytes('no onnx: hand-written test circuit'),
    settingsSha256: sha256Bytes('{}'),
    circuitSourceSha256: sha256File(artifactPath(dir, 'circuitSource')),
    r1csSha256: sha256File(artifactPath(dir, 'r1cs')),
    wasmSha256: sha256File(artifactPath(dir, 'wasm')),
  };
  writeJson(artifactPath(dir, 'manifest'), manifest);
  return dir;
}

export interface ProofAndSignals {
  proof: Groth16Proof;
  publicSignals: string[];
}

/** A real proof for the tiny circuit (needs runSetup to have run on dir). */
export async function proveTiny(dir: string, input: { a: number | string; b: number | string } = { a: 3, b: 5 }): Promise<ProofAndSignals> {
  return withSnarkjsCurve(async () => {
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, artifactPath(dir, 'wasm'), artifactPath(dir, 'zkey'));
    return { proof, publicSignals };
  });
}

/** A deep copy, so tests can tamper with it freely. */
export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
