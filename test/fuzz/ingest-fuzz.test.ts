/**
 * Bounded fuzzing of everything a user hands the compiler and prover before a circuit runs: ONNX
 * bytes (byte-level and structure-level mutants of real models) and input documents. Every case must
 * end in a result or a ZkmlError with a documented code: no other exception, no INTERNAL, and no
 * case slower than a second (a parser that loops on crafted lengths would show here).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { onnx } from 'onnx-proto';
import { ERROR_CODES, ZkmlError } from '../../src/errors';
import type { Graph } from '../../src/formats/graph';
import { loadOnnx } from '../../src/onnx/load';
import { DEFAULT_PARSE_LIMITS } from '../../src/onnx/parse';
import { writeOnnx } from '../../src/onnx/writer';
import { quantizeSample } from '../../src/quantize/codec';
import { readInput } from '../../src/formats/input-document';
import { quantizeGraph } from '../../src/quantize/quantize';
import { parseSettings } from '../../src/formats/settings';
import { corpusDir } from '../../tools/corpus/run-corpus-model';
import { expectCode, readModelBytes, seededRng, ShippedModel } from '../helpers/onnx-builders';

// A hang detector, not a speed target: a case takes milliseconds, and the suite runs two files at a time.
const SLOW_MS = 2000;

interface Outcome {
  ok: number;
  codes: Map<string, number>;
}

/** Runs one case; returns the error code (or 'ok'); fails the test on anything but a ZkmlError. */
function expectTyped(what: string, fn: () => unknown, outcome: Outcome): void {
  const t0 = Date.now();
  try {
    fn();
    outcome.ok++;
  } catch (err) {
    assert.ok(err instanceof ZkmlError, `${what}: untyped ${String((err as Error)?.stack ?? err)}`);
    assert.ok(err.code in ERROR_CODES && err.code !== 'INTERNAL', `${what}: code ${err.code}`);
    outcome.codes.set(err.code, (outcome.codes.get(err.code) ?? 0) + 1);
  }
  assert.ok(Date.now() - t0 < SLOW_MS, `${what}: took ${Date.now() - t0} ms`);
}

/** Ingest as the compiler does it: decode, validate, then quantize (which checks shapes and values). */
function ingest(bytes: Uint8Array): Graph {
  const graph = loadOnnx(bytes);
  quantizeGraph(graph, parseSettings({}), []);
  return graph;
}

function seeds(): Array<{ name: string; bytes: Uint8Array }> {
  const shipped: ShippedModel[] = ['tiny', 'tiny-matmul', 'mnist-mlp'];
  const out: Array<{ name: string; bytes: Uint8Array }> = shipped.map((name) => ({ name, bytes: readModelBytes(name) }));
  // A few real corpus models with other ops, when the corpus is beside the repo.
  for (const rel of ['ezkl/1l_conv', 'ezkl/1l_average', 'ezkl/2l_relu_sigmoid_small', 'ezkl/1l_batch_norm']) {
    const file = path.join(corpusDir(), rel, 'network.onnx');
    if (fs.existsSync(file)) out.push({ name: rel, bytes: fs.readFileSync(file) });
  }
  return out;
}

function report(t: { diagnostic(s: string): void }, o: Outcome): void {
  t.diagnostic(`loaded ${o.ok}; refused: ${[...o.codes].map(([c, n]) => `${c} ${n}`).join(', ')}`);
}

