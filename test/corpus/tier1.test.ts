/**
 * Tier 1 of the shared corpus (real ONNX files from other zkML projects using only Gemm, MatMul, Add,
 * Relu and shape-only ops): every model onnxruntime loads must prove, verify, match the integer
 * reference bit for bit and stay within its static error bound; every model it refuses must be
 * refused by us too, with a clear code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readCorpusIndex } from '../../tools/corpus/run-corpus-model';
import { assertProvedWithinBound, PROVES, CORPUS, corpusSuite, provedDiagnostic, summary } from '../helpers/corpus-suite';

const REFUSAL_CODES = ['ONNXRUNTIME_REFUSED', 'ONNX_MALFORMED'];

corpusSuite('corpus tier 1', 'corpus tier 1: prove and verify, or refuse clearly', ({ run }) => {
  for (const row of readCorpusIndex(CORPUS).filter((r) => r.tier === 1)) {
    const expectation = row.loadsInOnnxruntime ? `${PROVES}, within its error bound` : `is refused (${REFUSAL_CODES.join(' or ')})`;
    test(`${row.model} (${row.ops || 'no ops'}) ${expectation}`, async (t) => {
      const r = await run(row.model);
      if (!row.loadsInOnnxruntime) {
        assert.equal(r.status, 'refused', summary(r));
        assert.ok(REFUSAL_CODES.includes(r.code ?? ''), summary(r));
        return;
      }
      // Some tier-1 models are constant (no constraints): nothing for the audit to mutate there.
      assertProvedWithinBound(r, { emptyCircuitAllowed: true });
      if (r.inputs! > 0) assert.ok(r.constraints! > 0, `${r.model}: a circuit over inputs has constraints`);
      t.diagnostic(provedDiagnostic(r));
    });
  }
});
