import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { readEzklInput } from '../../models/ezkl-json';
import { loadMnistSplit, MNIST_PIXELS, MNIST_TEST_SIZE } from '../../models/mnist-mlp/dataset';
import { packageRoot } from '../../src/package-root';
import { ZkmlError } from '../../src/errors';
import { writeOnnx } from '../../src/onnx/writer';

const MODELS = path.join(packageRoot(), 'models');

interface Shipped {
  name: string;
  input: string;
  output: string;
  /** Input shape as fed for one sample, and the expected output shape. */
  inputShape: number[];
  outputShape: number[];
  calibrationSamples: number;
  range: [number, number];
}

const SHIPPED: Shipped[] = [
  { name: 'mnist-mlp', input: 'input', output: 'logits', inputShape: [1, 784], outputShape: [1, 10], calibrationSamples: 256, range: [0, 1] },
  { name: 'tiny', input: 'x', output: 'y', inputShape: [1, 4], outputShape: [1, 2], calibrationSamples: 32, range: [-1, 1] },
  { name: 'tiny-matmul', input: 'x', output: 'y', inputShape: [1, 4], outputShape: [1, 2], calibrationSamples: 32, range: [-1, 1] },
  { name: 'transformer-encoder', input: 'x', output: 'y', inputShape: [1, 4, 8], outputShape: [1, 10], calibrationSamples: 32, range: [-1, 1] },
  { name: 'gru-sequence', input: 'x', output: 'logits', inputShape: [1, 7, 7], outputShape: [1, 10], calibrationSamples: 128, range: [0, 1] },
];

function assertSamples(samples: number[][], count: number, size: number, [lo, hi]: [number, number]): void {
  assert.equal(samples.length, count);
  for (const s of samples) {
    assert.equal(s.length, size);
    assert.ok(
      s.every((v) => Number.isFinite(v) && v >= lo && v <= hi),
      `values within [${lo}, ${hi}]`,
    );
  }
}

describe('shipped models', () => {
  for (const m of SHIPPED) {
    test(`${m.name}: model.onnx runs input.json in onnxruntime; input files have the documented shape`, async () => {
      const dir = path.join(MODELS, m.name);
      const size = m.inputShape.slice(1).reduce((a, b) => a * b, 1);
      const input = readEzklInput(path.join(dir, 'input.json')).input_data;
      assertSamples(input, 1, size, m.range);
      assertSamples(readEzklInput(path.join(dir, 'calibration.json')).input_data, m.calibrationSamples, size, m.range);

      const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'));
      try {
        assert.deepEqual(session.inputNames, [m.input]);
        assert.deepEqual(session.outputNames, [m.output]);
        const out = await session.run({ [m.input]: new ort.Tensor('float32', Float32Array.from(input[0]), m.inputShape) });
        assert.deepEqual(out[m.output].dims, m.outputShape);
        assert.ok(Array.from(out[m.output].data as Float32Array).every(Number.isFinite));
      } finally {
        await session.release();
      }
    });
  }

  test('loadMnistSplit is deterministic: 9,000 train and 1,000 test digits, pixels in [0, 1]', () => {
    const a = loadMnistSplit();
    const b = loadMnistSplit();
    assert.equal(a.train.length, 9000);
    assert.equal(a.test.length, MNIST_TEST_SIZE);
    assert.deepEqual(
      a.test.map((d) => d.label),
      b.test.map((d) => d.label),
    );
    assert.deepEqual(a.test[0].pixels, b.test[0].pixels);
    assertSamples(
      a.test.map((d) => d.pixels),
      MNIST_TEST_SIZE,
      MNIST_PIXELS,
      [0, 1],
    );
    // input.json is the first held-out digit.
    assert.deepEqual(readEzklInput(path.join(MODELS, 'mnist-mlp', 'input.json')).input_data[0], a.test[0].pixels);
  });

  test('mnist-mlp classifies more than 90% of the first 200 held-out digits in onnxruntime', async () => {
    const digits = loadMnistSplit().test.slice(0, 200);
    const data = new Float32Array(digits.length * MNIST_PIXELS);
    digits.forEach((d, n) => data.set(d.pixels, n * MNIST_PIXELS));
    const session = await ort.InferenceSession.create(path.join(MODELS, 'mnist-mlp', 'model.onnx'));
    try {
      const out = await session.run({ input: new ort.Tensor('float32', data, [digits.length, MNIST_PIXELS]) });
      const logits = out.logits.data as Float32Array;
      let correct = 0;
      digits.forEach((d, n) => {
        const row = Array.from(logits.subarray(n * 10, n * 10 + 10));
        if (row.indexOf(Math.max(...row)) === d.label) correct++;
      });
      assert.ok(correct / digits.length > 0.9, `accuracy ${correct}/${digits.length}`);
    } finally {
      await session.release();
    }
  });
});

