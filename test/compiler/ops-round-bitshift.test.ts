/**
 * Round (half to even) and BitShift (LEFT, RIGHT by constant amounts; docs/logic.md): on inputs the
 * quantizer represents exactly (a grid of 1/4, ties at every half), the integer model equals
 * onnxruntime exactly, and off the grid Round equals onnxruntime's on the dequantized inputs; the
 * circuit's witness (direct and circom backends) equals the integer reference, the constraint count
 * is pinned and predicted, and an output moved by one is rejected. A LEFT shift that may wrap, a
 * constant amount past the width and an unknown direction are refused by name.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { CompileResult, compileModel } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import { loadOnnx } from '../../src/onnx/load';
import { createOrtSession, runOrt } from '../../src/onnx/runtime';
import { NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { quantizeSample } from '../../src/quantize/codec';
import type { InputSample } from '../../src/formats/input-document';
import { quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { assertExactlyOrt } from '../helpers/float-vs-ort';
import { parseSettings } from '../../src/formats/settings';
import { expectCode, makeTempDir, seededRng } from '../helpers/onnx-builders';
import { checkWitnesses } from '../helpers/compiled-circuit-check';

const N = 8;
const shift = (input: string, amount: string, direction: string, output: string): NodeSpec => ({
  opType: 'BitShift',
  name: output,
  inputs: [input, amount],
  outputs: [output],
  attributes: { direction },
});
const u8 = (name: string, data: number[]) => ({ name, dims: [data.length], data: Uint8Array.from(data), elemType: 'uint8' as const });

/** Round of a float input; RIGHT shifts of a uint8 input by 0..7; the high nibble shifted back LEFT by 0..4. */
function model(): Uint8Array {
  return writeOnnx({
    name: 'round-bitshift',
    inputs: [
      { name: 'x', elemType: 'float32', shape: [1, N] },
      { name: 'u', elemType: 'uint8', shape: [1, N] },
    ],
    outputs: [
      { name: 'round', elemType: 'float32', shape: [1, N] },
      { name: 'right', elemType: 'uint8', shape: [1, N] },
      { name: 'left', elemType: 'uint8', shape: [1, N] },
    ],
    initializers: [u8('R', [0, 1, 2, 3, 4, 5, 6, 7]), u8('F', [4]), u8('L', [0, 1, 2, 3, 4, 0, 1, 2])],
    nodes: [
      { opType: 'Round', name: 'round', inputs: ['x'], outputs: ['round'], attributes: {} },
      shift('u', 'R', 'RIGHT', 'right'),
      shift('u', 'F', 'RIGHT', 'nibble'),
      shift('nibble', 'L', 'LEFT', 'left'),
    ],
  });
}

function gridSample(rng: ReturnType<typeof seededRng>): InputSample {
  return new Map([
    ['x', Float64Array.from({ length: N }, () => (Math.floor(rng.next() * 25) - 12) / 4)],
    ['u', Float64Array.from({ length: N }, () => Math.floor(rng.next() * 256))],
  ]);
}

describe('Round and BitShift', () => {
  const bytes = model();
  const settings = { inputRange: [-4, 4] as [number, number] };

  test('float semantics and the integer model equal onnxruntime exactly on the grid, ties included', async () => {
    const graph = loadOnnx(bytes);
    const rng = seededRng(3);
    const samples = Array.from({ length: 30 }, () => gridSample(rng));
    const model = quantizeGraph(graph, parseSettings(settings), samples);
    await assertExactlyOrt(bytes, graph, model, samples);
    const ties = samples.reduce((n, s) => n + s.get('x')!.filter((v) => Math.abs(v % 1) === 0.5).length, 0);
    assert.ok(ties > 20, 'ties (even and odd) are exercised');
  });

  test('off the grid, Round of the dequantized input equals onnxruntime', async () => {
    const graph = loadOnnx(bytes);
    const rng = seededRng(4);
    const model = quantizeGraph(graph, parseSettings(settings));
    const session = await createOrtSession(bytes);
    try {
      for (let k = 0; k < 30; k++) {
        const raw = new Map([
          ['x', Float64Array.from({ length: N }, () => Math.fround(rng.uniform(-3.9, 3.9)))],
          ['u', Float64Array.from({ length: N }, () => Math.floor(rng.next() * 256))],
        ]);
        const q = quantizeSample(model, raw);
        const dequantized = new Map(model.inputs.map((i) => [i.name, Float64Array.from(q.get(i.tensor)!, (v) => Number(v) / 2 ** i.scaleBits)]));
        const ort = await runOrt(session, graph.inputs, dequantized);
        const ints = runReference(model, q);
        const round = model.outputs.find((o) => o.name === 'round')!;
        assert.deepEqual(
          ints[round.tensor].map(Number),
          ort[0].values.map((v) => v + 0),
          `sample ${k}`,
        );
      }
    } finally {
      await session.release();
    }
  });

  for (const backend of ['direct', 'circom'] as const) {
    describe(`circuit (${backend})`, () => {
      let dir: string;
      let result: CompileResult;
      before(async () => {
        dir = makeTempDir(`round-bitshift-${backend}`);
        fs.writeFileSync(`${dir}/model.onnx`, bytes);
        result = await compileModel(`${dir}/model.onnx`, `${dir}/build`, { backend, settings });
      });
      after(() => fs.rmSync(dir, { recursive: true, force: true }));

      test('the witness equals the integer reference; the count is pinned and predicted; an output moved by one is rejected', async () => {
        const build = `${dir}/build`;
        const model = readCompiled(build).model;
        assert.equal(result.report.backend, backend);
        assert.equal(result.report.predictedConstraints, result.constraints);
        assert.equal(result.constraints, EXPECTED_CONSTRAINTS);
        const rng = seededRng(9);
        await checkWitnesses(
          model,
          build,
          Array.from({ length: 4 }, () => gridSample(rng)),
        );
      });
    });
  }

  const refused = (nodes: NodeSpec[], initializers = [u8('S', [1])]) =>
    loadOnnx(
      writeOnnx({
        name: 'bad-shift',
        inputs: [{ name: 'u', elemType: 'uint8', shape: [1, 4] }],
        outputs: [{ name: 'y', elemType: 'uint8', shape: [1, 4] }],
        initializers,
        nodes,
      }),
    );

  test('a LEFT shift that may wrap the uint8 type is refused, naming the node', () => {
    const err = expectCode(() => quantizeGraph(refused([shift('u', 'S', 'LEFT', 'y')]), parseSettings(settings)), 'ONNX_UNSUPPORTED_OP');
    assert.match(err.message, /'y' \(BitShift\).*wraps/);
  });

  test('a constant amount past the width and an unknown direction are refused (a run-time amount: ops-nd-runtime.test.ts)', () => {
    let err = expectCode(() => quantizeGraph(refused([shift('u', 'S', 'RIGHT', 'y')], [u8('S', [8])]), parseSettings(settings)), 'ONNX_UNSUPPORTED_OP');
    assert.match(err.message, /'y' \(BitShift\).*outside \[0, 8\)/);
    err = expectCode(() => refused([shift('u', 'S', 'UP', 'y')]), 'ONNX_UNSUPPORTED_ATTRIBUTE');
    assert.match(err.message, /'y' \(BitShift\).*direction/);
    assert.equal(err.details?.attribute, 'direction');
  });
});

// Pinned (both backends): 16 input elements' 8-bit range checks (128), Round's three rescales per element,
// the RIGHT shifts' one rescale per element (by 7 and by 4), the LEFT shift free (a linear layer).
const EXPECTED_CONSTRAINTS = 452;
