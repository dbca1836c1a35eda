/**
 * Ingest: ONNX bytes → graph IR. Shipped models load with the right shapes; symbolic dimensions,
 * constants and constant subgraphs are handled; every bad file becomes a typed error naming the cause.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { onnx } from 'onnx-proto';
import { dimsOption } from '../../src/cli/args';
import { ZkmlError } from '../../src/errors';
import { parseSettings } from '../../src/formats/settings';
import { loadOnnx } from '../../src/onnx/load';
import { DEFAULT_PARSE_LIMITS, parseOnnx } from '../../src/onnx/parse';
import { runFloat } from '../../src/quantize/float-executor';
import { expectCode, f32, readModelBytes, runOrtFloat, seededRng, simpleGraph, withTensorConstant } from '../helpers/onnx-builders';

const W34 = [0.5, -0.25, 1, 0.75, -1, 0.125, 0.5, -0.5, 0.25, 0.25, -0.75, 1];

describe('shipped models load with static shapes', () => {
  test('tiny: x [1,4] → Gemm → Relu → Gemm → y [1,2]; weights are constants, not nodes', () => {
    const g = loadOnnx(readModelBytes('tiny'));
    assert.deepEqual(g.inputs, [{ name: 'x', elemType: 'float32', shape: [1, 4] }]);
    assert.deepEqual(g.outputs, [{ name: 'y', elemType: 'float32', shape: [1, 2] }]);
    assert.deepEqual(
      g.nodes.map((n) => n.opType),
      ['Gemm', 'Relu', 'Gemm'],
    );
    assert.deepEqual(g.shapes.get('h'), [1, 3]);
    assert.deepEqual(g.shapes.get('h_relu'), [1, 3]);
    assert.deepEqual(g.constants.get('W1')?.shape, [3, 4]);
    assert.deepEqual(g.constants.get('W2')?.shape, [2, 3]);
    assert.equal(g.constants.has('x'), false);
  });

  test('tiny-matmul: the symbolic batch dimension is bound to 1 everywhere', () => {
    const g = loadOnnx(readModelBytes('tiny-matmul'));
    assert.deepEqual(g.inputs[0].shape, [1, 4]);
    assert.deepEqual(g.outputs[0].shape, [1, 2]);
    assert.deepEqual(
      g.nodes.map((n) => n.opType),
      ['MatMul', 'Add', 'Relu', 'MatMul'],
    );
    assert.deepEqual(g.shapes.get('xw'), [1, 3]);
    assert.deepEqual(g.shapes.get('h'), [1, 3]);
  });

  test('mnist-mlp: input [1,784] → logits [1,10] with fc1 [32,784] and fc2 [10,32]', () => {
    const g = loadOnnx(readModelBytes('mnist-mlp'));
    assert.deepEqual(
      g.inputs.map((i) => [i.name, i.shape]),
      [['input', [1, 784]]],
    );
    assert.deepEqual(
      g.outputs.map((o) => [o.name, o.shape]),
      [['logits', [1, 10]]],
    );
    assert.deepEqual(
      g.nodes.map((n) => n.opType),
      ['Gemm', 'Relu', 'Gemm'],
    );
    const shapes = [...g.constants.values()].map((t) => t.shape.join('x')).sort();
    assert.deepEqual(shapes, ['10', '10x32', '32', '32x784']);
  });
});

describe('shapes', () => {
  test('a symbolic leading dimension is the batch and is bound to 1', () => {
    const bytes = simpleGraph([{ opType: 'Gemm', name: 'g', inputs: ['x', 'W'], outputs: ['y'], attributes: { transB: 1 } }], {
      xShape: ['N', 4],
      yShape: ['N', 3],
      initializers: [{ name: 'W', dims: [3, 4], data: f32(W34) }],
    });
    const g = loadOnnx(bytes);
    assert.deepEqual(g.inputs[0].shape, [1, 4]);
    assert.deepEqual(g.outputs[0].shape, [1, 3]);
  });

  test('a symbolic non-batch dimension is ONNX_DYNAMIC_SHAPE naming the input', () => {
    const bytes = simpleGraph([{ opType: 'Relu', name: 'r', inputs: ['x'], outputs: ['y'] }], { xShape: [1, 'features'], yShape: [1, 'features'] });
    const err = expectCode(() => loadOnnx(bytes), 'ONNX_DYNAMIC_SHAPE');
    assert.match(err.message, /'x'/);
    assert.match(err.message, /features/);
    assert.equal(err.details?.dim, 'features');
    assert.equal(err.details?.setting, 'dims');
    assert.match(err.message, /--dim features=N/);
  });

  test('the dims setting fixes named symbolic dimensions, also a leading one (over leadingDim)', () => {
    const bytes = simpleGraph([{ opType: 'Relu', name: 'r', inputs: ['x'], outputs: ['y'] }], { xShape: ['batch', 'length', 3], yShape: ['batch', 'length', 3] });
    assert.deepEqual(loadOnnx(bytes, undefined, { leading: 1, named: { length: 5 } }).inputs[0].shape, [1, 5, 3]);
    assert.deepEqual(loadOnnx(bytes, undefined, { leading: 2, named: { length: 5, batch: 4 } }).inputs[0].shape, [4, 5, 3]);
    // A dims entry for another name leaves this one unbound.
    const err = expectCode(() => loadOnnx(bytes, undefined, { leading: 1, named: { other: 2 } }), 'ONNX_DYNAMIC_SHAPE');
    assert.equal(err.details?.dim, 'length');
  });

  test('--dim NAME=N parses to the dims setting; a malformed one is a usage error', () => {
    assert.deepEqual(dimsOption(['length=8', 'heads=2']), { length: 8, heads: 2 });
    assert.equal(dimsOption(undefined), undefined);
    expectCode(() => dimsOption(['length']), 'USAGE');
    expectCode(() => dimsOption(['length=-1']), 'USAGE');
    expectCode(() => parseSettings({ dims: { length: 0 } }), 'SETTINGS_INVALID');
    assert.deepEqual(parseSettings({ dims: { length: 8 } }).dims, { length: 8 });
    assert.equal('dims' in parseSettings({}), false, 'absent by default: settings JSON of existing builds is unchanged');
  });

  test('MatMul with inner dimensions that differ is SHAPE_MISMATCH naming the node', () => {
    const bytes = simpleGraph([{ opType: 'MatMul', name: 'mm_bad', inputs: ['x', 'W'], outputs: ['y'] }], {
      initializers: [{ name: 'W', dims: [3, 2], data: f32([1, 2, 3, 4, 5, 6]) }],
    });
    const err = expectCode(() => loadOnnx(bytes), 'SHAPE_MISMATCH');
    assert.match(err.message, /mm_bad/);
    assert.match(err.message, /4 and 3/);
  });

  test('Add of shapes that do not broadcast is SHAPE_MISMATCH', () => {
    const bytes = simpleGraph([{ opType: 'Add', name: 'add_bad', inputs: ['x', 'b'], outputs: ['y'] }], {
      initializers: [{ name: 'b', dims: [3], data: f32([1, 2, 3]) }],
    });
    expectCode(() => loadOnnx(bytes), 'SHAPE_MISMATCH');
  });

  test('Reshape whose target shape is computed at run time is ONNX_DYNAMIC_SHAPE', () => {
    const bytes = simpleGraph([{ opType: 'Reshape', name: 'reshape_dyn', inputs: ['x', 's'], outputs: ['y'] }], {
      inputs: [
        { name: 'x', elemType: 'float32', shape: [1, 4] },
        { name: 's', elemType: 'float32', shape: [2] },
      ],
    });
    const err = expectCode(() => loadOnnx(bytes), 'ONNX_DYNAMIC_SHAPE');
    assert.match(err.message, /reshape_dyn/);
  });
});

describe('constant folding', () => {
  test('Constant nodes (value_floats, value_ints and TENSOR value) are folded into constants', async () => {
    // x + c1 → Reshape(c2 flat weights, c3 shape) as Gemm weight → y, with c4 a TENSOR-valued Constant bias.
    let bytes = simpleGraph(
      [
        { opType: 'Constant', name: 'c1', inputs: [], outputs: ['shift'], attributes: { value_floats: { type: 'floats', value: [1, 2, 3, 4] } } },
        { opType: 'Add', name: 'add', inputs: ['x', 'shift'], outputs: ['xs'] },
        { opType: 'Constant', name: 'c2', inputs: [], outputs: ['wflat'], attributes: { value_floats: { type: 'floats', value: W34.slice(0, 8) } } },
        { opType: 'Constant', name: 'c3', inputs: [], outputs: ['wshape'], attributes: { value_ints: [2, 4] } },
        { opType: 'Reshape', name: 'reshape_w', inputs: ['wflat', 'wshape'], outputs: ['W'] },
        { opType: 'Gemm', name: 'gemm', inputs: ['xs', 'W', 'bias'], outputs: ['y'], attributes: { transB: 1 } },
      ],
      { yShape: [1, 2] },
    );
    bytes = withTensorConstant(bytes, 'c4', 'bias', [2], [0.5, -1.5]);
    const g = loadOnnx(bytes);
    assert.deepEqual(
      g.nodes.map((n) => n.name),
      ['add', 'gemm'],
      'Constant nodes and the constant Reshape are gone',
    );
    assert.deepEqual(Array.from(g.constants.get('shift')!.data), [1, 2, 3, 4]);
    assert.deepEqual(g.constants.get('W')!.shape, [2, 4]);
    assert.deepEqual(Array.from(g.constants.get('W')!.data), W34.slice(0, 8));
    assert.deepEqual(g.constants.get('bias')!.shape, [2]);
    assert.deepEqual(Array.from(g.constants.get('bias')!.data), [0.5, -1.5]);

    // The folded graph computes what onnxruntime computes.
    const sample = new Map([['x', Float64Array.from([0.5, -1, 0.25, 2])]]);
    const ours = runFloat(g, sample).get('y')!.data;
    const [theirs] = await runOrtFloat(bytes, g.inputs, [sample]);
    Array.from(ours).forEach((v, i) => assert.ok(Math.abs(v - theirs.get('y')![i]) < 1e-5, `y[${i}]: ${v} vs ${theirs.get('y')![i]}`));
  });

  test('a constant-only subgraph (Add of two initializers feeding a Gemm) is folded', async () => {
    const wa = W34;
    const wb = W34.map((v, i) => (i % 3) - v / 2);
    const bytes = simpleGraph(
      [
        { opType: 'Add', name: 'add_weights', inputs: ['Wa', 'Wb'], outputs: ['W'] },
        { opType: 'Relu', name: 'relu_weights', inputs: ['W'], outputs: ['Wr'] },
        { opType: 'Gemm', name: 'gemm', inputs: ['x', 'Wr'], outputs: ['y'], attributes: { transB: 1 } },
      ],
      {
        yShape: [1, 3],
        initializers: [
          { name: 'Wa', dims: [3, 4], data: f32(wa) },
          { name: 'Wb', dims: [3, 4], data: f32(wb) },
        ],
      },
    );
    const g = loadOnnx(bytes);
    assert.deepEqual(
      g.nodes.map((n) => n.name),
      ['gemm'],
    );
    const folded = Array.from(g.constants.get('Wr')!.data);
    folded.forEach((v, i) => assert.ok(Math.abs(v - Math.max(0, Math.fround(wa[i]) + Math.fround(wb[i]))) < 1e-12));
    const sample = new Map([['x', Float64Array.from([0.5, -1, 0.25, 2])]]);
    const ours = runFloat(g, sample).get('y')!.data;
    const [theirs] = await runOrtFloat(bytes, g.inputs, [sample]);
    Array.from(ours).forEach((v, i) => assert.ok(Math.abs(v - theirs.get('y')![i]) < 1e-5));
  });
});

describe('rejections', () => {
  test('unsupported ops: one error naming every offending node and its op type', () => {
    // Random ops can never be proven (the circuit must be a function of its inputs), so they stay
    // outside the allowlist whatever else gets supported.
    const bytes = simpleGraph(
      [
        { opType: 'RandomUniformLike', name: 'noise_a', inputs: ['x'], outputs: ['n1'] },
        { opType: 'Relu', name: 'fine', inputs: ['n1'], outputs: ['r'] },
        { opType: 'Bernoulli', name: 'coin_b', inputs: ['r'], outputs: ['c'] },
        { opType: 'RandomUniformLike', name: 'noise_c', inputs: ['c'], outputs: ['y'] },
      ],
      { yShape: [1, 4] },
    );
    const err = expectCode(() => loadOnnx(bytes), 'ONNX_UNSUPPORTED_OP');
    for (const s of ["'noise_a' (RandomUniformLike)", "'coin_b' (Bernoulli)", "'noise_c' (RandomUniformLike)"]) {
      assert.ok(err.message.includes(s), `message names ${s}: ${err.message}`);
    }
    assert.ok(!err.message.includes("'fine'"), 'a supported node is not listed');
    assert.deepEqual(err.details?.nodes, [
      { name: 'noise_a', opType: 'RandomUniformLike' },
      { name: 'coin_b', opType: 'Bernoulli' },
      { name: 'noise_c', opType: 'RandomUniformLike' },
    ]);
  });

  test('an op from another domain is unsupported, shown with its domain', () => {
    const bytes = simpleGraph([{ opType: 'Relu', name: 'r', inputs: ['x'], outputs: ['y'] }], { yShape: [1, 4] });
    // Same op type, but from a custom domain: never the ONNX Relu.
    const m = onnx.ModelProto.decode(bytes);
    (m.graph as onnx.GraphProto).node[0].domain = 'com.example';
    const err = expectCode(() => loadOnnx(onnx.ModelProto.encode(m).finish()), 'ONNX_UNSUPPORTED_OP');
    assert.match(err.message, /com\.example:Relu/);
  });

  test('a node reading a tensor nothing defines is ONNX_MALFORMED naming node and tensor', () => {
    const bytes = simpleGraph([{ opType: 'Add', name: 'add_ghost', inputs: ['x', 'ghost'], outputs: ['y'] }], { yShape: [1, 4] });
    const err = expectCode(() => loadOnnx(bytes), 'ONNX_MALFORMED');
    assert.match(err.message, /add_ghost/);
    assert.match(err.message, /ghost/);
  });

  test('a graph output no node produces is ONNX_MALFORMED', () => {
    const bytes = simpleGraph([{ opType: 'Relu', name: 'r', inputs: ['x'], outputs: ['z'] }], { yShape: [1, 4] });
    expectCode(() => loadOnnx(bytes), 'ONNX_MALFORMED');
  });

  test('the MNIST model cut at many points is ONNX_MALFORMED, never another error or a crash', () => {
    const bytes = readModelBytes('mnist-mlp');
    const n = bytes.byteLength;
    const cuts = new Set([0, 1, 2, 5, 10, 17, 64, 100, 257, 1000, 4096, Math.floor(n / 3), Math.floor(n / 2), n - 4096, n - 1000, n - 100, n - 17, n - 5, n - 2, n - 1]);
    // Just before the trailing opset_import: the rest decodes as a whole model without an opset.
    cuts.add(n - 6);
    const rng = seededRng(11);
    for (let i = 0; i < 40; i++) cuts.add(Math.floor(rng.next() * n));
    for (const cut of cuts) expectCode(() => loadOnnx(bytes.subarray(0, cut)), 'ONNX_MALFORMED', `cut at ${cut} of ${n}`);
  });

  test('the tiny models cut at every byte are ONNX_MALFORMED', () => {
    for (const name of ['tiny', 'tiny-matmul'] as const) {
      const bytes = readModelBytes(name);
      for (let cut = 0; cut < bytes.byteLength; cut++) expectCode(() => loadOnnx(bytes.subarray(0, cut)), 'ONNX_MALFORMED', `${name} cut at ${cut}`);
    }
  });

  test('random bytes and non-ONNX files are ONNX_MALFORMED', () => {
    const rng = seededRng(2024);
    for (let trial = 0; trial < 300; trial++) {
      const len = 1 + Math.floor(rng.next() * 2048);
      const bytes = Uint8Array.from({ length: len }, () => Math.floor(rng.next() * 256));
      expectCode(() => loadOnnx(bytes), 'ONNX_MALFORMED', `random trial ${trial} (${len} bytes)`);
    }
    for (const text of ['', '{"input_data": [[1, 2, 3]]}', 'PK\u0003\u0004 not a zip either', '\u0000\u0000\u0000\u0000']) {
      expectCode(() => loadOnnx(new TextEncoder().encode(text)), 'ONNX_MALFORMED', JSON.stringify(text));
    }
  });

  test('a model larger than maxBytes is MODEL_TOO_LARGE before any decoding', () => {
    const bytes = readModelBytes('tiny');
    const err = expectCode(() => loadOnnx(bytes, { ...DEFAULT_PARSE_LIMITS, maxBytes: 100 }), 'MODEL_TOO_LARGE');
    assert.match(err.message, new RegExp(`${bytes.byteLength} bytes`));
    // Exactly at the limit is fine.
    assert.doesNotThrow(() => loadOnnx(bytes, { ...DEFAULT_PARSE_LIMITS, maxBytes: bytes.byteLength }));
    // Garbage over the limit is refused for its size, without being decoded.
    expectCode(() => parseOnnx(new Uint8Array(200).fill(0xff), { ...DEFAULT_PARSE_LIMITS, maxBytes: 100 }), 'MODEL_TOO_LARGE');
  });

  test('a tensor with more elements than maxTensorElements is MODEL_TOO_LARGE', () => {
    const err = expectCode(() => loadOnnx(readModelBytes('mnist-mlp'), { ...DEFAULT_PARSE_LIMITS, maxTensorElements: 1000 }), 'MODEL_TOO_LARGE');
    assert.match(err.message, /25088 elements/);
  });

  test('every rejection is a ZkmlError with a stable code', () => {
    const bad = [new Uint8Array([0x0a]), new Uint8Array([0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f])];
    for (const b of bad) {
      assert.throws(
        () => loadOnnx(b),
        (e: unknown) => e instanceof ZkmlError && e.code === 'ONNX_MALFORMED',
      );
    }
  });
});