/** decode() builds class instances; the generated typings only promise the optional I* interfaces. */
function decodeGraph(bytes: Uint8Array): onnx.GraphProto {
  return onnx.ModelProto.decode(bytes).graph as onnx.GraphProto;
}

function attributesOf(graph: onnx.GraphProto): Map<string, onnx.AttributeProto> {
  const attrs = graph.node[0].attribute as onnx.AttributeProto[];
  return new Map(attrs.map((a) => [a.name, a]));
}

describe('ONNX writer', () => {
  const bytes = writeOnnx({
    name: 'writer-test',
    inputs: [{ name: 'x', elemType: 'float32', shape: ['batch', 2] }],
    outputs: [{ name: 'y', elemType: 'float32', shape: ['batch', 3] }],
    initializers: [
      { name: 'W', dims: [3, 2], data: Float32Array.from([1.5, -2, 0.25, 0, 1, -1]) },
      { name: 'b', dims: [3], data: Float32Array.from([0.5, 0, -0.5]) },
    ],
    nodes: [
      {
        opType: 'Gemm',
        name: 'gemm',
        inputs: ['x', 'W', 'b'],
        outputs: ['y'],
        attributes: { alpha: 2, beta: 0.5, transB: 1 },
      },
    ],
  });

  test('writes ir_version 8, producer zkml, opset 13 and a symbolic batch dimension', () => {
    const model = onnx.ModelProto.decode(bytes);
    assert.equal(Number(model.irVersion), 8);
    assert.equal(model.producerName, 'zkml');
    assert.equal(model.opsetImport.length, 1);
    assert.equal(model.opsetImport[0].domain, '');
    assert.equal(Number(model.opsetImport[0].version), 13);
    const tensorType = decodeGraph(bytes).input[0].type?.tensorType;
    const dims = tensorType?.shape?.dim ?? [];
    assert.equal(dims.length, 2);
    assert.equal(dims[0].dimParam, 'batch');
    assert.equal(Number(dims[1].dimValue), 2);
    assert.equal(tensorType?.elemType, onnx.TensorProto.DataType.FLOAT);
  });

  test('integer attributes are INT, alpha/beta are FLOAT even when whole numbers', () => {
    const byName = attributesOf(decodeGraph(bytes));
    const T = onnx.AttributeProto.AttributeType;
    assert.equal(byName.get('transB')!.type, T.INT);
    assert.equal(Number(byName.get('transB')!.i), 1);
    assert.equal(byName.get('alpha')!.type, T.FLOAT);
    assert.equal(byName.get('alpha')!.f, 2);
    assert.equal(byName.get('beta')!.type, T.FLOAT);
    assert.equal(byName.get('beta')!.f, 0.5);
  });

  test('list, string and explicitly typed attributes', () => {
    const graph = decodeGraph(
      writeOnnx({
        name: 'attrs',
        inputs: [{ name: 'x', elemType: 'float32', shape: [2, 3] }],
        outputs: [{ name: 'y', elemType: 'float32', shape: [3, 2] }],
        nodes: [
          {
            opType: 'Transpose',
            name: 't',
            inputs: ['x'],
            outputs: ['y'],
            attributes: { perm: [1, 0], scales: [0.5, 2], mode: 'edge', gain: { type: 'float', value: 3 } },
          },
        ],
      }),
    );
    const byName = attributesOf(graph);
    const T = onnx.AttributeProto.AttributeType;
    assert.equal(byName.get('perm')!.type, T.INTS);
    assert.deepEqual(byName.get('perm')!.ints.map(Number), [1, 0]);
    assert.equal(byName.get('scales')!.type, T.FLOATS);
    assert.deepEqual(byName.get('scales')!.floats, [0.5, 2]);
    assert.equal(byName.get('mode')!.type, T.STRING);
    assert.equal(Buffer.from(byName.get('mode')!.s).toString(), 'edge');
    assert.equal(byName.get('gain')!.type, T.FLOAT);
    assert.equal(byName.get('gain')!.f, 3);
  });

  test('initializers are FLOAT tensors with little-endian raw_data', () => {
    const [w, b] = decodeGraph(bytes).initializer as onnx.TensorProto[];
    assert.equal(w.name, 'W');
    assert.deepEqual(w.dims.map(Number), [3, 2]);
    assert.equal(w.dataType, onnx.TensorProto.DataType.FLOAT);
    assert.equal(w.floatData.length, 0);
    // 1.5 = 0x3fc00000, -2 = 0xc0000000: least significant byte first.
    assert.deepEqual(Array.from(w.rawData.subarray(0, 8)), [0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0]);
    const view = new DataView(w.rawData.buffer, w.rawData.byteOffset, w.rawData.byteLength);
    assert.deepEqual(
      Array.from({ length: 6 }, (_, i) => view.getFloat32(4 * i, true)),
      [1.5, -2, 0.25, 0, 1, -1],
    );
    assert.equal(b.rawData.byteLength, 12);
  });

  test('int64 initializers are 8 little-endian bytes per value', () => {
    const written = writeOnnx({
      name: 'int64',
      inputs: [{ name: 'x', elemType: 'float32', shape: [1, 4] }],
      outputs: [{ name: 'y', elemType: 'float32', shape: [2, 2] }],
      initializers: [{ name: 'shape', dims: [2], data: [2, -1], elemType: 'int64' }],
      nodes: [{ opType: 'Reshape', name: 'reshape', inputs: ['x', 'shape'], outputs: ['y'] }],
    });
    const [t] = decodeGraph(written).initializer as onnx.TensorProto[];
    assert.equal(t.dataType, onnx.TensorProto.DataType.INT64);
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    assert.equal(t.rawData.byteLength, 16);
    assert.deepEqual([view.getBigInt64(0, true), view.getBigInt64(8, true)], [2n, -1n]);
  });

  test('onnxruntime runs the written graph with Gemm semantics y = 2·x·Wᵀ + 0.5·b', async () => {
    const session = await ort.InferenceSession.create(bytes);
    try {
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [2, 2]) });
      assert.deepEqual(out.y.dims, [2, 3]);
      // Row [1, 2]: x·Wᵀ = [1.5 - 4, 0.25, 1 - 2] = [-2.5, 0.25, -1] → 2·that + [0.25, 0, -0.25].
      // Row [3, 4]: x·Wᵀ = [4.5 - 8, 0.75, 3 - 4] = [-3.5, 0.75, -1].
      assert.deepEqual(Array.from(out.y.data as Float32Array), [-4.75, 0.5, -2.25, -6.75, 1.5, -2.25]);
    } finally {
      await session.release();
    }
  });

  test('refuses an initializer whose dims do not match its data', () => {
    assert.throws(
      () =>
        writeOnnx({
          name: 'bad',
          inputs: [],
          outputs: [],
          initializers: [{ name: 'W', dims: [2, 2], data: new Float32Array(3) }],
          nodes: [],
        }),
      (err: unknown) => err instanceof ZkmlError && err.code === 'SHAPE_MISMATCH',
    );
  });
});
