/**
 * The disk fills up while artifacts are written: compile and setup fail with a clear reason, leave
 * no manifest that would vouch for half-written files, and the prover refuses the folder. A real
 * full file system (a small tmpfs) rather than a mocked fs, so circom's own writes are covered too.
 * Needs mount rights (root, as on CI); skipped otherwise.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { artifactPath } from '../../src/formats/artifacts';
import { compileModel } from '../../src/compiler/compile';
import { ZkmlError } from '../../src/errors';
import { Prover } from '../../src/prover/prover';
import { runSetup } from '../../src/setup/groth16-setup';
import { calibrationFile, inputFile, makeTempDir, modelFile } from '../helpers/onnx-builders';

function mountTmpfs(dir: string, size: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Lazy: snarkjs may still hold the half-written key open after a failed setup. */
function unmount(dir: string): void {
  execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
}

const probe = makeTempDir('mount-probe');
const canMount = mountTmpfs(probe, '64k');
if (canMount) unmount(probe);
fs.rmSync(probe, { recursive: true, force: true });

describe('faults: disk full while writing artifacts', { skip: canMount ? false : 'needs permission to mount a tmpfs' }, () => {
  let work: string;
  let full: string;
  let prover: Prover;
  before(() => {
    work = makeTempDir('disk-full');
    full = path.join(work, 'small-fs');
    prover = new Prover();
  });
  after(async () => {
    await prover.close();
    try {
      unmount(full);
    } catch {
      // not mounted
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('compile on a full disk → DISK_FULL, and no manifest is left behind', async () => {
    // Smaller than a direct build of tiny (its r1cs alone is 32 KB), so a write runs out of space.
    assert.ok(mountTmpfs(full, '40k'));
    try {
      const build = path.join(full, 'build');
      await assert.rejects(compileModel(modelFile('tiny'), build, { calibration: calibrationFile('tiny') }), (err) => err instanceof ZkmlError && err.code === 'DISK_FULL');
      assert.equal(fs.existsSync(artifactPath(build, 'manifest')), false);
      await assert.rejects(prover.prove(build, JSON.parse(fs.readFileSync(inputFile('tiny'), 'utf8'))), (err) => err instanceof ZkmlError && err.code === 'ARTIFACT_MISSING');
    } finally {
      unmount(full);
    }
  });

  test('setup on a disk that fills up → a clear error naming the lack of space; the folder is not served', async () => {
    const built = path.join(work, 'built');
    await compileModel(modelFile('tiny'), built, { calibration: calibrationFile('tiny') });
    // Room for the compiled folder (tmpfs counts whole pages per file), not for the proving key.
    const files = fs.readdirSync(built, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const bytes = files.reduce((s, e) => s + Math.ceil(fs.statSync(path.join(e.parentPath ?? e.path, e.name)).size / 4096) * 4096, 0);
    assert.ok(mountTmpfs(full, `${Math.ceil(bytes / 1024) + 48}k`));
    try {
      const build = path.join(full, 'build');
      fs.cpSync(built, build, { recursive: true });
      await assert.rejects(runSetup(build), (err) => err instanceof ZkmlError && ['DISK_FULL', 'SETUP_FAILED'].includes(err.code) && /space|ENOSPC/i.test(err.message));
      assert.equal(fs.existsSync(artifactPath(build, 'vk')), false, 'no verification key without a proving key');
      assert.deepEqual(
        fs.readdirSync(build).filter((f) => f.endsWith('.tmp')),
        [],
        'temporary files are removed',
      );
      await assert.rejects(prover.prove(build, JSON.parse(fs.readFileSync(inputFile('tiny'), 'utf8'))), (err) => err instanceof ZkmlError && err.code === 'ARTIFACT_MISSING');
    } finally {
      unmount(full);
    }
  });
});
