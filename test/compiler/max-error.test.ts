/**
 * Bits for a requested error (issue 14, scope 7): `maxError` makes compile choose the activation,
 * weight and input bits and the compile target with the fewest predicted constraints whose static bound meets it, and the
 * report says which layers the bound comes from.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { compileModel } from '../../src/compiler/compile';
import { buildReport, formatReport } from '../../src/compiler/report';
import type { Graph } from '../../src/formats/graph';
import type { InputSample } from '../../src/formats/input-document';
import { parseSettings } from '../../src/formats/settings';
import { loadOnnx } from '../../src/onnx/load';
import { createOrtSession, runOrt } from '../../src/onnx/runtime';
import { writeOnnx } from '../../src/onnx/writer';
import { quantizeSample } from '../../src/quantize/codec';
import { attributeError } from '../../src/quantize/error-attribution';
import { calibrateRanges } from '../../src/quantize/float-executor';
import { outputErrorBound, PrecisionTrial, searchPrecision } from '../../src/quantize/precision-search';
import { runReference } from '../../src/quantize/reference';
import { expectCode, makeTempDir, seededRng } from '../helpers/onnx-builders';

const rng = seededRng(33);
const W1 = Float32Array.from({ length: 8 * 6 }, () => rng.uniform(-1, 1));
const W2 = Float32Array.from({ length: 3 * 8 }, () => rng.uniform(-1, 1));

/** x[1,6] → Gemm → Relu → Gemm → Tanh: a chain of layers. */
const BYTES = writeOnnx({
  name: 'max-error',
  opset: 13,
  inputs: [{ name: 'x', elemType: 'float32', shape: [1, 6] }],
  outputs: [{ name: 'y', elemType: 'float32', shape: [1, 3] }],
  initializers: [
    { name: 'W1', dims: [8, 6], data: W1 },
    { name: 'W2', dims: [3, 8], data: W2 },
  ],
  nodes: [
    { opType: 'Gemm', name: 'fc1', inputs: ['x', 'W1'], outputs: ['h'], attributes: { transB: 1 } },
    { opType: 'Relu', name: 'relu', inputs: ['h'], outputs: ['r'] },
    { opType: 'Gemm', name: 'fc2', inputs: ['r', 'W2'], outputs: ['z'], attributes: { transB: 1 } },
    { opType: 'Tanh', name: 'tanh', inputs: ['z'], outputs: ['y'] },
  ],
});

function samples(graph: Graph, n: number, seed: number): InputSample[] {
  const r = seededRng(seed);
  return Array.from({ length: n }, () => new Map([[graph.inputs[0].name, Float64Array.from({ length: 6 }, () => Math.fround(r.uniform(-1, 1)))]]));
}

const cost = (m: Parameters<typeof buildReport>[0]) => buildReport(m).predictedConstraints;
const WIDTHS = ['activationBits', 'weightBits', 'inputBits'] as const;
const CHOICE = [...WIDTHS, 'target'] as const;

