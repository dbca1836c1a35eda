/**
 * Division by a run-time value whose range contains 0 (issue 14, item 1): Div, Reciprocal and
 * Pow(x, p < 0) get the exact quotient layer (src/quantize/lower/quotient.ts, circuits/divide.circom),
 * which proves the divisor nonzero. The integer quotient is round(N / D) halves up; the integer
 * model stays within its static bound of onnxruntime wherever the quantized divisor is nonzero and
 * refuses (no witness, INPUT_OUT_OF_RANGE in the reference) where it is 0; circuits equal the
 * reference, refuse a changed output, and their constraint counts are pinned.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computeWitness, verifyWitness } from '../../src/compiler/r1cs-check';
import type { Graph } from '../../src/formats/graph';
import { sizeOf } from '../../src/formats/graph';
import type { InputSample } from '../../src/formats/input-document';
import type { QuantizedModel } from '../../src/formats/quantized-model';
import { parseSettings } from '../../src/formats/settings';
import { loadOnnx } from '../../src/onnx/load';
import { NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { divideRound, moduloOf } from '../../src/quantize/fixed-point';
import { quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { checkCompiledCircuit } from '../helpers/compiled-circuit-check';
import { expectCode, randomInRange, Rng, runOrtFloat, seededRng } from '../helpers/onnx-builders';

interface Case {
  nodes: NodeSpec[];
  inputs?: Record<string, number[]>;
  inits?: Record<string, { dims: number[]; data: number[] }>;
  range: [number, number];
}

const node = (opType: string, inputs: string[], output: string): NodeSpec => ({ opType, name: `${opType.toLowerCase()}_${output}`, inputs, outputs: [output], attributes: {} });

function build(c: Case): Uint8Array {
  const inputs = c.inputs ?? { x: [1, 4] };
  return writeOnnx({
    name: 'ops-quotient',
    opset: 18,
    inputs: Object.entries(inputs).map(([name, shape]) => ({ name, elemType: 'float32', shape })),
    outputs: [{ name: 'y', elemType: 'float32', shape: Object.values(inputs)[0] }],
    initializers: Object.entries(c.inits ?? {}).map(([name, t]) => ({ name, dims: t.dims, data: Float32Array.from(t.data) })),
    nodes: c.nodes,
  });
}

function samples(graph: Graph, rng: Rng, n: number, [lo, hi]: [number, number]): InputSample[] {
  return Array.from({ length: n }, () => new Map(graph.inputs.map((i) => [i.name, Float64Array.from({ length: sizeOf(i.shape) }, () => Math.fround(rng.uniform(lo, hi)))])));
}

const RECIPROCAL: Case = { nodes: [node('Reciprocal', ['x'], 'y')], range: [-1, 1] };
const DIV: Case = { nodes: [node('Div', ['x', 'z'], 'y')], inputs: { x: [1, 4], z: [1, 4] }, range: [-1, 1] };
const X_OVER_2X: Case = { nodes: [node('Mul', ['x', 'two'], 'd'), node('Div', ['x', 'd'], 'y')], inits: { two: { dims: [], data: [2] } }, range: [0, 2] };
const MOD = (fmod: number): Case => ({ nodes: [{ ...node('Mod', ['x', 'z'], 'y'), attributes: { fmod } }], inputs: { x: [1, 4], z: [1, 4] }, range: [-1, 1] });
const MOD_CONSTANT: Case = { nodes: [{ ...node('Mod', ['x', 'h'], 'y'), attributes: { fmod: 0 } }], inits: { h: { dims: [], data: [-0.375] } }, range: [-2, 2] };
const POW = (p: number, range: [number, number]): Case => ({ nodes: [node('Pow', ['x', 'p'], 'y')], inits: { p: { dims: [], data: [p] } }, range });

/** Whether the reference refuses the sample for a zero divisor. */
function divides(model: QuantizedModel, s: InputSample): bigint[] | undefined {
  try {
    return runReference(model, quantizeSample(model, s))[model.outputs[0].tensor];
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'INPUT_OUT_OF_RANGE');
    return undefined;
  }
}

describe('quotient: integer semantics', () => {
  test('divideRound(n, d) is the nearest integer to n / d, halves upward, for either sign of d', () => {
    for (let n = -60; n <= 60; n++) {
      for (let d = -7; d <= 7; d++) {
        if (d === 0) continue;
        const q = Number(divideRound(BigInt(n), BigInt(d)));
        // n/d − q in [−½, ½): 2·(n − q·d)/d in [−1, 1), compared exactly in integers.
        const twice = 2 * (n - q * d);
        assert.ok(d > 0 ? twice >= -d && twice < d : twice <= -d && twice > d, `round(${n} / ${d}) = ${q}`);
      }
    }
  });
});

describe('remainder: integer semantics', () => {
  test('moduloOf: fmod has the dividend’s sign, the floor modulus the divisor’s; n = q·d + r with |r| < |d|', () => {
    for (let n = -30; n <= 30; n++) {
      for (let d = -7; d <= 7; d++) {
        if (d === 0) continue;
        const f = Number(moduloOf(BigInt(n), BigInt(d), true));
        const m = Number(moduloOf(BigInt(n), BigInt(d), false));
        assert.equal(f, n % d === 0 ? 0 : n % d, `fmod(${n}, ${d})`);
        assert.equal(m, n - Math.floor(n / d) * d, `mod(${n}, ${d})`);
        assert.ok(Math.abs(m) < Math.abs(d) && (m === 0 || Math.sign(m) === Math.sign(d)));
      }
    }
  });
});

