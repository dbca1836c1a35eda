/**
 * NaN and infinite constants are refused where a float constant becomes an integer coefficient
 * (src/quantize/lower/coefficient.ts), with WEIGHTS_NOT_FINITE naming the node, on every path that
 * converts one: weights, biases, Clip bounds, Max constants, PWL activation attributes and the
 * zero points of the integer ops.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadOnnx } from '../../src/onnx/load';
import { writeOnnx } from '../../src/onnx/writer';
import { toCoefficient, withNode } from '../../src/quantize/lower/coefficient';
import { quantizeGraph } from '../../src/quantize/quantize';
import { parseSettings } from '../../src/formats/settings';
import { expectCode, f32, simpleGraph } from '../helpers/onnx-builders';

const quantize = (bytes: Uint8Array) => quantizeGraph(loadOnnx(bytes), parseSettings({}), []);
const one = (node: { opType: string; inputs: string[]; attributes?: Record<string, number> }, initializers: Array<{ name: string; dims: number[]; data: Float32Array }> = []) =>
  simpleGraph([{ name: 'bad', outputs: ['y'], ...node }], { initializers, yShape: [1, 4] });

describe('toCoefficient', () => {
  test('rounds value · 2^scaleBits to an integer', () => {
    assert.equal(toCoefficient(0.3, 4), 5n);
    assert.equal(toCoefficient(-1.5, 0), -1n);
    assert.equal(toCoefficient(3e38, 20), BigInt(3e38 * 2 ** 20));
  });

  test('a NaN, an infinity, or a finite value that overflows at its scale names the node being lowered', () => {
    for (const [v, s] of [
      [NaN, 0],
      [Infinity, 3],
      [-Infinity, 3],
      [1e308, 64],
    ]) {
      const err = expectCode(() => withNode({ name: 'fc', opType: 'Gemm' }, () => toCoefficient(v, s)), 'WEIGHTS_NOT_FINITE', `${v} at 2^${s}`);
      assert.equal(err.message, "node 'fc' (Gemm) has a NaN or infinite weight or constant");
      assert.deepEqual(err.details, { node: 'fc' });
    }
  });

  test('outside a lowering the error is still typed', () => {
    expectCode(() => toCoefficient(NaN, 0), 'WEIGHTS_NOT_FINITE');
  });
});

describe('a non-finite constant in a model → WEIGHTS_NOT_FINITE naming its node', () => {
  const cases: Record<string, Uint8Array> = {
    'Gemm weight': simpleGraph([{ opType: 'Gemm', name: 'bad', inputs: ['x', 'W'], outputs: ['y'], attributes: { transB: 1 } }], {
      initializers: [{ name: 'W', dims: [2, 4], data: f32([1, 0, NaN, 1, 0, 1, 1, 0]) }],
    }),
    'Gemm bias': simpleGraph([{ opType: 'Gemm', name: 'bad', inputs: ['x', 'W', 'C'], outputs: ['y'], attributes: { transB: 1 } }], {
      initializers: [
        { name: 'W', dims: [2, 4], data: f32([1, 0, 0, 1, 0, 1, 1, 0]) },
        { name: 'C', dims: [2], data: f32([Infinity, 1]) },
      ],
    }),
    'Add constant': one({ opType: 'Add', inputs: ['x', 'c'] }, [{ name: 'c', dims: [4], data: f32([0, -Infinity, 0, 0]) }]),
    'Clip bound': one({ opType: 'Clip', inputs: ['x', 'lo', 'hi'] }, [
      { name: 'lo', dims: [], data: f32([NaN]) },
      { name: 'hi', dims: [], data: f32([1]) },
    ]),
    'Max constant': one({ opType: 'Max', inputs: ['x', 'c'] }, [{ name: 'c', dims: [4], data: f32([0, NaN, 0, 0]) }]),
    'LeakyRelu alpha': one({ opType: 'LeakyRelu', inputs: ['x'], attributes: { alpha: NaN } }),
    'Elu alpha (piecewise-linear fit)': one({ opType: 'Elu', inputs: ['x'], attributes: { alpha: Infinity } }),
    'MatMulInteger zero point': writeOnnx({
      name: 'mmi',
      inputs: [{ name: 'a', elemType: 'uint8', shape: [1, 2] }],
      outputs: [{ name: 'y', elemType: 'int32', shape: [1, 2] }],
      initializers: [
        { name: 'B', dims: [2, 2], data: [1, 2, 3, 4], elemType: 'uint8' },
        { name: 'az', dims: [], data: [NaN] },
        { name: 'bz', dims: [], data: [3], elemType: 'uint8' },
      ],
      nodes: [{ opType: 'MatMulInteger', name: 'bad', inputs: ['a', 'B', 'az', 'bz'], outputs: ['y'] }],
    }),
  };
  for (const [what, bytes] of Object.entries(cases)) {
    test(what, () => {
      const err = expectCode(() => quantize(bytes), 'WEIGHTS_NOT_FINITE', what);
      assert.match(err.message, /^node 'bad' \(\w+\) has a NaN or infinite weight or constant$/);
      assert.deepEqual(err.details, { node: 'bad' });
    });
  }
});
