/**
 * The tier-3 corpus models the comparison/logic and tree-ensemble families made provable: each must
 * prove, verify, match the integer reference bit for bit, stay within its static error bound and
 * pass the soundness audit (every mutation refused).
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

/** Model → whether its raw features need the wide-input fallback. */
const MODELS: Record<string, boolean> = {
  'ezkl/less': false,
  'orion/test_less': false,
  'ezkl/1l_where': false,
  'ezkl/bitwise_ops': false,
  'zkml-jolt/tract_tc__xgboost_regressor_tree': true,
  'zkml-jolt/tract_tc__xgboost_classifier_tree': true,
};

function summary(r: CorpusResult): string {
  return `${r.model}: ${r.status}${r.stage ? ` at ${r.stage}` : ''}${r.code ? ` ${r.code}` : ''}${r.reason ? `: ${r.reason}` : ''}`;
}

if (!present) {
  test('corpus tier 3 (logic, trees)', { skip: `no corpus at ${CORPUS} (expected ../shared/corpus beside the repository, or set ZKML_CORPUS_DIR)` }, () => undefined);
} else {
  describe('corpus tier 3, comparisons, logic and tree ensembles: prove, verify, audit', () => {
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

    for (const [model, wide] of Object.entries(MODELS)) {
      test(`${model} proves, verifies, is within its error bound and refuses every mutation`, async (t) => {
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
