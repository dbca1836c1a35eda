/**
 * What the API shows of a stored receipt. The openings of a hashed build (salts and the committed
 * values) belong to whoever requested the proof: anyone else gets the proof, the public signals and
 * the commitments, which is all that verification needs, and a list of what was withheld.
 * Public outputs are served as decoded from the proof's public signals (never a stored copy).
 */
import { decodeWithLayout } from '../formats/public-signals';
import type { Receipt } from '../formats/receipt';

export type Withheld = 'openings' | 'outputs' | 'reference';

/** The outputs the public signals hold, decoded with the layout this service recorded when it proved (none when the output is hashed). */
function provenOutputs(receipt: Receipt): Receipt['outputs'] | undefined {
  const decoded = decodeWithLayout(receipt.model.publicLayout, receipt.publicSignals).filter((d) => d.kind === 'output');
  return decoded.length > 0 ? decoded.map(({ name, shape, values }) => ({ name, shape, values })) : undefined;
}

export function receiptView(stored: Receipt, isRequester: boolean): { receipt: Partial<Receipt>; withheld: Withheld[] } {
  const outputs = provenOutputs(stored);
  const receipt: Receipt = outputs ? { ...stored, outputs } : stored;
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
