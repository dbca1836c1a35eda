/**
 * The tier-3 corpus models that indices computed at run time made provable (the tensorised trees of
 * hummingbird and skl2onnx: Gather/GatherElements/ScatterElements by run-time indices, OneHot, integer Casts): each
 * must prove, verify, match the integer reference bit for bit, stay within its static error bound
 * and pass the soundness audit (every mutation refused). The models that take minutes (setup and
 * audit of bigger circuits) run only with ZKML_CORPUS_SLOW=1.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { corpusDir, CorpusResult, floatSlack, runCorpusModel, WIDE_INPUT_BITS } from '../../tools/corpus/run-corpus-model';
import { Prover } from '../../src/prover/prover';

const CORPUS = corpusDir();
const present = fs.existsSync(path.join(CORPUS, 'INDEX.md'));

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
const SLOW = process.env.ZKML_CORPUS_SLOW === '1';

function summary(r: CorpusResult): string {
  return `${r.model}: ${r.status}${r.stage ? ` at ${r.stage}` : ''}${r.code ? ` ${r.code}` : ''}${r.reason ? `: ${r.reason}` : ''}`;
}

if (!present) {
  test('corpus tier 3 (indices)', { skip: `no corpus at ${CORPUS} (expected ../shared/corpus beside the repository, or set ZKML_CORPUS_DIR)` }, () => undefined);
} else {
  describe('corpus tier 3, indices computed at run time: prove, verify, audit', () => {
    let prover: Prover;
    let workDir: string;
    let cacheDir: string;
    let ownCache = false;

    before(() => {
      prover = new Prover();
      workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-corpus-'));
      ownCache = !process.env.ZKML_CACHE_DIR;
      cacheDir = process.env.ZKML_CACHE_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-corpus-cache-'));
    });
    after(async () => {
      await prover.close();
      fs.rmSync(workDir, { recursive: true, force: true });
      if (ownCache) fs.rmSync(cacheDir, { recursive: true, force: true });
    });

    for (const [model, { wide, slow }] of Object.entries(MODELS)) {
      const skip = slow && !SLOW ? 'takes minutes: set ZKML_CORPUS_SLOW=1' : false;
      test(`${model} proves, verifies, is within its error bound and refuses every mutation`, { skip }, async (t) => {
        const r = await runCorpusModel(path.join(CORPUS, model), workDir, { prover, cacheDir });
        assert.equal(r.status, 'proved', summary(r));
        assert.equal(r.verified, true);
        assert.equal(r.integerReferenceMatches, true);
        assert.equal(r.inputBits, wide ? WIDE_INPUT_BITS : undefined);
        assert.equal(r.auditForgeries, 0, `${r.model}: the soundness audit found forged witnesses`);
        assert.ok(r.auditMutations! > 0, `${r.model}: the audit tried mutations`);
        assert.ok(r.maxAbsError! <= r.tolerance! + floatSlack(r.maxAbsOutput!), `${r.model}: max abs error ${r.maxAbsError} > tolerance ${r.tolerance}`);
        t.diagnostic(`${r.model}: ${r.constraints} constraints, error ${r.maxAbsError} ≤ ${r.tolerance}, prove ${r.proveMs} ms, ${r.auditMutations} mutations refused`);
      });
    }
  });
}
