/**
 * The direct backend's entry points: compile (r1cs and sym from the layer plan, no circom) and the
 * witness of a direct build (the prover's and the audit's replacement for the circuit wasm).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { QuantizedModel } from '../../formats/quantized-model';
import { ZkmlError } from '../../errors';
import { BN254_R } from '../../formats/field';
import { buildModelSystem } from './model';
import { writeR1cs, writeSym } from './files';
import type { Elimination } from './system';

function counts(model: QuantizedModel) {
  const size = (t: number) => model.tensors[t].size;
  const total = (vis: (v: string) => boolean) => model.inputs.filter((i) => vis(i.visibility)).reduce((a, i) => a + size(i.tensor), 0);
  return {
    nOutputs: model.outputs.reduce((a, o) => a + size(o.tensor), 0),
    nPubInputs: total((v) => v === 'public'),
    nPrvInputs: total((v) => v !== 'public'),
  };
}

/** Any in-range input (every input at its lower bound): the constraints do not depend on it. */
function placeholderInput(model: QuantizedModel): Record<string, bigint[]> {
  return Object.fromEntries(model.inputs.map((i) => [`x${i.tensor}`, new Array<bigint>(model.tensors[i.tensor].size).fill(i.lo)]));
}

/**
 * Writes the circuit of a model the direct backend covers (see directUnsupported), with circom's
 * layout, to the r1cs and sym files; returns its constraint count. `elimination` 'circom' writes
 * circom --O2's r1cs itself (the parity tests); the default 'short' differs only in which wire each
 * bit decomposition eliminates.
 */
export function compileDirect(
  model: QuantizedModel,
  files: { r1cs: string; sym: string },
  input: Record<string, readonly bigint[]> = placeholderInput(model),
  elimination: Elimination = 'short',
): number {
  // The names wait on disk next to the sym file (a large circuit's are more than a GiB).
  const names = `${files.sym}.${process.pid}.names`;
  fs.mkdirSync(path.dirname(names), { recursive: true });
  const cs = buildModelSystem(model, input, true, names, elimination);
  try {
    const system = cs.finish();
    const constraints = system.constraints.count;
    writeR1cs(system, counts(model), files.r1cs);
    writeSym(system, files.sym);
    return constraints;
  } finally {
    cs.names.dispose();
  }
}

/**
 * The witness of a direct build on one circuit input, by wire: the values computed without
 * constraints, mapped through the r1cs's wire-to-label map (the labels are the creation order, the
 * same on every run). Fails with WITNESS_FAILED when an input leaves its range (no witness exists).
 */
export function directWitness(model: QuantizedModel, input: Record<string, readonly bigint[]>, labels: ArrayLike<number>): bigint[] {
  for (const spec of model.inputs) {
    const xs = input[`x${spec.tensor}`] ?? [];
    xs.forEach((x, i) => {
      const v = BigInt(x);
      const s = v > BN254_R / 2n ? v - BN254_R : v;
      if (s < spec.lo || s > spec.hi) throw new ZkmlError('WITNESS_FAILED', `input '${spec.name}' element ${i} = ${s} is outside its range [${spec.lo}, ${spec.hi}]`);
    });
  }
  const values = buildModelSystem(model, input, false).labelValues;
  const out = new Array<bigint>(labels.length);
  for (let w = 0; w < labels.length; w++) {
    if (!(labels[w] < values.length)) throw new ZkmlError('WITNESS_FAILED', `the r1cs names signal ${labels[w]}, which this model's circuit does not have: the build's files do not belong together`);
    out[w] = values[labels[w]];
  }
  return out;
}
