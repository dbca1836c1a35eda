/**
 * A benchmark's build folder: compiled and set up once, then reused across runs while it is the same
 * model under the default settings (--fresh redoes both).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactPath, readJson, readManifest, sha256Bytes, sha256File, writeJson } from '../../src/formats/artifacts';
import { compileModel } from '../../src/compiler/compile';
import { parseSettings } from '../../src/formats/settings';
import { runSetup, SetupTimings } from '../../src/setup/groth16-setup';
import { show } from './report';

/** Written into the build folder so a reused build can still report how long its compile took. */
const COMPILE_RECORD = 'bench-compile.json';

export interface CompileTimings {
  totalMs: number;
  quantizeMs: number;
  circomMs: number;
}

/** The build's manifest names this ONNX file and the default settings, and its circuit files are the ones it names. */
export function buildMatches(buildDir: string, onnx: string): boolean {
  if (!fs.existsSync(artifactPath(buildDir, 'manifest'))) return false;
  try {
    const m = readManifest(buildDir);
    return (
      m.onnxSha256 === sha256Bytes(fs.readFileSync(onnx)) &&
      // compileModel hashes exactly this string, so equal hashes mean equal settings.
      m.settingsSha256 === sha256Bytes(JSON.stringify(parseSettings({}))) &&
      fs.existsSync(artifactPath(buildDir, 'compiled')) &&
      fs.existsSync(artifactPath(buildDir, 'r1cs')) &&
      (m.backend === 'direct'
        ? sha256File(artifactPath(buildDir, 'compiled')) === m.compiledSha256
        : fs.existsSync(artifactPath(buildDir, 'wasm')) && sha256File(artifactPath(buildDir, 'wasm')) === m.wasmSha256) &&
      sha256File(artifactPath(buildDir, 'r1cs')) === m.r1csSha256
    );
  } catch {
    return false;
  }
}

/** Compiles `onnx` with its calibration into buildDir, unless the folder already holds that build. */
export async function compileOrReuse(onnx: string, calibration: string, buildDir: string, fresh: boolean): Promise<{ compile?: CompileTimings; compileReused: boolean }> {
  if (!fresh && buildMatches(buildDir, onnx)) {
    const record = path.join(buildDir, COMPILE_RECORD);
    console.log(`compile: reusing ${show(buildDir)} (manifest matches the model and default settings)`);
    return { compile: fs.existsSync(record) ? readJson<CompileTimings>(record) : undefined, compileReused: true };
  }
  console.log(`compile: ${show(onnx)} → ${show(buildDir)}`);
  const r = await compileModel(onnx, buildDir, { calibration });
  writeJson(path.join(buildDir, COMPILE_RECORD), r.timings);
  return { compile: r.timings, compileReused: false };
}

/** Runs the (dev ptau) setup, unless the folder's zkey is the one its manifest names. */
export async function setupOrReuse(buildDir: string, fresh: boolean): Promise<{ power: number; setup: SetupTimings; setupReused: boolean }> {
  const manifest = readManifest(buildDir);
  const setupReused =
    !fresh &&
    manifest.zkeySha256 !== undefined &&
    fs.existsSync(artifactPath(buildDir, 'zkey')) &&
    fs.existsSync(artifactPath(buildDir, 'setup')) &&
    sha256File(artifactPath(buildDir, 'zkey')) === manifest.zkeySha256;
  if (setupReused) {
    const { power, timings } = readJson<{ power: number; timings: SetupTimings }>(artifactPath(buildDir, 'setup'));
    console.log('setup: reusing the existing zkey');
    return { power, setup: timings, setupReused };
  }
  const { power, timings } = await runSetup(buildDir);
  return { power, setup: timings, setupReused };
}
