/**
 * The tier-3 corpus models the comparison/logic and tree-ensemble families made provable: each must
 * prove, verify, match the integer reference bit for bit, stay within its static error bound and
 * pass the soundness audit (every mutation refused).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WIDE_INPUT_BITS } from '../../tools/corpus/run-corpus-model';
import { assertProvedWithinBound, PROVES, corpusSuite, provedDiagnostic } from '../helpers/corpus-suite';

/** Model → whether its raw features need the wide-input fallback. */
const MODELS: Record<string, boolean> = {
  'ezkl/less': false,
  'orion/test_less': false,
  'ezkl/1l_where': false,
  'ezkl/bitwise_ops': false,
  'zkml-jolt/tract_tc__xgboost_regressor_tree': true,
  'zkml-jolt/tract_tc__xgboost_classifier_tree': true,
};

corpusSuite('corpus tier 3 (logic, trees)', 'corpus tier 3, comparisons, logic and tree ensembles: prove, verify, audit', ({ run }) => {
  for (const [model, wide] of Object.entries(MODELS)) {
    test(`${model} ${PROVES}, is within its error bound and refuses every mutation`, async (t) => {
      const r = await run(model);
      assertProvedWithinBound(r);
      assert.equal(r.inputBits, wide ? WIDE_INPUT_BITS : undefined);
      t.diagnostic(provedDiagnostic(r));
    });
  }
});
