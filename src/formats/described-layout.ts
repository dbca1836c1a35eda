/**
 * Decoding public signals with a layout a document describes (a receipt's `model.publicLayout`)
 * rather than one computed from the build. Used where only the verification key is at hand: the
 * layout is then the receipt's claim, checked only for covering every signal exactly once.
 */
import { ZkmlError } from '../errors';
import { fromField } from './field';
import { DecodedTensor, isCommitment, PublicKind } from './public-signals';

export interface DescribedEntry {
  kind: PublicKind;
  name: string;
  shape: number[];
  scaleBits: number;
}

const KINDS: ReadonlySet<string> = new Set<PublicKind>(['output', 'input', 'inputCommitment', 'outputCommitment', 'weightsCommitment']);

/** Throws RECEIPT_INVALID for a malformed layout and SIGNAL_COUNT_MISMATCH when it does not cover exactly the signals. */
export function decodeWithDescribedLayout(layout: unknown, publicSignals: string[]): DecodedTensor[] {
  if (!Array.isArray(layout)) throw new ZkmlError('RECEIPT_INVALID', 'the receipt has no model.publicLayout to decode its public signals with');
  const entries = layout.map((e, i) => checkEntry(e, i));
  const sizes = entries.map((e) => e.shape.reduce((a, d) => a * d, 1));
  const total = sizes.reduce((a, s) => a + s, 0);
  if (total !== publicSignals.length) {
    throw new ZkmlError('SIGNAL_COUNT_MISMATCH', `the receipt's layout describes ${total} public signals, it carries ${publicSignals.length}`);
  }
  let offset = 0;
  return entries.map((e, i) => {
    const raw = publicSignals.slice(offset, offset + sizes[i]);
    offset += sizes[i];
    if (isCommitment(e.kind)) return { kind: e.kind, name: e.name, shape: e.shape, integers: raw.map((v) => BigInt(v)), values: [] };
    const integers = raw.map(fromField);
    return { kind: e.kind, name: e.name, shape: e.shape, integers, values: integers.map((v) => Number(v) / 2 ** e.scaleBits) };
  });
}

function checkEntry(e: unknown, i: number): DescribedEntry {
  const d = e as Partial<DescribedEntry> | null;
  const ok =
    typeof d === 'object' &&
    d !== null &&
    typeof d.kind === 'string' &&
    KINDS.has(d.kind) &&
    typeof d.name === 'string' &&
    Array.isArray(d.shape) &&
    d.shape.every((n) => Number.isInteger(n) && n > 0 && n <= 1 << 24) &&
    Number.isInteger(d.scaleBits) &&
    (d.scaleBits as number) >= 0 &&
    (d.scaleBits as number) <= 64;
  if (!ok) throw new ZkmlError('RECEIPT_INVALID', `entry ${i} of the receipt's publicLayout is not { kind, name, shape, scaleBits }`);
  return d as DescribedEntry;
}
