/**
 * The error envelope (src/errors.ts): a ZkmlError crosses a thread or process boundary as its
 * envelope and arrives as the same ZkmlError (code, message, details, a summary of its causes);
 * what leaves the service carries only the details PUBLIC_DETAILS lists for the code. A ZkmlError
 * thrown in the prover's Piscina worker arrives intact through the pool.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { test } from 'node:test';
import Piscina from 'piscina';
import { asZkmlError, fromErrorEnvelope, publicDetails, TaskOutcome, toErrorEnvelope, toPublicError, unwrapTask, ZkmlError } from '../../src/errors';
import type { ProveTask, ProveTaskResult } from '../../src/prover/prove-task';
import { makeTempDir } from '../helpers/onnx-builders';

/** Structured cloning as postMessage does it (what a worker's return value goes through). */
async function throughPort<T>(value: T): Promise<T> {
  const { port1, port2 } = new MessageChannel();
  const received = new Promise<T>((resolve) => port2.once('message', resolve));
  port1.postMessage(value);
  const v = await received;
  port1.close();
  port2.close();
  return v;
}

test('a ZkmlError survives its envelope: code, message, details and the cause chain', async () => {
  const root = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
  const middle = new ZkmlError('ARTIFACT_MISSING', 'missing circuit.wasm', { artifact: 'circuit.wasm' }, { cause: root });
  const err = new ZkmlError('ONNX_UNSUPPORTED_OP', 'unsupported op in LSTM', { nodes: [{ name: 'l', opType: 'LSTM' }], big: 2n ** 70n }, { cause: middle });
  const envelope = toErrorEnvelope(err);
  for (const copy of [await throughPort(envelope), JSON.parse(JSON.stringify(envelope))]) {
    const back = fromErrorEnvelope(copy);
    assert.ok(back instanceof ZkmlError);
    assert.equal(back.code, 'ONNX_UNSUPPORTED_OP');
    assert.equal(back.message, 'unsupported op in LSTM');
    assert.deepEqual(back.details, { nodes: [{ name: 'l', opType: 'LSTM' }], big: (2n ** 70n).toString() });
    const c1 = back.cause as ZkmlError;
    assert.ok(c1 instanceof ZkmlError);
    assert.equal(c1.code, 'ARTIFACT_MISSING');
    assert.equal(c1.message, 'missing circuit.wasm');
    const c2 = c1.cause as Error & { code?: string };
    assert.equal(c2.message, 'ENOENT: no such file');
    assert.equal(c2.code, 'ENOENT');
    assert.equal(c2.cause, undefined);
  }
  assert.ok(!JSON.stringify(envelope).includes('at '), 'no stack trace in the envelope');
});

test('anything else thrown becomes the fallback code, the original kept as the cause', () => {
  const original = new TypeError('x is not a function\n    at foo (/srv/app.js:1:1)');
  const e = asZkmlError(original, 'PROVE_FAILED');
  assert.equal(e.code, 'PROVE_FAILED');
  assert.equal(e.message, 'x is not a function');
  assert.equal(e.cause, original);
  const envelope = toErrorEnvelope(original, 'PROVE_FAILED');
  assert.deepEqual(envelope, { code: 'PROVE_FAILED', message: 'x is not a function', causes: [{ name: 'TypeError', message: 'x is not a function' }] });
  // A typed error is kept as it is.
  const typed = new ZkmlError('INPUT_MISSING', 'input x is missing');
  assert.equal(asZkmlError(typed, 'PROVE_FAILED'), typed);
});

test('a malformed envelope is INTERNAL, never a made-up code', () => {
  assert.equal(fromErrorEnvelope({ code: 'NO_SUCH_CODE', message: 'm' }).code, 'INTERNAL');
  assert.equal(fromErrorEnvelope(null).code, 'INTERNAL');
  assert.equal(fromErrorEnvelope({ code: 'PROOF_INVALID', message: 'no' }).code, 'PROOF_INVALID');
});

test('public details: the whitelist per code; tool logs, server paths and unknown keys stay inside', () => {
  const nodes = Array.from({ length: 150 }, (_, i) => ({ name: `n${i}`, opType: 'LSTM' }));
  assert.deepEqual(publicDetails('ONNX_UNSUPPORTED_OP', { nodes: nodes.slice(0, 2), secret: 'x' }), { nodes: nodes.slice(0, 2) });
  assert.equal((publicDetails('ONNX_UNSUPPORTED_OP', { nodes })!.nodes as unknown[]).length, 100, 'a long list is capped');
  assert.deepEqual(publicDetails('MODEL_TOO_LARGE', { count: 5_000_000, limit: 4_000_000, unit: 'constraints' }), { count: 5_000_000, limit: 4_000_000, unit: 'constraints' });
  assert.deepEqual(publicDetails('QUEUE_FULL', { retryAfterSec: 7 }), { retryAfterSec: 7 });
  assert.equal(publicDetails('CIRCOM_FAILED', { log: 'error[P1012]: /srv/data/builds/x/circuit.circom:3' }), undefined);
  assert.equal(publicDetails('DISK_FULL', { file: '/srv/data/builds/x/circuit.zkey' }), undefined);
  assert.equal(publicDetails('INTERNAL', { anything: 1 }), undefined);
  const stopped = new ZkmlError('ARTIFACT_HASH_MISMATCH', 'model stopped: circuit.zkey has sha256 …', { artifact: 'circuit.zkey', actual: 'ab', expected: 'cd', buildDir: '/srv/data/builds/x' });
  assert.deepEqual(toPublicError(stopped), { code: 'ARTIFACT_HASH_MISMATCH', message: stopped.message, details: { artifact: 'circuit.zkey', actual: 'ab', expected: 'cd' } });
  assert.deepEqual(toPublicError(new Error('boom\nat x')), { code: 'INTERNAL', message: 'boom' });
});

test('a ZkmlError thrown in the prover worker arrives through Piscina with its code and details', async () => {
  const dir = makeTempDir('prove-task-error');
  const pool = new Piscina({ filename: path.resolve(__dirname, '../../src/prover/prove-task.js'), minThreads: 1, maxThreads: 1 });
  try {
    const wasm = path.join(dir, 'circuit.wasm');
    fs.writeFileSync(wasm, 'not the manifest bytes');
    const task: ProveTask = {
      witness: { kind: 'wasm', wasmPath: wasm, wasmSha256: '0'.repeat(64) },
      zkeyPath: path.join(dir, 'circuit.zkey'),
      cacheKey: 'k',
      zkeySha256: '0'.repeat(64),
      input: {},
      curveThreads: 1,
    };
    const outcome = (await pool.run(task)) as TaskOutcome<ProveTaskResult>;
    assert.equal(outcome.ok, false);
    assert.throws(
      () => unwrapTask(outcome),
      (e: unknown) =>
        e instanceof ZkmlError &&
        e.code === 'ARTIFACT_HASH_MISMATCH' &&
        /^circuit\.wasm has sha256 [0-9a-f]{16}…, the manifest says 0{16}…$/.test(e.message) &&
        e.details?.artifact === 'circuit.wasm' &&
        e.details?.expected === '0'.repeat(64),
    );
  } finally {
    await pool.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
