/**
 * Reading user inputs: the EZKL form `{"input_data": [[...flattened...], ...]}` (one array per graph
 * input; for calibration, consecutive groups of arrays are samples) and the named form
 * `{"inputs": {"<name>": nested arrays}}` (or `{"samples": [{"<name>": ...}, ...]}` for calibration).
 */
import { ZkmlError, ErrorCode } from '../errors';
import type { ValueInfo } from './graph';
import { sizeOf } from './graph';

export type InputSample = Map<string, Float64Array>;

function flatten(value: unknown, out: number[], where: string, code: ErrorCode): void {
  if (Array.isArray(value)) {
    for (const v of value) flatten(v, out, where, code);
  } else if (typeof value === 'number') {
    out.push(value);
  } else if (typeof value === 'boolean') {
    out.push(value ? 1 : 0);
  } else if (value === null || value === 'NaN' || value === 'Infinity' || value === '-Infinity') {
    // JSON cannot carry NaN/Infinity; writers emit null or these strings for them.
    throw new ZkmlError('INPUT_NOT_FINITE', `${where}: a value is ${value === null ? 'null (NaN or Infinity in the source?)' : value}`);
  } else {
    throw new ZkmlError(code, `${where}: expected numbers, got ${typeof value}`);
  }
}

function toTensor(value: unknown, info: ValueInfo, code: ErrorCode): Float64Array {
  const values: number[] = [];
  flatten(value, values, `input '${info.name}'`, code);
  const expected = sizeOf(info.shape);
  if (values.length !== expected) {
    throw new ZkmlError('SHAPE_MISMATCH', `input '${info.name}' has ${values.length} values, the model expects ${expected} (shape [${info.shape}])`, {
      input: info.name,
    });
  }
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new ZkmlError('INPUT_NOT_FINITE', `input '${info.name}'[${i}] is ${v}`, { input: info.name, index: i });
  });
  return Float64Array.from(values);
}

function namedSample(obj: Record<string, unknown>, inputs: ValueInfo[], code: ErrorCode): InputSample {
  const sample: InputSample = new Map();
  for (const info of inputs) {
    if (!(info.name in obj)) throw new ZkmlError('INPUT_MISSING', `input '${info.name}' is missing`, { input: info.name });
    sample.set(info.name, toTensor(obj[info.name], info, code));
  }
  const extra = Object.keys(obj).filter((k) => !inputs.some((i) => i.name === k));
  if (extra.length > 0) throw new ZkmlError(code, `unknown input${extra.length > 1 ? 's' : ''}: ${extra.join(', ')}`);
  return sample;
}

/** Every sample in a JSON document (an input file has one, a calibration file many). */
export function readSamples(doc: unknown, inputs: ValueInfo[], code: ErrorCode = 'INPUT_INVALID'): InputSample[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ZkmlError(code, 'expected a JSON object with "input_data", "inputs" or "samples"');
  }
  const d = doc as Record<string, unknown>;
  if (Array.isArray(d.input_data)) {
    const arrays = d.input_data as unknown[];
    const k = inputs.length;
    // A model without inputs takes one empty sample: `[]` or EZKL's `[[]]`.
    if (k === 0) return arrays.every((a) => Array.isArray(a) && a.length === 0) ? [new Map()] : [];
    if (arrays.length === 0 || arrays.length % k !== 0) {
      throw new ZkmlError(
        arrays.length < k ? 'INPUT_MISSING' : code,
        `"input_data" has ${arrays.length} arrays; the model has ${k} input${k > 1 ? 's' : ''} (${inputs.map((i) => i.name).join(', ')})`,
      );
    }
    const samples: InputSample[] = [];
    for (let s = 0; s < arrays.length; s += k) {
      samples.push(new Map(inputs.map((info, j) => [info.name, toTensor(arrays[s + j], info, code)])));
    }
    return samples;
  }
  if (d.inputs && typeof d.inputs === 'object' && !Array.isArray(d.inputs)) return [namedSample(d.inputs as Record<string, unknown>, inputs, code)];
  if (Array.isArray(d.samples)) return d.samples.map((s) => namedSample(s as Record<string, unknown>, inputs, code));
  throw new ZkmlError(code, 'expected "input_data", "inputs" or "samples"');
}

/** Exactly one sample, for proving. */
export function readInput(doc: unknown, inputs: ValueInfo[]): InputSample {
  const samples = readSamples(doc, inputs, 'INPUT_INVALID');
  if (samples.length !== 1) throw new ZkmlError('INPUT_INVALID', `the input file holds ${samples.length} samples; prove takes one`);
  return samples[0];
}
