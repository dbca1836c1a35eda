/**
 * ReduceL1, ReduceL2 and ReduceSumSquare (issue 14, item 3), expanded at ingest into Abs / Pow 2,
 * ReduceSum and Sqrt (src/onnx/expand-reduce.ts), and ReduceLogSumExp (its own family: max,
 * exp of x − max, sum, log; src/quantize/lower/reduce-log-sum-exp.ts): float = onnxruntime (axes as an attribute, opset
 * 13, and as an input, opset 18); the integer model within its static bound of onnxruntime; a
 * circuit equal to the reference with a pinned count; run-time axes refused. Hardmax (expand-hardmax.ts):
 * the one-hot of the first largest element, exact, against onnxruntime.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Graph } from '../../src/formats/graph';
import { sizeOf } from '../../src/formats/graph';
import type { InputSample } from '../../src/formats/input-document';
import { parseSettings } from '../../src/formats/settings';
import { loadOnnx } from '../../src/onnx/load';
import { writeOnnx } from '../../src/onnx/writer';
import { quantizeSample } from '../../src/quantize/codec';
import { quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { checkCompiledCircuit } from '../helpers/compiled-circuit-check';
import { expectCode, randomInRange, Rng, runOrtFloat, seededRng } from '../helpers/onnx-builders';
import { assertWithinStaticBound } from '../helpers/within-static-bound';
import { assertFloatEqualsOrt } from '../helpers/float-vs-ort';

function build(opType: string, opset: number, axesAsInput: boolean, keepdims = 1): Uint8Array {
  return writeOnnx({
    name: 'reduce-norms',
    opset,
    inputs: [{ name: 'x', elemType: 'float32', shape: [1, 3, 4] }],
    outputs: [{ name: 'y', elemType: 'float32', shape: keepdims ? [1, 3, 1] : [1, 3] }],
    nodes: [
      ...(axesAsInput ? [{ opType: 'Constant', name: 'axes_0', inputs: [], outputs: ['axes'], attributes: { value_ints: [-1] } }] : []),
      { opType, name: `${opType}_0`, inputs: axesAsInput ? ['x', 'axes'] : ['x'], outputs: ['y'], attributes: axesAsInput ? { keepdims } : { axes: [-1], keepdims } },
    ],
  });
}

function samples(graph: Graph, rng: Rng, n: number): InputSample[] {
  return Array.from({ length: n }, () => new Map(graph.inputs.map((i) => [i.name, Float64Array.from({ length: sizeOf(i.shape) }, () => Math.fround(rng.uniform(-2, 2)))])));
}

describe('ReduceL1, ReduceL2, ReduceSumSquare', () => {
  for (const opType of ['ReduceL1', 'ReduceL2', 'ReduceLogSumExp', 'ReduceSumSquare']) {
    for (const [opset, axesAsInput, keepdims] of [
      [13, false, 1],
      [18, true, 0],
    ] as const) {
      test(`${opType} (opset ${opset}, keepdims ${keepdims}): float = onnxruntime, integer model within its bound`, async () => {
        const rng = seededRng(77);
        const bytes = build(opType, opset, axesAsInput, keepdims);
        const graph = loadOnnx(bytes);
        await assertFloatEqualsOrt(bytes, graph, samples(graph, rng, 6), 1e-5);
        const model = quantizeGraph(graph, parseSettings({}), samples(graph, rng, 16));
        const inRange = Array.from({ length: 30 }, () => randomInRange(model, rng));
        const want = await runOrtFloat(bytes, graph.inputs, inRange);
        const out = model.outputs[0];
        inRange.forEach((s, k) => {
          const ints = runReference(model, quantizeSample(model, s))[out.tensor];
          want[k].get('y')!.forEach((w, i) => {
            const err = Math.abs(Number(ints[i]) / 2 ** out.scaleBits - w);
            assert.ok(err <= out.errorBound + 1e-5 * Math.max(1, Math.abs(w)), `y[${i}]: error ${err} > bound ${out.errorBound}`);
          });
        });
      });
    }
  }

  test('axes computed at run time are refused', () => {
    const bytes = writeOnnx({
      name: 'reduce-norms',
      opset: 18,
      inputs: [
        { name: 'x', elemType: 'float32', shape: [1, 3, 4] },
        { name: 'a', elemType: 'int64', shape: [1] },
      ],
      outputs: [{ name: 'y', elemType: 'float32', shape: [1, 3, 1] }],
      nodes: [{ opType: 'ReduceL2', name: 'l2', inputs: ['x', 'a'], outputs: ['y'], attributes: {} }],
    });
    expectCode(() => loadOnnx(bytes), 'ONNX_DYNAMIC_SHAPE');
  });

  test('ReduceL2 circuit', async () => {
    const rng = seededRng(78);
    const bytes = build('ReduceL2', 13, false);
    const graph = loadOnnx(bytes);
    const calibration = samples(graph, rng, 16).map((s) => Object.fromEntries([...s].map(([k, v]) => [k, Array.from(v)])));
    await checkCompiledCircuit({ bytes, samples: calibration, expectConstraints: 558, rng, label: 'reduce-norms' });
  });
});

describe('ReduceLogSumExp over several axes', () => {
  const build = (keepdims: number, axes: number[], outShape: number[]) =>
    writeOnnx({
      name: 'reduce-log-sum-exp',
      opset: 18,
      inputs: [{ name: 'x', elemType: 'float32', shape: [1, 2, 3, 4] }],
      outputs: [{ name: 'y', elemType: 'float32', shape: outShape }],
      nodes: [
        { opType: 'Constant', name: 'axes_0', inputs: [], outputs: ['axes'], attributes: { value_ints: axes } },
        { opType: 'ReduceLogSumExp', name: 'lse', inputs: ['x', 'axes'], outputs: ['y'], attributes: { keepdims } },
      ],
    });
  /** The tolerance docs/activations.md states at default settings for inputs in [−2, 2]. */
  const TOLERANCE = 0.05;

  for (const [keepdims, axes, outShape] of [
    [1, [1, 3], [1, 1, 3, 1]],
    [0, [0, 2, 3], [2]],
  ] as const) {
    test(`axes [${axes}], keepdims ${keepdims}: within its static bound and ${TOLERANCE} of onnxruntime`, async (t) => {
      const rng = seededRng(95 + keepdims);
      const bytes = build(keepdims, [...axes], [...outShape]);
      const graph = loadOnnx(bytes);
      await assertFloatEqualsOrt(bytes, graph, samples(graph, rng, 6), 1e-5);
      const model = quantizeGraph(graph, parseSettings({}), samples(graph, rng, 16));
      const worst = await assertWithinStaticBound(
        bytes,
        graph.inputs,
        model,
        Array.from({ length: 30 }, () => randomInRange(model, rng)),
      );
      assert.ok(worst <= TOLERANCE, `worst error ${worst} > ${TOLERANCE}`);
      t.diagnostic(`worst |error| ${worst}, static bound ${model.outputs[0].errorBound}`);
    });
  }

  test('ReduceLogSumExp circuit', async () => {
    const rng = seededRng(97);
    const bytes = build(0, [0, 2, 3], [2]);
    const graph = loadOnnx(bytes);
    const calibration = samples(graph, rng, 16).map((s) => Object.fromEntries([...s].map(([k, v]) => [k, Array.from(v)])));
    await checkCompiledCircuit({ bytes, samples: calibration, expectConstraints: 1858, rng, label: 'reduce-log-sum-exp' });
  });
});

