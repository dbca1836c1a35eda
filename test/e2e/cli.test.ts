/**
 * The real `zkml` CLI on models/tiny: compile → setup → prove → verify off-chain → verify on a local
 * anvil, then a matrix of bad inputs, each of which must exit non-zero with exactly one stderr line
 * `error <CODE>: …` and no stack trace.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Receipt } from '../../src/formats/receipt';
import { generateDevPtau } from '../../src/setup/dev-ptau';
import { BN254_Q, BN254_R } from '../../src/formats/field';
import { CliRun, failsWith as fails, runZkml, succeeds as ok } from '../helpers/cli';
import { calibrationFile, f32, inputFile, makeTempDir, modelFile, simpleGraph } from '../helpers/onnx-builders';

let work: string;
let cache: string;
let build: string;
let receiptFile: string;
let receipt: Receipt;

const zkml = (...args: string[]): Promise<CliRun> => runZkml(cache, args);

function writeJsonFile(name: string, value: unknown): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

before(() => {
  work = makeTempDir('cli');
  cache = path.join(work, 'cache');
  build = path.join(work, 'build');
  receiptFile = path.join(work, 'receipt.json');
});
after(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe('zkml on models/tiny: the happy path', () => {
  test('compile prints the per-layer report and the constraint count', async () => {
    const r = await zkml('compile', modelFile('tiny'), '--out', build, '--calibration', calibrationFile('tiny'));
    ok(r, 'compile');
    assert.match(r.stdout, /gemm1\s+Gemm\+Relu/);
    const predicted = Number(/predicted constraints:\s+(\d+)/.exec(r.stdout)?.[1]);
    const actual = Number(/r1cs constraints:\s+(\d+)/.exec(r.stdout)?.[1]);
    assert.ok(predicted > 0 && predicted === actual, `predicted ${predicted}, r1cs ${actual}`);
    assert.match(r.stdout, new RegExp(`constraints ${actual}, public signals 2, compile \\d`));
    assert.match(r.stdout, /output 'y' \[1,2\]: scale 2\^-\d+, static error bound [\d.e-]+, max error on calibration/);
    for (const f of ['circuit.r1cs', 'circuit.sym', 'compiled.json', 'manifest.json', 'circuit/main.circom']) assert.ok(fs.existsSync(path.join(build, f)), f);
    // The default direct backend writes no circuit wasm (the witness comes from compiled.json).
    assert.match(r.stdout, /backend: +direct/);
    assert.equal(fs.existsSync(path.join(build, 'circuit.wasm')), false);
  });

  test('setup makes the keys with a cached dev ptau and says it is for development only', async () => {
    const r = await zkml('setup', build);
    ok(r, 'setup');
    assert.match(r.stdout, /constraints \d+, ptau power \d+, setup [\d.]+s/);
    assert.match(r.stdout, /warning: dev ptau with a single local contributor: NOT for production/);
    for (const f of ['circuit.zkey', 'verification_key.json', 'Verifier.sol', 'setup.json']) assert.ok(fs.existsSync(path.join(build, f)), f);
    assert.ok(
      fs.readdirSync(path.join(cache, 'ptau')).some((f) => /^dev_\d+\.ptau$/.test(f)),
      'the dev ptau went to ZKML_CACHE_DIR',
    );
  });

  test('prove writes a receipt and prints the outputs and the error against onnxruntime', async () => {
    const r = await zkml('prove', build, '--input', inputFile('tiny'), '--out', receiptFile);
    ok(r, 'prove');
    assert.match(r.stdout, /output 'y' \[1,2\]: -?[\d.]+, -?[\d.]+/);
    const m = /max abs error vs onnxruntime ([\d.e-]+) \(static bound ([\d.e-]+)\), argmax agrees/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.ok(Number(m[1]) <= Number(m[2]), 'error within the static bound');
    receipt = JSON.parse(fs.readFileSync(receiptFile, 'utf8')) as Receipt;
    assert.equal(receipt.format, 'zkml-receipt/1');
    assert.equal(receipt.publicSignals.length, 2);
    assert.equal(receipt.reference.integerReferenceMatches, true);
    assert.deepEqual(receipt.publicInputs, []);
  });

  test('verify off-chain accepts the receipt', async () => {
    const r = await zkml('verify', receiptFile, '--dir', build);
    ok(r, 'verify');
    assert.match(r.stdout, /^valid off-chain: /);
  });

  test('verify --onchain deploys the verifier on a local anvil and it accepts the receipt', async () => {
    const r = await zkml('verify', receiptFile, '--dir', build, '--onchain');
    ok(r, 'verify --onchain');
    assert.match(r.stdout, /^valid on chain 31337 at 0x[0-9a-fA-F]{40}: /);
  });

  test('calldata prints the Solidity call arguments', async () => {
    const r = await zkml('calldata', receiptFile);
    ok(r, 'calldata');
    const args = JSON.parse(r.stdout);
    assert.ok(Array.isArray(args) && args.length === 4, r.stdout);
  });
});

describe('zkml: bad inputs get one line with a stable code', () => {
  const withReceipt = (name: string, edit: (r: Receipt) => void): string => {
    const r = clone(receipt);
    edit(r);
    return writeJsonFile(name, r);
  };

  test('truncated ONNX → ONNX_MALFORMED', async () => {
    const bytes = fs.readFileSync(modelFile('tiny'));
    const file = path.join(work, 'truncated.onnx');
    fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    fails(await zkml('compile', file, '--out', path.join(work, 'b-trunc')), 'ONNX_MALFORMED');
  });

  test('a model with an unsupported op → ONNX_UNSUPPORTED_OP naming the node', async () => {
    const file = path.join(work, 'random.onnx');
    fs.writeFileSync(
      file,
      simpleGraph(
        [
          { opType: 'Gemm', name: 'fc', inputs: ['x', 'W'], outputs: ['h'], attributes: { transB: 1 } },
          { opType: 'Bernoulli', name: 'coin', inputs: ['h'], outputs: ['y'] },
        ],
        { initializers: [{ name: 'W', dims: [2, 4], data: f32([1, 0, 0, 1, 0, 1, 1, 0]) }] },
      ),
    );
    const msg = fails(await zkml('compile', file, '--out', path.join(work, 'b-rand')), 'ONNX_UNSUPPORTED_OP');
    assert.match(msg, /'coin' \(Bernoulli\)/);
  });

  test('an attribute value we do not handle → ONNX_UNSUPPORTED_ATTRIBUTE naming node and attribute', async () => {
    const file = path.join(work, 'attr.onnx');
    fs.writeFileSync(
      file,
      simpleGraph([{ opType: 'Gemm', name: 'fc', inputs: ['x', 'W'], outputs: ['y'], attributes: { transB: 1, auto_pad: 'SIDEWAYS' } }], {
        initializers: [{ name: 'W', dims: [2, 4], data: f32([1, 0, 0, 1, 0, 1, 1, 0]) }],
      }),
    );
    assert.match(fails(await zkml('compile', file, '--out', path.join(work, 'b-attr')), 'ONNX_UNSUPPORTED_ATTRIBUTE'), /'fc'.*auto_pad/);
  });

  test('a NaN weight → WEIGHTS_NOT_FINITE naming the node', async () => {
    const file = path.join(work, 'nan-weight.onnx');
    fs.writeFileSync(
      file,
      simpleGraph([{ opType: 'Gemm', name: 'fc', inputs: ['x', 'W'], outputs: ['y'], attributes: { transB: 1 } }], {
        initializers: [{ name: 'W', dims: [2, 4], data: f32([1, 0, NaN, 1, 0, 1, 1, 0]) }],
      }),
    );
    assert.match(fails(await zkml('compile', file, '--out', path.join(work, 'b-nan')), 'WEIGHTS_NOT_FINITE'), /'fc'/);
  });

  test('a circuit over the size limit → MODEL_TOO_LARGE before circom runs', async () => {
    assert.match(fails(await zkml('compile', modelFile('tiny'), '--out', path.join(work, 'b-big'), '--max-constraints', '3'), 'MODEL_TOO_LARGE'), /3/);
  });

  test('audit: the built circuit refuses every witness mutation', async () => {
    const r = await zkml('audit', build, '--input', inputFile('tiny'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /forged rescale\s+tried\s+\d+ of\s+\d+, accepted 0/);
    assert.match(r.stdout, /^sound: /m);
  });

  test('compile without --out → USAGE', async () => {
    fails(await zkml('compile', modelFile('tiny')), 'USAGE');
  });

  test('an unknown command and an unknown option → USAGE', async () => {
    fails(await zkml('frobnicate'), 'USAGE');
    fails(await zkml('compile', modelFile('tiny'), '--out', path.join(work, 'b-x'), '--no-such-flag'), 'USAGE');
  });

  test("a core option refused from a flag is the CLI's USAGE, with the core's message; a bad ZKML_MODE → CONFIG_INVALID", async () => {
    assert.equal(fails(await zkml('setup', build, '--contributions', '0'), 'USAGE'), 'contributions must be an integer in 1..100, got 0');
    assert.equal(fails(await zkml('ceremony', 'finish', '--dir', build, '--beacon', 'xyz', '--iterations', '10'), 'USAGE'), 'the beacon must be 1..255 bytes of hex');
    assert.equal(fails(await zkml('ceremony', 'accept', 'x.zkey', '--dir', build, '--name', ' '), 'USAGE'), 'a contributor name is required (1..64 bytes)');
    const prev = process.env.ZKML_MODE;
    process.env.ZKML_MODE = 'prod';
    try {
      assert.match(
        fails(await zkml('prove', build, '--input', inputFile('tiny'), '--out', path.join(work, 'r.json')), 'CONFIG_INVALID'),
        /ZKML_MODE must be 'development' or 'production', got 'prod'/,
      );
    } finally {
      if (prev === undefined) delete process.env.ZKML_MODE;
      else process.env.ZKML_MODE = prev;
    }
  });

  test('an input file with the wrong length → SHAPE_MISMATCH', async () => {
    fails(await zkml('prove', build, '--input', writeJsonFile('short.json', { input_data: [[0.1, 0.2, 0.3]] }), '--out', path.join(work, 'r.json')), 'SHAPE_MISMATCH');
  });

  test('an input with NaN (null) → INPUT_NOT_FINITE', async () => {
    fails(await zkml('prove', build, '--input', writeJsonFile('nan.json', '{"input_data": [[null, 0, 0, 0]]}'), '--out', path.join(work, 'r.json')), 'INPUT_NOT_FINITE');
  });

  test('an input beyond the circuit range → INPUT_OUT_OF_RANGE', async () => {
    const msg = fails(await zkml('prove', build, '--input', writeJsonFile('big.json', { input_data: [[0, 1000, 0, 0]] }), '--out', path.join(work, 'r.json')), 'INPUT_OUT_OF_RANGE');
    assert.match(msg, /'x'\[1\] = 1000/);
  });

  test('an input file that is not JSON → INPUT_INVALID', async () => {
    fails(await zkml('prove', build, '--input', writeJsonFile('garbage-input.json', 'input_data: 1, 2'), '--out', path.join(work, 'r.json')), 'INPUT_INVALID');
  });

  test('a --ptau smaller than the circuit needs → PTAU_TOO_SMALL', async () => {
    const ptau = path.join(work, 'small.ptau');
    await generateDevPtau(2, ptau);
    const copy = path.join(work, 'build-small-ptau');
    fs.cpSync(build, copy, { recursive: true });
    const msg = fails(await zkml('setup', copy, '--ptau', ptau), 'PTAU_TOO_SMALL');
    assert.match(msg, /power 2/);
  });

  test('a receipt with a public signal ≥ the field modulus → SIGNAL_NOT_IN_FIELD', async () => {
    const file = withReceipt('r-field.json', (r) => (r.publicSignals[0] = (BigInt(r.publicSignals[0]) + BN254_R).toString()));
    fails(await zkml('verify', file, '--dir', build), 'SIGNAL_NOT_IN_FIELD');
  });

  test('a receipt with an extra public signal → SIGNAL_COUNT_MISMATCH', async () => {
    const file = withReceipt('r-extra.json', (r) => r.publicSignals.push('0'));
    fails(await zkml('verify', file, '--dir', build), 'SIGNAL_COUNT_MISMATCH');
  });

  test('a tampered proof → PROOF_INVALID (a valid point, but the wrong one) or PROOF_MALFORMED (not on the curve)', async () => {
    const negated = withReceipt('r-neg.json', (r) => (r.proof.pi_a[1] = (BN254_Q - BigInt(r.proof.pi_a[1])).toString()));
    fails(await zkml('verify', negated, '--dir', build), 'PROOF_INVALID');
    const offCurve = withReceipt('r-off.json', (r) => (r.proof.pi_c[0] = ((BigInt(r.proof.pi_c[0]) + 1n) % BN254_Q).toString()));
    fails(await zkml('verify', offCurve, '--dir', build), 'PROOF_MALFORMED');
  });

  test('a tampered output signal → PROOF_INVALID off-chain, and a non-zero exit on-chain', async () => {
    const file = withReceipt('r-sig.json', (r) => (r.publicSignals[0] = ((BigInt(r.publicSignals[0]) + 1n) % BN254_R).toString()));
    fails(await zkml('verify', file, '--dir', build), 'PROOF_INVALID');
    const onchain = await zkml('verify', file, '--dir', build, '--onchain');
    fails(onchain, 'PROOF_INVALID');
  });

  test('a receipt made for another verification key → RECEIPT_MODEL_MISMATCH', async () => {
    const file = withReceipt('r-model.json', (r) => (r.model.vkSha256 = 'ab'.repeat(32)));
    fails(await zkml('verify', file, '--dir', build), 'RECEIPT_MODEL_MISMATCH');
  });

  test('a receipt that is garbage → RECEIPT_INVALID', async () => {
    fails(await zkml('verify', writeJsonFile('r-garbage.json', '\u0000\u0001 not json {'), '--dir', build), 'RECEIPT_INVALID');
    fails(await zkml('verify', writeJsonFile('r-string.json', '"a receipt"'), '--dir', build), 'RECEIPT_INVALID');
    fails(await zkml('verify', path.join(work, 'no-such-receipt.json'), '--dir', build), 'RECEIPT_INVALID');
  });
});
