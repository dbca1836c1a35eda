/**
 * The tier-3 corpus models that the recurrent expansion (src/onnx/expand-recurrent.ts) and the Scan
 * unrolling (src/onnx/expand-scan.ts) made provable:
 * each proves, verifies, matches the integer reference bit for bit, stays within its static error
 * bound and passes the soundness audit (every mutation refused).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { corpusDir, CorpusResult, floatSlack, runCorpusModel } from '../../tools/corpus/run-corpus-model';
import { Prover } from '../../src/prover/prover';
import { loadOnnx } from '../../src/onnx/load';
import { runFloat } from '../../src/quantize/float-executor';

const CORPUS = corpusDir();
const present = fs.existsSync(path.join(CORPUS, 'INDEX.md'));

/** LSTM and RNN, unrolled over their static sequence length; a quantized LSTM cell written as a Scan (expand-scan.ts), unrolled likewise. */
const RECURRENT = ['ezkl/lstm', 'ezkl/rnn', 'zkml-jolt/tract_tc__qlstm_3-2-3_T3_S1'];

const summary = (r: CorpusResult) => `${r.model}: ${r.status}${r.stage ? ` at ${r.stage}` : ''}${r.code ? ` ${r.code}` : ''}${r.reason ? `: ${r.reason}` : ''}`;

if (!present) {
  test('corpus tier 3 recurrent', { skip: `no corpus at ${CORPUS} (expected ../shared/corpus beside the repository, or set ZKML_CORPUS_DIR)` }, () => undefined);
} else {
  describe('corpus tier 3, recurrent nets: prove, verify and pass the audit', () => {
    let prover: Prover;
    let workDir: string;
    let cacheDir: string;
    let ownCache = false;
    before(() => {
      prover = new Prover();
      workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-corpus-recurrent-'));
      ownCache = !process.env.ZKML_CACHE_DIR;
      cacheDir = process.env.ZKML_CACHE_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-corpus-cache-'));
    });
    after(async () => {
      await prover.close();
      fs.rmSync(workDir, { recursive: true, force: true });
      if (ownCache) fs.rmSync(cacheDir, { recursive: true, force: true });
    });

    test('the qlstm Scan over its 3 steps (leading dimension 3): the unrolled float graph equals the reference output', () => {
      const dir = path.join(CORPUS, 'zkml-jolt/tract_tc__qlstm_3-2-3_T3_S1');
      const io = JSON.parse(fs.readFileSync(path.join(dir, 'input.json'), 'utf8')) as { input_data: number[][]; output_data: number[][] };
      const graph = loadOnnx(fs.readFileSync(path.join(dir, 'network.onnx')), undefined, 3);
      const got = runFloat(graph, new Map([[graph.inputs[0].name, Float64Array.from(io.input_data[0])]])).get(graph.outputs[0].name)!;
      assert.deepEqual(got.shape, [3, 3]);
      got.data.forEach((v, i) => assert.ok(Math.abs(v - io.output_data[0][i]) <= 1e-6, `output[${i}]: ${v}, reference ${io.output_data[0][i]}`));
    });

    for (const model of RECURRENT) {
      test(`${model} proves, verifies, within its bound; the audit refuses every mutation`, async (t) => {
        const r = await runCorpusModel(path.join(CORPUS, model), workDir, { prover, cacheDir });
        assert.equal(r.status, 'proved', summary(r));
        assert.equal(r.verified, true);
        assert.equal(r.integerReferenceMatches, true);
        assert.equal(r.auditForgeries, 0, `${model}: the soundness audit found forged witnesses`);
        assert.ok(r.auditMutations! > 0, `${model}: the audit tried mutations`);
        assert.ok(r.maxAbsError! <= r.tolerance! + floatSlack(r.maxAbsOutput!), `${model}: max abs error ${r.maxAbsError} > tolerance ${r.tolerance}`);
        t.diagnostic(`${model}: ${r.constraints} constraints, error ${r.maxAbsError} ≤ ${r.tolerance}, ${r.auditMutations} mutations refused`);
      });
    }
  });
}
