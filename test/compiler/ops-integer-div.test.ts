/**
 * Integer Div (ONNX Div on integer tensors, truncation toward zero; docs/logic.md): a Div of int64
 * operands becomes the internal integer Div at ingest while a float Div stays a float Div; the
 * integer model equals onnxruntime exactly for every sign of dividend and divisor, by a run-time and
 * by a constant divisor; the circuit's witness equals the reference, its constraint count is pinned,
 * an output moved by one is rejected and a zero divisor has no accepted witness. A constant zero
 * divisor is refused at compile, naming the node.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computeWitness, verifyWitness } from '../../src/compiler/r1cs-check';
import { sizeOf } from '../../src/formats/graph';
import type { InputSample } from '../../src/formats/input-document';
import { parseSettings } from '../../src/formats/settings';
import { loadOnnx } from '../../src/onnx/load';
import { INTEGER_DIV_OP } from '../../src/onnx/ops/integer-div';
import { createOrtSession, runOrt } from '../../src/onnx/runtime';
import { writeOnnx } from '../../src/onnx/writer';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { runFloat } from '../../src/quantize/float-executor';
import { quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { checkCompiledCircuit } from '../helpers/compiled-circuit-check';
import { expectCode, Rng, seededRng } from '../helpers/onnx-builders';

const N = 8;
const CONSTANT_DIVISORS = [3, -3, 2, -2, 5, -5, 7, 1];

/** y = a / b (run-time divisor) or a / C (constant divisor), int64. */
function model(divisor: 'b' | 'C', constants = CONSTANT_DIVISORS): Uint8Array {
  return writeOnnx({
    name: 'integer-div',
    inputs: [{ name: 'a', elemType: 'int64', shape: [1, N] }, ...(divisor === 'b' ? [{ name: 'b', elemType: 'int64' as const, shape: [1, N] }] : [])],
    outputs: [{ name: 'y', elemType: 'int64', shape: [1, N] }],
    initializers: divisor === 'C' ? [{ name: 'C', dims: [N], data: constants, elemType: 'int64' }] : [],
    nodes: [{ opType: 'Div', name: 'div', inputs: ['a', divisor], outputs: ['y'], attributes: {} }],
  });
}

/** Integers in [−128, 127], divisors nonzero (a zero divisor has no witness: checked apart). */
function sample(rng: Rng, divisor: boolean): InputSample {
  const int = () => Math.floor(rng.next() * 256) - 128;
  const nonzero = () => {
    const v = int();
    return v === 0 ? 1 : v;
  };
  return new Map([['a', Float64Array.from({ length: N }, int)], ...(divisor ? [['b', Float64Array.from({ length: N }, nonzero)] as [string, Float64Array]] : [])]);
}

describe('integer Div', () => {
  test('a Div of integer operands is the integer Div, a Div of floats stays float', () => {
    assert.equal(loadOnnx(model('b')).nodes[0].opType, INTEGER_DIV_OP);
    const float = writeOnnx({
      name: 'float-div',
      inputs: [
        { name: 'a', elemType: 'float32', shape: [1, N] },
        { name: 'b', elemType: 'float32', shape: [1, N] },
      ],
      outputs: [{ name: 'y', elemType: 'float32', shape: [1, N] }],
      nodes: [{ opType: 'Div', name: 'div', inputs: ['a', 'b'], outputs: ['y'], attributes: {} }],
    });
    assert.equal(loadOnnx(float).nodes[0].opType, 'Div');
  });

  for (const divisor of ['b', 'C'] as const) {
    test(`by a ${divisor === 'b' ? 'run-time' : 'constant'} divisor: float semantics and the integer model equal onnxruntime exactly`, async () => {
      const bytes = model(divisor);
      const graph = loadOnnx(bytes);
      const rng = seededRng(divisor === 'b' ? 21 : 22);
      const samples = Array.from({ length: 40 }, () => sample(rng, divisor === 'b'));
      const q = quantizeGraph(graph, parseSettings({}), samples);
      const session = await createOrtSession(bytes);
      let negative = 0;
      try {
        for (const [k, s] of samples.entries()) {
          const want = (await runOrt(session, graph.inputs, s))[0].values;
          assert.deepEqual(Array.from(runFloat(graph, s).get('y')!.data), want, `float, sample ${k}`);
          const out = q.outputs[0];
          assert.deepEqual(
            runReference(q, quantizeSample(q, s))[out.tensor].map((v) => Number(v) / 2 ** out.scaleBits),
            want,
            `integer, sample ${k}`,
          );
          negative += want.filter((v, i) => v < 0 && Math.abs(s.get('a')![i]) % 2 === 1).length;
        }
      } finally {
        await session.release();
      }
      assert.ok(negative > 10, 'negative quotients (where truncation and floor differ) are exercised');
    });
  }

  test('circuit, run-time divisor: witness = reference, pinned count, a moved output and a zero divisor rejected', async () => {
    const rng = seededRng(31);
    const bytes = model('b');
    const graph = loadOnnx(bytes);
    const calibration = Array.from({ length: 8 }, () => Object.fromEntries([...sample(rng, true)].map(([k, v]) => [k, Array.from(v)])));
    await checkCompiledCircuit({
      bytes,
      samples: calibration,
      expectConstraints: EXPECTED_RUNTIME,
      rng,
      label: 'integer-div',
      inputs: () => [0, 1, 2].map(() => sample(rng, true)),
      also: async ({ model, wasm, r1cs }) => {
        const zero = new Map([
          ['a', Float64Array.from({ length: N }, () => 5)],
          ['b', new Float64Array(sizeOf(graph.inputs[1].shape))],
        ]);
        const satisfied = await computeWitness(circuitInput(model, quantizeSample(model, zero)), wasm).then(
          (witness) => verifyWitness(r1cs, witness).ok,
          () => false,
        );
        assert.equal(satisfied, false, 'a zero divisor has no accepted witness');
      },
    });
  });

  test('circuit, constant divisor: witness = reference, pinned count, a moved output rejected', async () => {
    const rng = seededRng(32);
    const calibration = Array.from({ length: 8 }, () => Object.fromEntries([...sample(rng, false)].map(([k, v]) => [k, Array.from(v)])));
    await checkCompiledCircuit({ bytes: model('C'), samples: calibration, expectConstraints: EXPECTED_CONSTANT, rng, label: 'integer-div-c', inputs: () => [0, 1, 2].map(() => sample(rng, false)) });
  });

  test('a constant zero divisor is refused at compile, naming the node', () => {
    const graph = loadOnnx(model('C', [3, 0, 2, -2, 5, -5, 7, 1]));
    const err = expectCode(() => quantizeGraph(graph, parseSettings({})), 'ONNX_UNSUPPORTED_OP');
    assert.match(err.message, /'div'.*nonzero/);
  });
});

// Pinned: the 8-bit inputs' range checks (2 · 64, or 64), then per element the remainder layer and the
// exact quotient layer: 78 per element by a run-time divisor of either sign, 35.75 on average by the constants.
const EXPECTED_RUNTIME = 752;
const EXPECTED_CONSTANT = 350;
