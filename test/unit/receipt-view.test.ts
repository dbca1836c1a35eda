/**
 * The API's view of a stored receipt: public outputs are served as decoded from the proof's public
 * signals, never from the stored copy; a hashed build's holder parts go only to the requester.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BN254_R } from '../../src/formats/field';
import type { Receipt } from '../../src/formats/receipt';
import { receiptView } from '../../src/service/receipt-view';

const field = (v: bigint): string => (v < 0n ? BN254_R + v : v).toString();

function receiptOf(layout: Receipt['model']['publicLayout'], publicSignals: string[], outputs: Receipt['outputs']): Receipt {
  return {
    format: 'zkml-receipt/1',
    model: { onnxSha256: 'a'.repeat(64), r1csSha256: 'b'.repeat(64), zkeySha256: 'c'.repeat(64), vkSha256: 'd'.repeat(64), publicLayout: layout },
    publicSignals,
    outputs,
    publicInputs: [],
  } as unknown as Receipt;
}

test('public outputs are decoded from the signals: a stored copy that differs is not what is served', () => {
  // y = [9/4, -3/4] at 2 fraction bits; the stored copy claims class 0 with 9.5.
  const r = receiptOf([{ kind: 'output', name: 'y', shape: [1, 2], scaleBits: 2 }], [field(9n), field(-3n)], [{ name: 'y', shape: [1, 2], values: [9.5, 0] }]);
  for (const requester of [true, false]) {
    const { receipt, withheld } = receiptView(r, requester);
    assert.deepEqual(receipt.outputs, [{ name: 'y', shape: [1, 2], values: [2.25, -0.75] }]);
    assert.deepEqual(withheld, []);
  }
});

test('a hashed output: nothing to decode; outputs, reference and openings withheld from others', () => {
  const r = receiptOf([{ kind: 'outputCommitment', name: 'outputCommitment', shape: [1], scaleBits: 0 }], ['12345'], [{ name: 'y', shape: [1, 2], values: [1, 2] }]);
  (r as any).openings = { outputSalt: '1', outputs: [] };
  assert.deepEqual(receiptView(r, true).receipt.outputs, [{ name: 'y', shape: [1, 2], values: [1, 2] }]);
  const other = receiptView(r, false);
  assert.deepEqual(other.withheld, ['openings', 'outputs', 'reference']);
  assert.equal(other.receipt.outputs, undefined);
});
