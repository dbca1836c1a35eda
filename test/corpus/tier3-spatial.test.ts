/**
 * The tier-3 corpus models the spatial and indexing families (ConvTranspose, Resize, TopK;
 * docs/spatial.md) made provable: each proves, verifies, matches the integer reference bit for bit,
 * stays within its static error bound, has the constraint count its compile report predicted, and
 * passes the soundness audit (every mutation refused).
 * ezkl/1l_conv_transpose (about a minute, most of it setup) and ezkl/mnist_gan (2.66 M constraints:
 * refused as MODEL_TOO_LARGE under the corpus table's 300 000 limit) run with ZKML_CORPUS_SLOW=1.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { corpusDir, CorpusResult, floatSlack, runCorpusModel } from '../../tools/corpus/run-corpus-model';
import { Prover } from '../../src/prover/prover';

const CORPUS = corpusDir();
const present = fs.existsSync(path.join(CORPUS, 'INDEX.md'));
const slow = process.env.ZKML_CORPUS_SLOW === '1';

const PROVED = ['zkml-jolt/tract_tc__deconv_group', 'ezkl/1l_topk', 'ezkl/1l_upsample', ...(slow ? ['ezkl/1l_conv_transpose'] : [])];

const summary = (r: CorpusResult) => `${r.model}: ${r.status}${r.stage ? ` at ${r.stage}` : ''}${r.code ? ` ${r.code}` : ''}${r.reason ? `: ${r.reason}` : ''}`;

if (!present) {
  test('corpus tier 3 spatial', { skip: `no corpus at ${CORPUS} (expected ../shared/corpus beside the repository, or set ZKML_CORPUS_DIR)` }, () => undefined);
} else {
  describe('corpus tier 3, spatial and indexing ops: prove, verify and pass the audit', () => {
    let prover: Prover;
    let workDir: string;
    let cacheDir: string;
    let ownCache = false;
    before(() => {
      prover = new Prover();
      workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-corpus-spatial-'));
      ownCache = !process.env.ZKML_CACHE_DIR;
      cacheDir = process.env.ZKML_CACHE_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-corpus-cache-'));
    });
    after(async () => {
      await prover.close();
      fs.rmSync(workDir, { recursive: true, force: true });
      if (ownCache) fs.rmSync(cacheDir, { recursive: true, force: true });
    });

    for (const model of PROVED) {
      test(`${model} proves, verifies, within its bound; the audit refuses every mutation`, async (t) => {
        const r = await runCorpusModel(path.join(CORPUS, model), workDir, { prover, cacheDir });
        assert.equal(r.status, 'proved', summary(r));
        assert.equal(r.verified, true);
        assert.equal(r.predictedConstraints, r.constraints, `${model}: the report's predicted count equals the r1cs`);
        assert.equal(r.integerReferenceMatches, true);
        assert.equal(r.auditForgeries, 0, `${model}: the soundness audit found forged witnesses`);
        assert.ok(r.auditMutations! > 0, `${model}: the audit tried mutations`);
        assert.ok(r.maxAbsError! <= r.tolerance! + floatSlack(r.maxAbsOutput!), `${model}: max abs error ${r.maxAbsError} > tolerance ${r.tolerance}`);
        t.diagnostic(`${model}: ${r.constraints} constraints, error ${r.maxAbsError} ≤ ${r.tolerance}, ${r.auditMutations} mutations refused`);
      });
    }

    test('ezkl/mnist_gan is refused as MODEL_TOO_LARGE with its constraint count', { skip: !slow && 'ZKML_CORPUS_SLOW=1 runs it' }, async () => {
      const r = await runCorpusModel(path.join(CORPUS, 'ezkl/mnist_gan'), workDir, { prover, cacheDir, settings: { maxConstraints: 300_000 } });
      assert.equal(r.status, 'refused', summary(r));
      assert.equal(r.code, 'MODEL_TOO_LARGE', summary(r));
    });
  });
}
