/**
 * The tier-3 corpus models that the math ops (Exp, Sqrt, Erf, Sin, Pow, Div by a computed value, ...)
 * made provable: each proves, verifies, matches the integer reference bit for bit, stays within its
 * static error bound and passes the soundness audit (every mutation refused). The ones whose input
 * range reaches where a function is unbounded are refused as FUNCTION_UNBOUNDED, naming the node.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CorpusResult } from '../../tools/corpus/run-corpus-model';
import { assertProvedWithinBound, PROVES, corpusSuite, provedDiagnostic, summary } from '../helpers/corpus-suite';

const PROVED = ['ezkl/1l_erf', 'ezkl/1l_gelu_noappx', 'ezkl/1l_sqrt', 'ezkl/softsign', 'ezkl/large_op_graph', 'ezkl/tutorial', 'orion/test_exp', 'orion/test_sin'];
/** Normalisation, expanded at ingest (src/onnx/expand-normalization.ts). */
const NORMALISATION = ['ezkl/layernorm', 'ezkl/1l_instance_norm'];
/** Division by a value whose range contains 0, by the exact quotient or remainder that proves it nonzero (src/quantize/lower/quotient.ts, mod.ts). */
const QUOTIENT = ['ezkl/1l_powf', 'ezkl/1l_eltwise_div', 'orion/test_recip', 'orion/test_mod'];
/** √ of a random input: redrawn in [0, 1], its domain, after the refusal at x < 0 (onnxruntime gives NaN there). */
const DOMAIN_REDRAWN = ['orion/test_sqrt'];
/** Model → the node whose input range reaches where its function is unbounded (log as x → 0, even on [0, 1]). */
const UNBOUNDED: Record<string, string> = {
  'orion/test_log': 'Log_0',
};

function assertUnboundedAt(r: CorpusResult, node: string): void {
  assert.equal(r.status, 'refused', summary(r));
  assert.equal(r.code, 'FUNCTION_UNBOUNDED', summary(r));
  assert.ok(r.reason!.includes(`'${node}'`), summary(r));
}

corpusSuite('corpus tier 3 math', 'corpus tier 3, math ops: prove, verify and pass the audit, or refuse naming the node', ({ run }) => {
  for (const model of [...PROVED, ...QUOTIENT, ...NORMALISATION, ...DOMAIN_REDRAWN]) {
    test(`${model} ${PROVES}, within its bound; the audit refuses every mutation`, async (t) => {
      const r = await run(model);
      assertProvedWithinBound(r);
      assert.equal(r.nonNegativeInput, DOMAIN_REDRAWN.includes(model) ? true : undefined, `${model}: input redrawn in [0, 1]`);
      t.diagnostic(provedDiagnostic(r));
    });
  }
  // ezkl/trig: Acos(Tan(Sin(Cos(Softplus(x))))) then Asin of that. Over its own input.json's range
  // (x in [0, 0.1]) every float value stays in the domains: it proves. With 15 more random samples
  // in [0, 1] Asin's float input reaches 1.31 for x > 0.58, where onnxruntime gives NaN: refused,
  // naming Asin_5 and its float range; the runner then calibrates on input.json alone.
  test(`ezkl/trig over its own input range: ${PROVES} (the runner calibrates on input.json); the audit refuses every mutation`, async () => {
    const r = await run('ezkl/trig');
    assertProvedWithinBound(r);
    assert.equal(r.calibratedOnInput, true);
  });
  test("ezkl/trig over [0, 1] is refused as FUNCTION_UNBOUNDED at 'Asin_5' (onnxruntime: NaN for x > 0.58)", async () => {
    assertUnboundedAt(await run('ezkl/trig', { retryInDomain: false }), 'Asin_5');
  });
  for (const [model, node] of Object.entries(UNBOUNDED)) {
    test(`${model} is refused as FUNCTION_UNBOUNDED at '${node}'`, async () => {
      assertUnboundedAt(await run(model), node);
    });
  }
});
