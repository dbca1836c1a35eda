/**
 * First contact on the command line: negative input ranges parse (`--input-range -2,2` and
 * `--input-range=-2,2`), a bad range is USAGE naming the flag, and long phases report at least
 * every 5 s (withHeartbeat); --max-error is checked like the other flags.
 */
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { test } from 'node:test';
import { joinNegativeValues, rangeOption } from '../../src/cli/args';
import { main } from '../../src/cli/main';
import { HEARTBEAT_MS, withHeartbeat } from '../../src/formats/progress';
import { inputFile, modelFile } from '../helpers/onnx-builders';

async function stderrOf(argv: string[]): Promise<{ code: number; stderr: string }> {
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, stderr: lines.join('') };
  } finally {
    process.stderr.write = write;
  }
}

test('negative ranges parse: `--input-range -2,2` and `--input-range=-2,2`', () => {
  const options = { 'input-range': { type: 'string' as const }, out: { type: 'string' as const } };
  for (const args of [
    ['m.onnx', '--input-range', '-2,2', '--out', 'o'],
    ['m.onnx', '--input-range=-2,2', '--out', 'o'],
    ['m.onnx', '--input-range', '-.5,-0.25', '--out', 'o'],
  ]) {
    const { values } = parseArgs({ args: joinNegativeValues(args, ['--input-range']), options, allowPositionals: true });
    assert.ok(rangeOption(values['input-range'])![0] < 0, args.join(' '));
    assert.equal(values.out, 'o');
  }
  assert.deepEqual(rangeOption('-2,2'), [-2, 2]);
  assert.throws(() => rangeOption('2,-2'), /--input-range needs LO < HI/);
  assert.throws(() => rangeOption('-2,'), /--input-range takes LO,HI/);
});

test('zkml compile --input-range -2,2 gets past the argument parser (refused later by the constraint limit, not as ambiguous)', async () => {
  for (const range of [['--input-range', '-2,2'], ['--input-range=-2,2']]) {
    const r = await stderrOf(['compile', modelFile('tiny'), '--out', '/nonexistent/zkml-never-written', ...range, '--max-constraints', '1']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^error MODEL_TOO_LARGE: /m, r.stderr);
    assert.doesNotMatch(r.stderr, /ambiguous/);
  }
});

test('zkml compile without calibration warns on stderr with the assumed range, before any heavy work', async () => {
  const r = await stderrOf(['compile', modelFile('tiny'), '--out', '/nonexistent/zkml-never-written', '--max-constraints', '1']);
  assert.match(r.stderr, /^warning: no calibration: input 'x' is assumed to lie in \[-2, 1\.9921875\] \(scale 2\^-7\).*--input-range/m, r.stderr);
  assert.match(r.stderr, /^error MODEL_TOO_LARGE: /m);
  const calibrated = await stderrOf(['compile', modelFile('tiny'), '--out', '/nonexistent/zkml-never-written', '--calibration', inputFile('tiny'), '--max-constraints', '1']);
  assert.doesNotMatch(calibrated.stderr, /warning/, 'one sample input serves as calibration');
  assert.match(calibrated.stderr, /^error MODEL_TOO_LARGE: /m);
});

test('withHeartbeat repeats the phase report while the work runs, and stops after it', async () => {
  assert.ok(HEARTBEAT_MS <= 5000, 'a report at least every 5 s');
  const seen: Array<[string, number]> = [];
  const v = await withHeartbeat(
    (p, f) => seen.push([p, f]),
    'circom',
    0.2,
    () => new Promise<number>((r) => setTimeout(() => r(7), 230)),
    50,
  );
  assert.equal(v, 7);
  assert.ok(seen.length >= 4, `${seen.length} reports`);
  assert.ok(seen.every(([p, f]) => p === 'circom' && f === 0.2));
  const n = seen.length;
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(seen.length, n, 'no report after the work ended');
  await assert.rejects(
    withHeartbeat(
      () => undefined,
      'x',
      0,
      () => Promise.reject(new Error('boom')),
      10,
    ),
    /boom/,
  );
});

test('zkml compile --max-error: a bad value is USAGE naming the flag; an unreachable one is SETTINGS_INVALID naming --max-error', async () => {
  for (const bad of ['abc', '0', '-1', '']) {
    const r = await stderrOf(['compile', modelFile('tiny'), '--out', '/nonexistent/zkml-never-written', `--max-error=${bad}`]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error USAGE: --max-error takes a positive number/m, r.stderr);
  }
  const r = await stderrOf(['compile', modelFile('tiny'), '--out', '/nonexistent/zkml-never-written', '--calibration', inputFile('tiny'), '--max-error', '1e-15']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^error SETTINGS_INVALID: --max-error 1e-15 is below what this model can reach/m, r.stderr);
});
