/**
 * What the API shows of a stored receipt. The openings of a hashed build (salts and the committed
 * values) belong to whoever requested the proof: anyone else gets the proof, the public signals and
 * the commitments, which is all that verification needs, and a list of what was withheld.
 */
import type { Receipt } from '../formats/receipt';

export type Withheld = 'openings' | 'outputs' | 'reference';

export function receiptView(receipt: Receipt, isRequester: boolean): { receipt: Partial<Receipt>; withheld: Withheld[] } {
  if (isRequester) return { receipt, withheld: [] };
  const shown: Partial<Receipt> = { ...receipt };
  const withheld: Withheld[] = [];
  if (shown.openings) {
    delete shown.openings;
    withheld.push('openings');
  }
  // A hashed output is secret too: the decoded outputs and onnxruntime's reference reveal it.
  if (receipt.model.publicLayout.some((e) => e.kind === 'outputCommitment')) {
    delete shown.outputs;
    delete shown.reference;
    withheld.push('outputs', 'reference');
  }
  return { receipt: shown, withheld };
}
