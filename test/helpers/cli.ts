/**
 * The real `zkml` binary (bin/zkml.js) as a child process, quiet (ZKML_QUIET) and with its own ptau
 * cache, and the two outcomes a CLI test expects: success with nothing on stderr, or one line
 * `error <CODE>: …` with the documented exit code and no stack trace.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { ErrorCode } from '../../src/errors';
import { REPO_ROOT } from './onnx-builders';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runZkml(cacheDir: string, args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ZKML_CACHE_DIR: cacheDir, ZKML_QUIET: '1' };
    delete env.ZKML_DEBUG;
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'zkml.js'), ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** Exit 0 and nothing on stderr under ZKML_QUIET; returns stdout. */
export function succeeds(r: CliRun, what: string): string {
  assert.equal(r.code, 0, `${what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.equal(r.stderr, '', `${what}: nothing on stderr under ZKML_QUIET`);
  return r.stdout;
}

/** Non-zero exit (2 for USAGE, else 1), exactly one stderr line `error <CODE>: message`, no stack trace; returns the message. */
export function failsWith(r: CliRun, code: ErrorCode | ErrorCode[]): string {
  const codes = Array.isArray(code) ? code : [code];
  assert.notEqual(r.code, 0, `expected a failure, got exit 0\nstdout: ${r.stdout}`);
  assert.equal(r.code, codes.includes('USAGE') ? 2 : 1, `exit code for ${codes.join('|')}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `exactly one stderr line, got:\n${r.stderr}`);
  assert.ok(r.stderr.endsWith('\n'));
  const m = /^error ([A-Z_]+): (.+)$/.exec(lines[0]);
  assert.ok(m, `stderr line has the form 'error CODE: message': ${lines[0]}`);
  assert.ok(codes.includes(m[1] as ErrorCode), `expected ${codes.join(' or ')}, got ${lines[0]}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |node:internal|\.js:\d+:\d+/, 'no stack trace');
  return m[2];
}
