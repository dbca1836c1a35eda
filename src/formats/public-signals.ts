/**
 * The public signals of a circuit: which are outputs, public inputs and commitments, in circom's
 * order, and how they decode back to numbers. Receipts, verifiers and the registry all read it.
 */
import { ZkmlError } from '../errors';
import { fromField } from './field';
import type { QuantizedModel } from './quantized-model';

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

/** The public signals of a circuit decoded with the build's own layout (never a receipt's description of it). */
export function decodePublicSignals(model: QuantizedModel, publicSignals: string[]): DecodedTensor[] {
  return decodeWithLayout(publicLayout(model), publicSignals);
}

/** The signals decoded with a given layout: a build's, or the one a receipt the service itself issued records. */
export function decodeWithLayout(layout: Array<Omit<PublicEntry, 'size'> & { size?: number }>, publicSignals: string[]): DecodedTensor[] {
  const sizeOf = (e: { shape: number[]; size?: number }): number => e.size ?? e.shape.reduce((a, d) => a * d, 1);
  const expected = layout.reduce((a, e) => a + sizeOf(e), 0);
  if (publicSignals.length !== expected) {
    throw new ZkmlError('SIGNAL_COUNT_MISMATCH', `${publicSignals.length} public signals, the circuit has ${expected}`);
  }
  let offset = 0;
  return layout.map((e) => {
    const raw = publicSignals.slice(offset, offset + sizeOf(e));
    offset += sizeOf(e);
    if (isCommitment(e.kind)) return { kind: e.kind, name: e.name, shape: e.shape, integers: raw.map((v) => BigInt(v)), values: [] };
    const integers = raw.map(fromField);
    return { kind: e.kind, name: e.name, shape: e.shape, integers, values: integers.map((v) => Number(v) / 2 ** e.scaleBits) };
  });
}
