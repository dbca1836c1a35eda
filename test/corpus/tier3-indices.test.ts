/**
 * The tier-3 corpus models that indices computed at run time made provable (the tensorised trees of
 * hummingbird and skl2onnx: Gather/GatherElements/ScatterElements by run-time indices, OneHot, integer Casts): each
 * must prove, verify, match the integer reference bit for bit, stay within its static error bound
 * and pass the soundness audit (every mutation refused). The models that take minutes (setup and
 * audit of bigger circuits) run only in the slow tier (npm run test:slow).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WIDE_INPUT_BITS } from '../../tools/corpus/run-corpus-model';
import { slowTierOnly } from '../helpers/slow-tier';
import { assertProvedWithinBound, PROVES, corpusSuite, provedDiagnostic, summary } from '../helpers/corpus-suite';

/** Model → whether its raw features need the wide-input fallback, and whether it takes minutes. */
const MODELS: Record<string, { wide: boolean; slow: boolean }> = {
  'ezkl/hummingbird_decision_tree': { wide: false, slow: false },
  'ezkl/oh_decision_tree': { wide: false, slow: false },
  'ezkl/xgboost_reg': { wide: false, slow: false },
  'ezkl/gather_elements': { wide: false, slow: false },
  'ezkl/scatter_elements': { wide: false, slow: true },
  'ezkl/xgboost': { wide: false, slow: true },
  'ezkl/lightgbm': { wide: false, slow: true },
  'ezkl/linear_svc': { wide: false, slow: true },
  'zkml-jolt/tract_tc__lgbm_classifier_tensor': { wide: true, slow: true },
  'zkml-jolt/tract_tc__lgbm_regressor_tensor': { wide: true, slow: true },
};

corpusSuite('corpus tier 3 (indices)', 'corpus tier 3, indices computed at run time: prove, verify, audit', ({ run }) => {
  for (const [model, { wide, slow }] of Object.entries(MODELS)) {
    const skip = slow && slowTierOnly();
    test(`${model} ${PROVES}, is within its error bound and refuses every mutation`, { skip }, async (t) => {
      const r = await run(model);
      assertProvedWithinBound(r);
      assert.equal(r.inputBits, wide ? WIDE_INPUT_BITS : undefined);
      t.diagnostic(provedDiagnostic(r));
    });
  }

  // Its Cast of the uint8 bytes to int64 and the embedding's Gather by them compile (4,096 constraints);
  // what is left is its size: two bidirectional LSTMs over 8 steps, past the corpus table's limit and a
  // setup this machine can run (docs/corpus.md).
  test('zkml-jolt/tract_tc__byte_sb_bidi_lstm at --dim length=8 is refused only by its size', { skip: slowTierOnly() }, async () => {
    const r = await run('zkml-jolt/tract_tc__byte_sb_bidi_lstm', { settings: { dims: { length: 8 }, maxConstraints: 300_000 } });
    assert.equal(r.status, 'refused', summary(r));
    assert.equal(r.code, 'MODEL_TOO_LARGE', summary(r));
    assert.match(r.reason!, /would have \d+ constraints, more than the limit of 300000/);
  });
});
