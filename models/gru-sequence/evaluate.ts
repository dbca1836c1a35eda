/**
 * The shipped GRU's accuracy on the 1,000 held-out digits, in float (onnxruntime) and in the circuit
 * (the integer reference at default settings with the shipped calibration, which the witness equals):
 *
 *   npm run build && node dist/models/gru-sequence/evaluate.js
 */
import { describeHeldOut, evaluateClassifier, HeldOutResult } from '../evaluate-classifier';
import { sequenceSplit } from './train';

export function evaluateGruSequence(): Promise<HeldOutResult> {
  return evaluateClassifier(
    'gru-sequence',
    sequenceSplit().test.map((d) => ({ values: d.rows, label: d.label })),
  );
}

if (require.main === module) {
  evaluateGruSequence()
    .then((r) => console.log(describeHeldOut(r)))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
