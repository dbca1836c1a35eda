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

/**
 * circom's output for `source`, compiled once per test run: the files of one `node --test` run are
 * children of the same runner process, so they share a folder keyed by the runner's pid, the source
 * and the circom2 version (these tests are about the keys and proofs, not about circom).
 */
function circomOutputs(source: string): { r1cs: string; sym: string; wasm: string } {
  const circom2 = fs.readFileSync(require.resolve('circom2/package.json'));
  const key = sha256Bytes(Buffer.concat([circom2, Buffer.from(source)])).slice(0, 16);
  const root = testRunDir();
  const dir = path.join(root, key);
  const files = { r1cs: path.join(dir, 'main.r1cs'), sym: path.join(dir, 'main.sym'), wasm: path.join(dir, 'main.wasm') };
  if (fs.existsSync(files.wasm)) return files;
  // circom2 runs under WASI and only sees its working directory, so compile inside the folder.
  const work = fs.mkdtempSync(path.join(root, 'tmp-'));
  fs.writeFileSync(path.join(work, 'main.circom'), source);
  execFileSync(process.execPath, [require.resolve('circom2/cli.js'), 'main.circom', '--r1cs', '--wasm', '--sym', '-o', '.'], {
    cwd: work,
    stdio: 'pipe',
  });
  fs.renameSync(path.join(work, 'main_js', 'main.wasm'), path.join(work, 'main.wasm'));
  try {
    fs.renameSync(work, dir); // atomic: a concurrent file compiling the same source keeps one of the two
  } catch {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return files;
}

/**
 * A folder shared by the files of one `node --test` run (children of one runner process, keyed by its
 * pid), for what they may reuse: circom's outputs, the dev ptau cache. Those of finished runs are removed.
 */
export function testRunDir(): string {
  const root = path.join(os.tmpdir(), `zkml-test-run-${process.ppid}`);
  if (!fs.existsSync(root)) {
    fs.mkdirSync(root, { recursive: true });
    removeStaleRunDirs();
  }
  return root;
}

/** Removes the run folders of test runs whose runner process has exited. */
function removeStaleRunDirs(): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    const pid = /^zkml-test-(?:circom-)?run-(\d+)$/.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.ppid) continue;
    try {
      process.kill(Number(pid), 0);
    } catch {
      fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
    }
  }
}

/** Compiles `source` into a fresh build folder and returns its path. */
export function compileTinyCircuit(source = TINY_CIRCOM): string {
  const dir = makeTempDir('build');
  const out = circomOutputs(source);
  fs.copyFileSync(out.r1cs, artifactPath(dir, 'r1cs'));
  fs.copyFileSync(out.sym, artifactPath(dir, 'sym'));
  fs.copyFileSync(out.wasm, artifactPath(dir, 'wasm'));
  fs.mkdirSync(path.join(dir, 'circuit'), { recursive: true });
  fs.writeFileSync(artifactPath(dir, 'circuitSource'), source);
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
