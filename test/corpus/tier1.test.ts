/**
 * Tier 1 of the shared corpus (real ONNX files from other zkML projects using only Gemm, MatMul, Add,
 * Relu and shape-only ops): every model onnxruntime loads must prove, verify, match the integer
 * reference bit for bit and stay within its static error bound; every model it refuses must be
 * refused by us too, with a clear code.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { corpusDir, CorpusResult, floatSlack, readCorpusIndex, runCorpusModel } from '../../tools/corpus/run-corpus-model';
import { Prover } from '../../src/prover/prover';

const CORPUS = corpusDir();
const present = fs.existsSync(path.join(CORPUS, 'INDEX.md'));
const REFUSAL_CODES = ['ONNXRUNTIME_REFUSED', 'ONNX_MALFORMED'];

function summary(r: CorpusResult): string {
  return `${r.model}: ${r.status}${r.stage ? ` at ${r.stage}` : ''}${r.code ? ` ${r.code}` : ''}${r.reason ? `: ${r.reason}` : ''}`;
}

if (!present) {
  test('corpus tier 1', { skip: `no corpus at ${CORPUS} (expected ../shared/corpus beside the repository, or set ZKML_CORPUS_DIR)` }, () => undefined);
} else {
  describe('corpus tier 1: prove and verify, or refuse clearly', () => {
    let prover: Prover;
    let workDir: string;
    let cacheDir: string;
    let ownCache = false;

    before(() => {
      prover = new Prover();
      workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-corpus-'));
      // Dev ptau generation is cached per power: one cache for the whole file.
      ownCache = !process.env.ZKML_CACHE_DIR;
      cacheDir = process.env.ZKML_CACHE_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-corpus-cache-'));
    });
    after(async () => {
      await prover.close();
      fs.rmSync(workDir, { recursive: true, force: true });
      if (ownCache) fs.rmSync(cacheDir, { recursive: true, force: true });
    });

    for (const row of readCorpusIndex(CORPUS).filter((r) => r.tier === 1)) {
      const expectation = row.loadsInOnnxruntime ? 'proves, verifies, within its error bound' : `is refused (${REFUSAL_CODES.join(' or ')})`;
      test(`${row.model} (${row.ops || 'no ops'}) ${expectation}`, async (t) => {
        const r = await runCorpusModel(path.join(CORPUS, row.model), workDir, { prover, cacheDir });
        if (!row.loadsInOnnxruntime) {
          assert.equal(r.status, 'refused', summary(r));
          assert.ok(REFUSAL_CODES.includes(r.code ?? ''), summary(r));
          return;
        }
        assert.equal(r.status, 'proved', summary(r));
        assert.equal(r.verified, true);
        assert.equal(r.integerReferenceMatches, true);
        assert.equal(r.auditForgeries, 0, `${r.model}: the soundness audit found forged witnesses`);
        if (r.constraints! > 0) assert.ok(r.auditMutations! > 0, `${r.model}: the audit tried mutations`);
        const allowed = r.tolerance! + floatSlack(r.maxAbsOutput!);
        assert.ok(r.maxAbsError! <= allowed, `${r.model}: max abs error ${r.maxAbsError} > tolerance ${r.tolerance} + float32 slack`);
        if (r.inputs! > 0) assert.ok(r.constraints! > 0, `${r.model}: a circuit over inputs has constraints`);
        t.diagnostic(`${r.model}: ${r.constraints} constraints, error ${r.maxAbsError} ≤ ${r.tolerance}, prove ${r.proveMs} ms, ${r.auditMutations} mutations refused`);
      });
    }
  });
}