describe('maxError: bits chosen for a requested error', () => {
  const graph = loadOnnx(BYTES);
  const ranges = calibrateRanges(graph, samples(graph, 16, 1));
  const settings = parseSettings({});
  // One search per target, shared by the tests below (each search lowers the model tens of times).
  const searched = new Map<number, ReturnType<typeof searchPrecision>>();
  const search = (maxError: number) => searched.get(maxError) ?? searched.set(maxError, searchPrecision(graph, settings, ranges, maxError, cost)).get(maxError)!;

  test('the choice meets the target, and no evaluated one-bit-narrower choice meets it more cheaply', () => {
    for (const maxError of [0.1, 0.01]) {
      const c = search(maxError);
      assert.ok(c.errorBound <= maxError, `${maxError}: bound ${c.errorBound}`);
      assert.equal(outputErrorBound(c.model), c.errorBound);
      assert.equal(c.model.settings.activationBits, c.settings.activationBits);
      const chosen = cost(c.model);
      const at = (b: Pick<PrecisionTrial, (typeof CHOICE)[number]>) => c.trials.find((t) => CHOICE.every((w) => t[w] === b[w]));
      for (const w of WIDTHS) {
        const narrower = at({ target: c.settings.target, activationBits: c.settings.activationBits, weightBits: c.settings.weightBits, inputBits: c.settings.inputBits, [w]: c.settings[w] - 1 });
        assert.ok(narrower, `${maxError}: ${w} - 1 was tried`);
        assert.ok(narrower.errorBound === undefined || narrower.errorBound > maxError || narrower.constraints! >= chosen, `${maxError}: ${w} - 1 is cheaper and meets the target`);
      }
    }
  });

  test('a tighter target costs more constraints', () => {
    const sizes = [0.1, 0.01].map((e) => cost(search(e).model));
    assert.ok(sizes[0] < sizes[1], `constraints ${sizes}`);
  });

  test("the chosen circuit's reference stays within the target on fresh inputs (against onnxruntime)", async () => {
    const c = search(0.01);
    const session = await createOrtSession(BYTES);
    const out = c.model.outputs[0];
    let worst = 0;
    for (const s of samples(graph, 32, 9)) {
      const want = (await runOrt(session, graph.inputs, s))[0].values;
      runReference(c.model, quantizeSample(c.model, s))[out.tensor].forEach((v, i) => (worst = Math.max(worst, Math.abs(Number(v) / 2 ** out.scaleBits - want[i]))));
    }
    await session.release();
    assert.ok(worst <= 0.01 + 1e-6, `max deviation ${worst}`);
    assert.ok(worst > 0, 'a quantized circuit deviates a little');
  });

  test('a target below what the model can reach is refused naming maxError', () => {
    const err = expectCode(() => searchPrecision(graph, settings, ranges, 1e-15, cost), 'SETTINGS_INVALID');
    assert.match(err.message, /maxError 1e-15 is below what this model can reach/);
    assert.deepEqual(err.details, { setting: 'maxError' });
    expectCode(() => parseSettings({ maxError: 0 }), 'SETTINGS_INVALID');
    expectCode(() => parseSettings({ maxError: -1 }), 'SETTINGS_INVALID');
  });

  test('error shares: on a chain the added shares sum to the bound; through the last layer is the whole bound', () => {
    const c = search(0.01);
    const shares = attributeError(graph, c.settings, ranges, c.model)!;
    assert.deepEqual(
      shares.map((s) => s.layer),
      ['x', 'fc1', 'fc2', 'tanh'],
    );
    const last = shares[shares.length - 1];
    assert.ok(Math.abs(last.through - c.errorBound) <= 1e-12 * c.errorBound, `through the last layer ${last.through} of ${c.errorBound}`);
    const sum = shares.reduce((a, s) => a + s.added, 0);
    assert.ok(Math.abs(sum - c.errorBound) <= 1e-9 * c.errorBound, `shares sum to ${sum}, bound ${c.errorBound}`);
    for (const s of shares) assert.ok(s.added >= 0 && s.through >= s.added);
    assert.ok(shares[0].added > 0, 'the input rounding is a source');
  });

  test('compile with maxError: the report gives the choice and the largest shares; the build meets the target', async () => {
    const dir = makeTempDir('max-error');
    const onnxPath = path.join(dir, 'model.onnx');
    fs.writeFileSync(onnxPath, BYTES);
    const r = await compileModel(onnxPath, path.join(dir, 'build'), { settings: { maxError: 0.01 }, calibration: { input_data: [[0.5, -0.5, 0.25, -0.25, 1, -1]] } });
    const p = r.report.precision!;
    assert.ok(p.errorBound <= 0.01);
    for (const o of r.report.outputs) assert.ok(o.errorBound <= 0.01);
    assert.equal(r.constraints, r.report.predictedConstraints);
    assert.ok(p.trials.length > 3);
    assert.deepEqual(
      p.errorShares!.map((e) => e.layer),
      ['x', 'fc1', 'fc2', 'tanh'],
    );
    const text = formatReport(r.report);
    assert.match(text, /max error: {13}0\.01 asked, static bound .* with activation bits \d+, weight bits \d+, input bits \d+, target \w+/);
    assert.match(text, /error added by: {8}'/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
