/**
 * Between floats and the circuit: quantize inputs (with the range check the circuit will enforce,
 * done first so the user gets a clear error instead of a failed witness), encode field elements,
 * and decode public signals back to floats.
 */
import { ZkmlError } from '../errors';
import type { InputSample } from './input-file';
import { paramValues } from './params';
import type { QuantizedModel } from './plan';

export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export function toField(v: bigint): string {
  return (((v % FIELD_MODULUS) + FIELD_MODULUS) % FIELD_MODULUS).toString();
}

/** A canonical field element read as a signed integer (values above p/2 are negative). */
export function fromField(s: string): bigint {
  const v = BigInt(s);
  return v > FIELD_MODULUS / 2n ? v - FIELD_MODULUS : v;
}

export function quantizeSample(model: QuantizedModel, sample: InputSample): Map<number, bigint[]> {
  const out = new Map<number, bigint[]>();
  for (const input of model.inputs) {
    const data = sample.get(input.name)!;
    const scale = 2 ** input.scaleBits;
    out.set(
      input.tensor,
      Array.from(data, (x, i) => {
        const scaled = Math.round(x * scale);
        // Compared as floats first: a huge value would overflow to Infinity, which BigInt refuses.
        const q = Number.isSafeInteger(scaled) ? BigInt(scaled) : scaled > 0 ? input.hi + 1n : input.lo - 1n;
        if (q < input.lo || q > input.hi) {
          const lo = Number(input.lo) / scale;
          const hi = Number(input.hi) / scale;
          throw new ZkmlError('INPUT_OUT_OF_RANGE', `input '${input.name}'[${i}] = ${x} is outside the circuit's range [${lo}, ${hi}] (scale 2^-${input.scaleBits}, ${input.hi - input.lo + 1n} levels); recompile with a wider --input-range or calibration`, { input: input.name, index: i });
        }
        return q;
      }),
    );
  }
  return out;
}

/**
 * The witness generator's input object: one array of field elements per input signal (batch items
 * one after another), the private weights when the circuit has them, and the commitment salts.
 */
export function circuitInput(
  model: QuantizedModel,
  quantized: Map<number, bigint[]> | Array<Map<number, bigint[]>>,
  salts: { input?: bigint; output?: bigint; weights?: bigint } = {},
): Record<string, string[]> {
  const items = Array.isArray(quantized) ? quantized : [quantized];
  const input: Record<string, string[]> = {};
  for (const spec of model.inputs) input[`x${spec.tensor}`] = items.flatMap((q) => q.get(spec.tensor)!.map(toField));
  if (model.params) {
    if (salts.weights === undefined) throw new ZkmlError('INTERNAL', 'a circuit with private weights needs their salt');
    input.w = paramValues(model.params).map(toField);
    input.weightsSalt = [toField(salts.weights)];
  }
  if (salts.input !== undefined) input.inputSalt = [toField(salts.input)];
  if (salts.output !== undefined) input.outputSalt = [toField(salts.output)];
  return input;
}

export type PublicKind = 'output' | 'input' | 'inputCommitment' | 'outputCommitment' | 'weightsCommitment';

const COMMITMENT_KINDS: ReadonlySet<PublicKind> = new Set(['inputCommitment', 'outputCommitment', 'weightsCommitment']);
export const isCommitment = (kind: PublicKind): boolean => COMMITMENT_KINDS.has(kind);

export interface PublicEntry {
  kind: PublicKind;
  name: string;
  shape: number[];
  scaleBits: number;
  size: number;
}

/**
 * circom orders public signals: main's outputs first (in declaration order: the outputs when they
 * are public, then the input, output and weights commitments), then its public inputs, each flattened. With
 * a batch of k, each tensor holds the k items one after another (shape [k, ...]).
 */
export function publicLayout(model: QuantizedModel): PublicEntry[] {
  const k = model.settings.batchSize ?? 1;
  const shape = (s: number[]): number[] => (k === 1 ? s : [k, ...s]);
  const hashedOutput = model.settings.outputVisibility === 'hashed';
  const commitment = (kind: PublicKind): PublicEntry => ({ kind, name: kind, shape: [1], scaleBits: 0, size: 1 });
  return [
    ...(hashedOutput ? [] : model.outputs.map((o) => ({ kind: 'output' as const, name: o.name, shape: shape(o.shape), scaleBits: o.scaleBits, size: model.tensors[o.tensor].size * k }))),
    ...(model.inputs.some((i) => i.visibility === 'hashed') ? [commitment('inputCommitment')] : []),
    ...(hashedOutput ? [commitment('outputCommitment')] : []),
    ...(model.params ? [commitment('weightsCommitment')] : []),
    ...model.inputs
      .filter((i) => i.visibility === 'public')
      .map((i) => ({ kind: 'input' as const, name: i.name, shape: shape(i.shape), scaleBits: i.scaleBits, size: model.tensors[i.tensor].size * k })),
  ];
}

export interface DecodedTensor {
  kind: PublicKind;
  name: string;
  shape: number[];
  /** Signed integers; for a commitment, the field element itself. */
  integers: bigint[];
  /** integer / 2^scaleBits; empty for a commitment. */
  values: number[];
}

export function decodePublicSignals(model: QuantizedModel, publicSignals: string[]): DecodedTensor[] {
  const layout = publicLayout(model);
  const expected = layout.reduce((a, e) => a + e.size, 0);
  if (publicSignals.length !== expected) {
    throw new ZkmlError('SIGNAL_COUNT_MISMATCH', `${publicSignals.length} public signals, the circuit has ${expected}`);
  }
  let offset = 0;
  return layout.map((e) => {
    const raw = publicSignals.slice(offset, offset + e.size);
    offset += e.size;
    if (isCommitment(e.kind)) return { kind: e.kind, name: e.name, shape: e.shape, integers: raw.map((v) => BigInt(v)), values: [] };
    const integers = raw.map(fromField);
    return { kind: e.kind, name: e.name, shape: e.shape, integers, values: integers.map((v) => Number(v) / 2 ** e.scaleBits) };
  });
}