describe('Hardmax', () => {
  const build = (axis: number, opset = 13) =>
    writeOnnx({
      name: 'hardmax',
      opset,
      inputs: [{ name: 'x', elemType: 'float32', shape: [1, 2, 5] }],
      outputs: [{ name: 'y', elemType: 'float32', shape: [1, 2, 5] }],
      nodes: [{ opType: 'Hardmax', name: 'hm', inputs: ['x'], outputs: ['y'], attributes: { axis } }],
    });

  test('the one-hot of the first largest element equals onnxruntime, ties included; static bound 0 on exact inputs', async () => {
    const bytes = build(-1);
    const graph = loadOnnx(bytes);
    const rng = seededRng(90);
    const model = quantizeGraph(graph, parseSettings({}), samples(graph, rng, 16));
    const scale = 2 ** model.inputs[0].scaleBits;
    // On the input grid (so quantization is exact), with ties: values from a few grid points.
    const inputs: InputSample[] = Array.from({ length: 20 }, () => new Map([['x', Float64Array.from({ length: 10 }, () => Math.floor(rng.uniform(-3, 3)) / scale)]]));
    const ort = await runOrtFloat(bytes, graph.inputs, inputs);
    inputs.forEach((s, k) => {
      const ints = runReference(model, quantizeSample(model, s))[model.outputs[0].tensor];
      assert.deepEqual(
        ints.map((v) => Number(v) / 2 ** model.outputs[0].scaleBits),
        Array.from(ort[k].get('y')!),
      );
    });
  });

  test('an axis other than the last is refused naming it', () => {
    const err = expectCode(() => loadOnnx(build(1, 11)), 'ONNX_UNSUPPORTED_ATTRIBUTE');
    assert.match(err.message, /axis/);
  });

  test('Hardmax circuit', async () => {
    const rng = seededRng(91);
    const bytes = build(-1);
    const graph = loadOnnx(bytes);
    const calibration = samples(graph, rng, 16).map((s) => Object.fromEntries([...s].map(([k, v]) => [k, Array.from(v)])));
    await checkCompiledCircuit({ bytes, samples: calibration, expectConstraints: 200, rng, label: 'hardmax' });
  });
});