describe('fuzzing: ONNX ingest', () => {
  test('byte-level mutants (flips, truncations, insertions, splices) load or fail with a typed error', (t) => {
    const rng = seededRng(7);
    const outcome: Outcome = { ok: 0, codes: new Map() };
    for (const seed of seeds()) {
      for (let i = 0; i < 250; i++) {
        const b = Buffer.from(seed.bytes);
        let m: Uint8Array;
        const kind = rng.int(0, 4);
        if (kind === 0) {
          for (let f = rng.int(1, 8); f > 0; f--) b[rng.int(0, b.length - 1)] ^= 1 << rng.int(0, 7);
          m = b;
        } else if (kind === 1) {
          m = b.subarray(0, rng.int(0, b.length - 1));
        } else if (kind === 2) {
          const at = rng.int(0, b.length);
          const junk = Buffer.from(Array.from({ length: rng.int(1, 64) }, () => rng.int(0, 255)));
          m = Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
        } else if (kind === 3) {
          const from = rng.int(0, b.length - 1);
          const len = rng.int(1, Math.min(256, b.length - from));
          const at = rng.int(0, b.length);
          m = Buffer.concat([b.subarray(0, at), b.subarray(from, from + len), b.subarray(at)]);
        } else {
          m = Buffer.from(Array.from({ length: rng.int(0, 512) }, () => rng.int(0, 255)));
        }
        expectTyped(`${seed.name} byte mutant ${i} (kind ${kind})`, () => ingest(m), outcome);
      }
    }
    report(t, outcome);
    assert.ok(outcome.codes.size >= 2, 'mutants reach more than one check');
  });

  test('structure-level mutants (dims, types, op names, attributes, wiring) load or fail with a typed error', (t) => {
    const rng = seededRng(11);
    const outcome: Outcome = { ok: 0, codes: new Map() };
    const pick = <T>(xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)];
    const weirdInts = [0, -1, -7, 1, 3, 2 ** 31 - 1, 2 ** 40, 1e15];
    for (const seed of seeds()) {
      for (let i = 0; i < 120; i++) {
        const model = onnx.ModelProto.decode(seed.bytes);
        const g = model.graph as onnx.GraphProto;
        const mutation = rng.int(0, 7);
        const node = g.node.length > 0 ? g.node[rng.int(0, g.node.length - 1)] : undefined;
        const init = g.initializer.length > 0 ? g.initializer[rng.int(0, g.initializer.length - 1)] : undefined;
        switch (mutation) {
          case 0:
            if (init?.dims && init.dims.length > 0) init.dims[rng.int(0, init.dims.length - 1)] = pick(weirdInts);
            break;
          case 1:
            if (init) init.dataType = rng.int(0, 20);
            break;
          case 2:
            if (node) node.opType = pick(['', 'Foo', 'Conv', 'Relu', 'Loop', 'If', 'Scan', 'MatMul', 'ArgMax', 'NonZero']);
            break;
          case 3:
            if (node?.input && node.input.length > 0) node.input[rng.int(0, node.input.length - 1)] = pick(['', 'nowhere', g.output[0]?.name ?? 'y']);
            break;
          case 4:
            if (node)
              (node.attribute ??= []).push(
                onnx.AttributeProto.create({
                  name: pick(['axis', 'pads', 'strides', 'group', 'perm', 'alpha']),
                  type: rng.int(0, 10),
                  i: pick(weirdInts),
                  ints: [pick(weirdInts)],
                  f: pick([NaN, Infinity, -1, 0]),
                }),
              );
            break;
          case 5: {
            const vi = pick([...g.input, ...g.output]);
            const dims = (vi?.type?.tensorType?.shape?.dim ?? []) as onnx.TensorShapeProto.IDimension[];
            if (dims.length > 0) dims[rng.int(0, dims.length - 1)] = pick([{ dimValue: pick(weirdInts) }, { dimParam: 'n' }, {}]);
            break;
          }
          case 6:
            if (init) {
              const raw = init.rawData && init.rawData.length > 0 ? Buffer.from(init.rawData) : undefined;
              if (raw) {
                // NaN and infinities in the weights.
                for (let k = 0; k + 4 <= raw.length; k += 4) if (rng.int(0, 3) === 0) raw.writeFloatLE(pick([NaN, Infinity, -Infinity, 1e38]), k);
                init.rawData = raw;
              } else init.floatData = (init.floatData ?? []).map(() => pick([NaN, Infinity, 1e38]));
            }
            break;
          default:
            if (node) g.node.push(onnx.NodeProto.create({ ...node, name: `${node.name}_dup` }));
        }
        const bytes = onnx.ModelProto.encode(model).finish();
        if (process.env.FUZZ_TRACE) console.error(`${seed.name} structure mutant ${i} (kind ${mutation})`);
        expectTyped(`${seed.name} structure mutant ${i} (kind ${mutation})`, () => ingest(bytes), outcome);
      }
    }
    report(t, outcome);
    assert.ok(outcome.codes.size >= 3, 'mutants reach several checks');
  });
});

