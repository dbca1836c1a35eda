/**
 * The shipped encoder's accuracy on the 1,000 held-out digits, in float (onnxruntime) and in the
 * circuit (the integer reference at default settings with the shipped calibration, which the witness
 * equals: test/models/transformer-encoder.test.ts), with the score error against onnxruntime:
 *
 *   npm run build && node dist/models/transformer-encoder/evaluate.js
 */
import { describeHeldOut, evaluateClassifier, HeldOutResult } from '../evaluate-classifier';
import { tokenSplit } from './build';

export function evaluateEncoder(): Promise<HeldOutResult> {
  return evaluateClassifier(
    'transformer-encoder',
    tokenSplit().test.map((d) => ({ values: d.tokens, label: d.label })),
  );
}

if (require.main === module) {
  evaluateEncoder()
    .then((r) => console.log(describeHeldOut(r)))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