describe('quotient: the integer model against onnxruntime', () => {
  const cases: Array<[string, Case]> = [
    ['Reciprocal over [−1, 1]', RECIPROCAL],
    ['Div x / z, z over [−1, 1]', DIV],
    ['x / 2x over [0, 2] (ezkl/1l_eltwise_div)', X_OVER_2X],
    ['Pow(x, −0.1) over [0, 1] (ezkl/1l_powf)', POW(-0.1, [0, 1])],
    ['Pow(x, −2) over [−1, 1]', POW(-2, [-1, 1])],
    ['Mod fmod 1 of x by z over [−1, 1] (orion/test_mod)', MOD(1)],
  ];
  for (const [what, c] of cases) {
    test(`${what}: within the static bound where the divisor is nonzero; refused where it is 0`, async () => {
      const rng = seededRng(41);
      const bytes = build(c);
      const graph = loadOnnx(bytes);
      const model = quantizeGraph(graph, parseSettings({}), samples(graph, rng, 16, c.range));
      assert.ok(
        model.layers.some((l) => l.divide ?? l.modulo),
        'a quotient or remainder layer',
      );
      const inRange = Array.from({ length: 30 }, () => randomInRange(model, rng));
      const ort = await runOrtFloat(bytes, graph.inputs, inRange);
      const out = model.outputs[0];
      let refused = 0;
      inRange.forEach((s, k) => {
        const ints = divides(model, s);
        if (!ints) {
          refused++;
          return;
        }
        ort[k].get('y')!.forEach((w, i) => {
          const err = Math.abs(Number(ints[i]) / 2 ** out.scaleBits - w);
          assert.ok(err <= out.errorBound + 1e-5 * Math.max(1, Math.abs(w)), `y[${i}]: error ${err} > bound ${out.errorBound} (onnxruntime ${w})`);
        });
      });
      assert.ok(refused < inRange.length, 'some inputs divide');
      const zero = new Map(graph.inputs.map((i) => [i.name, new Float64Array(sizeOf(i.shape))]));
      assert.equal(divides(model, zero), undefined, 'a zero divisor is refused');
    });
  }

  test('Pow(x, −0.5) over [−1, 1] is refused: undefined for x < 0', () => {
    const c = POW(-0.5, [-1, 1]);
    const graph = loadOnnx(build(c));
    expectCode(() => quantizeGraph(graph, parseSettings({}), samples(graph, seededRng(3), 8, c.range)), 'FUNCTION_UNBOUNDED');
  });
});

/** Inputs with every element nonzero (a zero divisor has no witness; checked separately). */
const nonzero = (rng: Rng) => (model: QuantizedModel) =>
  [0, 1, 2].map(() => {
    const s = randomInRange(model, rng);
    for (const [name, v] of s)
      s.set(
        name,
        v.map((x) => (Math.abs(x) < 0.05 ? 0.25 : x)),
      );
    return s;
  });

/** `zeroDivides`: an all-zero input makes a divisor 0 (not so for a constant divisor). */
async function checkCircuit(c: Case, expectConstraints: number, seed: number, zeroDivides = true): Promise<void> {
  const rng = seededRng(seed);
  const bytes = build(c);
  const graph = loadOnnx(bytes);
  const calibration = samples(graph, rng, 16, c.range).map((s) => Object.fromEntries([...s].map(([k, v]) => [k, Array.from(v)])));
  await checkCompiledCircuit({
    bytes,
    samples: calibration,
    expectConstraints,
    rng,
    label: 'quotient',
    inputs: nonzero(rng),
    also: async ({ model, wasm, r1cs }) => {
      // A zero divisor: the witness generator finds no remainder with 0 <= r < 2·|d|, so no witness satisfies the R1CS.
      const zero = new Map(graph.inputs.map((i) => [i.name, new Float64Array(sizeOf(i.shape))]));
      const satisfied = await computeWitness(circuitInput(model, quantizeSample(model, zero)), wasm).then(
        (witness) => verifyWitness(r1cs, witness).ok,
        () => false,
      );
      assert.equal(satisfied, !zeroDivides, zeroDivides ? 'a zero divisor has no accepted witness' : 'a zero dividend is fine');
    },
  });
}

describe('quotient circuits', () => {
  test('Reciprocal over [−1, 1] (divisor of either sign)', async () => {
    await checkCircuit(RECIPROCAL, 184, 51);
  });
  test('Div x / z over [−1, 1] (divisor of either sign)', async () => {
    await checkCircuit(DIV, 228, 52);
  });
  test('x / 2x over [0, 2] (a nonnegative divisor: no sign bit)', async () => {
    await checkCircuit(X_OVER_2X, 192, 53);
  });
  test('Mod fmod 1 (signs of both operands unknown)', async () => {
    await checkCircuit(MOD(1), 232, 54);
  });
  test('Mod fmod 0 by the constant −0.375 (the divisor’s sign known)', async () => {
    await checkCircuit(MOD_CONSTANT, 108, 55, false);
  });
});