describe('fuzzing: input documents', () => {
  test('random JSON values as inputs are read or refused with a typed error', (t) => {
    const rng = seededRng(13);
    const graph = loadOnnx(readModelBytes('tiny'));
    const model = quantizeGraph(graph, parseSettings({}), []);
    const outcome: Outcome = { ok: 0, codes: new Map() };
    const scalars: unknown[] = [0, 0.5, -1, 1e308, -1e308, NaN, Infinity, 'NaN', '1', '', null, true, {}, [], 2 ** 53, -0];
    const randomValue = (depth: number): unknown => {
      const kind = rng.int(0, depth > 2 ? 0 : 3);
      if (kind === 0) return scalars[rng.int(0, scalars.length - 1)];
      if (kind === 1) return Array.from({ length: rng.int(0, 6) }, () => randomValue(depth + 1));
      if (kind === 2) return { input_data: randomValue(depth + 1) };
      return Object.fromEntries(Array.from({ length: rng.int(0, 3) }, () => [pick(['input_data', 'x', 'inputs', '__proto__', 'constructor']), randomValue(depth + 1)]));
    };
    const pick = (xs: string[]) => xs[rng.int(0, xs.length - 1)];
    for (let i = 0; i < 3000; i++) {
      // Half the cases are near-valid: the right shape with one bad element.
      let doc: unknown;
      if (i % 2 === 0) {
        const row = [0.1, -0.2, 0.3, 0.4] as unknown[];
        row[rng.int(0, 3)] = scalars[rng.int(0, scalars.length - 1)];
        doc = { input_data: [row] };
      } else doc = randomValue(0);
      expectTyped(`input document ${i}: ${JSON.stringify(doc)?.slice(0, 80)}`, () => quantizeSample(model, readInput(doc, graph.inputs)), outcome);
    }
    report(t, outcome);
    for (const code of ['INPUT_INVALID', 'INPUT_NOT_FINITE', 'INPUT_OUT_OF_RANGE']) assert.ok(outcome.codes.has(code), `some documents are refused with ${code}`);
  });
});

describe('fuzzing: large graphs are refused (or handled) quickly', () => {
  /** The 5 s is a hang guard: before the count limits, a 100k-node file ran past 120 s at 1.25 GB. */
  const HANG_MS = 5000;
  const x = { name: 'x', elemType: 'float32' as const, shape: [1, 4] };
  const y = { name: 'y', elemType: 'float32' as const, shape: [1, 4] };
  const reluChain = (n: number): Uint8Array =>
    writeOnnx({
      name: 'chain',
      inputs: [x],
      outputs: [y],
      nodes: Array.from({ length: n }, (_, i) => ({ opType: 'Relu', name: `r${i}`, inputs: [i === 0 ? 'x' : `t${i - 1}`], outputs: [i === n - 1 ? 'y' : `t${i}`] })),
    });

  function refusedQuickly(what: string, bytes: Uint8Array, unit: string, count: number, limit: number): void {
    const t0 = Date.now();
    const err = expectCode(() => ingest(bytes), 'MODEL_TOO_LARGE', what);
    assert.deepEqual([err.details?.unit, err.details?.count, err.details?.limit], [unit, count, limit], `${what}: ${err.message}`);
    assert.ok(Date.now() - t0 < HANG_MS, `${what}: refused after ${Date.now() - t0} ms`);
  }

  test('10k, 20k and 100k Relu nodes: MODEL_TOO_LARGE with the node count and the limit, before any lowering', () => {
    for (const n of [10_000, 20_000, 100_000]) refusedQuickly(`${n} nodes`, reluChain(n), 'nodes', n, DEFAULT_PARSE_LIMITS.maxNodes);
  });

  test('10k graph inputs, one node with 30k inputs, 6k initializers: refused by their own limits', () => {
    const manyInputs = Array.from({ length: 10_000 }, (_, i) => ({ name: `x${i}`, elemType: 'float32' as const, shape: [1, 4] }));
    refusedQuickly(
      '10k graph inputs',
      writeOnnx({ name: 'inputs', inputs: manyInputs, outputs: [y], nodes: [{ opType: 'Sum', name: 'sum', inputs: manyInputs.map((i) => i.name), outputs: ['y'] }] }),
      'graph inputs',
      10_000,
      DEFAULT_PARSE_LIMITS.maxGraphInputs,
    );
    refusedQuickly(
      'a node with 30k inputs',
      writeOnnx({ name: 'wide', inputs: [x], outputs: [y], nodes: [{ opType: 'Sum', name: 'sum', inputs: new Array<string>(30_000).fill('x'), outputs: ['y'] }] }),
      'edges',
      30_001,
      DEFAULT_PARSE_LIMITS.maxEdges,
    );
    const initializers = Array.from({ length: 6000 }, (_, i) => ({ name: `w${i}`, dims: [1, 4], data: [0, 0, 0, 0] }));
    refusedQuickly(
      '6k initializers',
      writeOnnx({ name: 'weights', inputs: [x], outputs: [y], initializers, nodes: [{ opType: 'Sum', name: 'sum', inputs: ['x', ...initializers.map((w) => w.name)], outputs: ['y'] }] }),
      'initializers',
      6000,
      DEFAULT_PARSE_LIMITS.maxInitializers,
    );
  });

  test('a chain at the node limit is handled (ingested and quantized) quickly', () => {
    const t0 = Date.now();
    const graph = ingest(reluChain(DEFAULT_PARSE_LIMITS.maxNodes));
    assert.equal(graph.nodes.length, DEFAULT_PARSE_LIMITS.maxNodes);
    assert.ok(Date.now() - t0 < HANG_MS, `took ${Date.now() - t0} ms`);
  });
});
