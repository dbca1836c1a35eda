/**
 * The circuit check shared by the op-family tests: compile an ONNX model with a calibration, pin its
 * constraint count (predicted = r1cs = expected), then for a few random in-range inputs check that
 * the witness satisfies the R1CS, that its output wires equal the integer reference, and that the
 * first and the last output wire + 1 are refused (a tampered witness). checkWitnesses is the same
 * witness check on a circuit a test built itself: every output wire, each changed alone.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileModel } from '../../src/compiler/compile';
import { computeWitness, loadR1cs, verifyWitness } from '../../src/compiler/r1cs-check';
import { artifactPath } from '../../src/formats/artifacts';
import { readCompiled } from '../../src/formats/compiled-model';
import { BN254_R, toField } from '../../src/formats/field';
import type { InputSample } from '../../src/formats/input-document';
import type { QuantizedModel } from '../../src/formats/quantized-model';
import type { CompileSettings } from '../../src/formats/settings';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { runReference } from '../../src/quantize/reference';
import { makeTempDir, randomInRange, Rng } from './onnx-builders';

export interface CircuitCheck {
  /** The ONNX bytes. */
  bytes: Uint8Array;
  /** Calibration samples, by input name. */
  samples: Array<Record<string, number[]>>;
  expectConstraints: number;
  rng: Rng;
  settings?: Partial<CompileSettings>;
  /** Inputs to witness (default: 3 random in-range inputs). */
  inputs?: (model: QuantizedModel) => Array<Map<string, Float64Array>>;
  /** Temp dir prefix. */
  label?: string;
  /** More checks on the built circuit (its wasm path and R1CS) before the build is removed. */
  also?: (built: { model: QuantizedModel; wasm: string; r1cs: ReturnType<typeof loadR1cs> }) => Promise<void>;
}

/** Compiles the circuit; witnesses equal the integer reference; a changed output breaks the R1CS. Returns the model. */
export async function checkCompiledCircuit(c: CircuitCheck): Promise<QuantizedModel> {
  const dir = makeTempDir(c.label ?? 'circuit');
  try {
    const onnxPath = path.join(dir, 'model.onnx');
    fs.writeFileSync(onnxPath, c.bytes);
    const result = await compileModel(onnxPath, path.join(dir, 'build'), { calibration: { samples: c.samples }, settings: c.settings });
    assert.equal(result.constraints, result.report.predictedConstraints, 'predicted constraints = r1cs');
    assert.equal(result.constraints, c.expectConstraints);
    const { model } = readCompiled(result.buildDir);
    const r1cs = loadR1cs(artifactPath(result.buildDir, 'r1cs'));
    const size = model.tensors[model.outputs[0].tensor].size;
    const inputs = c.inputs ? c.inputs(model) : [0, 1, 2].map(() => randomInRange(model, c.rng));
    for (const input of inputs) {
      const q = quantizeSample(model, input);
      const want = runReference(model, q)[model.outputs[0].tensor];
      const witness = await computeWitness(circuitInput(model, q), artifactPath(result.buildDir, 'wasm'));
      assert.deepEqual(verifyWitness(r1cs, witness), { ok: true });
      assert.deepEqual(
        witness.slice(1, 1 + size).map((v) => (v > BN254_R / 2n ? v - BN254_R : v)),
        want,
      );
      for (const wire of [1, size]) {
        const mutated = witness.slice();
        mutated[wire] = (mutated[wire] + 1n) % BN254_R;
        assert.equal(verifyWitness(r1cs, mutated).ok, false, `output wire ${wire} + 1 is rejected`);
      }
    }
    await c.also?.({ model, wasm: artifactPath(result.buildDir, 'wasm'), r1cs });
    return model;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface WitnessTamper {
  /** Output wires 1..wires are each changed alone (default: every output element). */
  wires?: number;
  /** The changed value of a wire (default: + 1). */
  change?: (v: bigint) => bigint;
}

/**
 * For each input: its witness equals the integer reference on every output wire (outputs in order,
 * wires from 1), satisfies the R1CS, and each output wire changed alone (+ 1 by default) is refused.
 */
export async function checkWitnesses(model: QuantizedModel, buildDir: string, inputs: InputSample[], tamper: WitnessTamper = {}): Promise<void> {
  const r1cs = loadR1cs(artifactPath(buildDir, 'r1cs'));
  const change = tamper.change ?? ((v: bigint) => v + 1n);
  for (const input of inputs) {
    const q = quantizeSample(model, input);
    const values = runReference(model, q);
    const witness = await computeWitness(circuitInput(model, q), artifactPath(buildDir, 'wasm'));
    let wire = 1;
    for (const o of model.outputs) {
      for (const v of values[o.tensor]) {
        assert.equal(witness[wire].toString(), toField(v), o.name);
        wire++;
      }
    }
    assert.deepEqual(verifyWitness(r1cs, witness), { ok: true });
    for (let k = 1; k <= (tamper.wires ?? wire - 1); k++) {
      const forged = [...witness];
      forged[k] = change(forged[k]);
      assert.equal(verifyWitness(r1cs, forged).ok, false, `output wire ${k} changed`);
    }
  }
}
