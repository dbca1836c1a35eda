/**
 * The tier-3 corpus models the spatial and indexing families (ConvTranspose, Resize, TopK;
 * docs/spatial.md) made provable: each proves, verifies, matches the integer reference bit for bit,
 * stays within its static error bound, has the constraint count its compile report predicted, and
 * passes the soundness audit (every mutation refused).
 * ezkl/1l_conv_transpose (about a minute, most of it setup) and ezkl/mnist_gan (2.66 M constraints:
 * refused as MODEL_TOO_LARGE under the corpus table's 300 000 limit) run in the slow tier (npm run test:slow).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SLOW, slowTierOnly } from '../helpers/slow-tier';
import { assertProvedWithinBound, PROVES, corpusSuite, provedDiagnostic, summary } from '../helpers/corpus-suite';

const PROVED = ['zkml-jolt/tract_tc__deconv_group', 'ezkl/1l_topk', 'ezkl/1l_upsample', ...(SLOW ? ['ezkl/1l_conv_transpose'] : [])];

corpusSuite('corpus tier 3 spatial', 'corpus tier 3, spatial and indexing ops: prove, verify and pass the audit', ({ run }) => {
  for (const model of PROVED) {
    test(`${model} ${PROVES}, within its bound; the audit refuses every mutation`, async (t) => {
      const r = await run(model);
      assertProvedWithinBound(r);
      assert.equal(r.predictedConstraints, r.constraints, `${model}: the report's predicted count equals the r1cs`);
      t.diagnostic(provedDiagnostic(r));
    });
  }

  test('ezkl/mnist_gan is refused as MODEL_TOO_LARGE with its constraint count', { skip: slowTierOnly() }, async () => {
    const r = await run('ezkl/mnist_gan', { settings: { maxConstraints: 300_000 } });
    assert.equal(r.status, 'refused', summary(r));
    assert.equal(r.code, 'MODEL_TOO_LARGE', summary(r));
  });
});
