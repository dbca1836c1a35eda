/**
 * Offline verification of a receipt with the model's verification key alone: snarkjs's Groth16
 * verifier, then the outputs decoded from the public signals with the receipt's own layout. No call
 * to the service; the same step as `zkml verify receipt.json --vk verification_key.json`.
 */
import type { Receipt, VerificationKey } from './types';

// snarkjs ships no types: the one function used here.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs') as { groth16: { verify(vk: unknown, signals: string[], proof: unknown, logger?: unknown): Promise<boolean> } };

/** BN254 scalar field modulus: signed integers live in the field as v mod r. */
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const CANONICAL = /^(0|[1-9][0-9]{0,77})$/;

export interface DecodedSignal {
  kind: Receipt['model']['publicLayout'][number]['kind'];
  name: string;
  shape: number[];
  /** integer / 2^scaleBits (for a commitment: empty, see `integers`). */
  values: number[];
  /** The signed integers (decimal), or the commitment's field element. */
  integers: string[];
}

export interface OfflineVerdict {
  valid: boolean;
  reason: string;
  /** The public signals read with the receipt's layout (present when the proof verifies). */
  decoded?: DecodedSignal[];
  /** What the key alone cannot check: the layout's labels and scales, the weights commitment, openings, the key's provenance. */
  notChecked: string[];
}

const NOT_CHECKED = [
  "the receipt's public layout (names, shapes and scales used to decode): the model's GET /v1/models/:id publicLayout pins it",
  "the weights commitment (private weights): compare with the manifest's weightsCommitment",
  'the openings of input/output commitments: POST /v1/verify or zkml verify --dir checks them',
  "the key's provenance (dev ptau or ceremony): the model's manifest says how the key was made",
];

function decode(receipt: Receipt): DecodedSignal[] {
  const layout = receipt.model?.publicLayout;
  if (!Array.isArray(layout)) throw new Error('the receipt has no model.publicLayout');
  const sizes = layout.map((e) => e.shape.reduce((a, d) => a * d, 1));
  const total = sizes.reduce((a, s) => a + s, 0);
  if (total !== receipt.publicSignals.length) throw new Error(`the receipt's layout describes ${total} public signals, it carries ${receipt.publicSignals.length}`);
  let at = 0;
  return layout.map((e, i) => {
    const raw = receipt.publicSignals.slice(at, (at += sizes[i])).map((s) => BigInt(s));
    if (e.kind.endsWith('Commitment')) return { kind: e.kind, name: e.name, shape: e.shape, values: [], integers: raw.map(String) };
    const ints = raw.map((v) => (v > R / 2n ? v - R : v));
    return { kind: e.kind, name: e.name, shape: e.shape, values: ints.map((v) => Number(v) / 2 ** e.scaleBits), integers: ints.map(String) };
  });
}

/** Checks the proof against the key and decodes the outputs; never throws for a bad receipt. */
export async function verifyReceipt(receipt: Receipt, verificationKey: VerificationKey): Promise<OfflineVerdict> {
  const signals = receipt?.publicSignals;
  if (!Array.isArray(signals) || !signals.every((s) => typeof s === 'string' && CANONICAL.test(s) && BigInt(s) < R)) {
    return { valid: false, reason: 'publicSignals must be canonical decimal field elements', notChecked: NOT_CHECKED };
  }
  if (signals.length !== verificationKey.nPublic) return { valid: false, reason: `${signals.length} public signals, the key has ${verificationKey.nPublic}`, notChecked: NOT_CHECKED };
  let decoded: DecodedSignal[];
  try {
    decoded = decode(receipt);
  } catch (err) {
    return { valid: false, reason: (err as Error).message, notChecked: NOT_CHECKED };
  }
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  const hadCurve = Boolean(g.curve_bn128);
  let ok: boolean;
  try {
    ok = await snarkjs.groth16.verify(verificationKey, signals, receipt.proof, { debug() {}, info() {}, warn() {}, error() {} });
  } catch (err) {
    return { valid: false, reason: `snarkjs rejected the proof: ${(err as Error).message}`, notChecked: NOT_CHECKED };
  } finally {
    // snarkjs leaves its curve's worker threads running, which keeps the process alive: stop the one it made.
    if (!hadCurve) await g.curve_bn128?.terminate();
  }
  if (!ok) return { valid: false, reason: 'the proof does not verify against this key and these public signals', notChecked: NOT_CHECKED };
  return { valid: true, reason: 'the proof verifies against the verification key', decoded, notChecked: NOT_CHECKED };
}
