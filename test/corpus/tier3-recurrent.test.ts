/**
 * The tier-3 corpus models that the recurrent expansion (src/onnx/expand-recurrent.ts) and the Scan
 * unrolling (src/onnx/expand-scan.ts) made provable:
 * each proves, verifies, matches the integer reference bit for bit, stays within its static error
 * bound and passes the soundness audit (every mutation refused).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadOnnx } from '../../src/onnx/load';
import { runFloat } from '../../src/quantize/float-executor';
import { assertProvedWithinBound, PROVES, CORPUS, corpusSuite, provedDiagnostic } from '../helpers/corpus-suite';

/** LSTM and RNN, unrolled over their static sequence length; a quantized LSTM cell written as a Scan (expand-scan.ts), unrolled likewise. */
const RECURRENT = ['ezkl/lstm', 'ezkl/rnn', 'zkml-jolt/tract_tc__qlstm_3-2-3_T3_S1'];

corpusSuite('corpus tier 3 recurrent', 'corpus tier 3, recurrent nets: prove, verify and pass the audit', ({ run }) => {
  test('the qlstm Scan over its 3 steps (leading dimension 3): the unrolled float graph equals the reference output', () => {
    const dir = path.join(CORPUS, 'zkml-jolt/tract_tc__qlstm_3-2-3_T3_S1');
    const io = JSON.parse(fs.readFileSync(path.join(dir, 'input.json'), 'utf8')) as { input_data: number[][]; output_data: number[][] };
    const graph = loadOnnx(fs.readFileSync(path.join(dir, 'network.onnx')), undefined, 3);
    const got = runFloat(graph, new Map([[graph.inputs[0].name, Float64Array.from(io.input_data[0])]])).get(graph.outputs[0].name)!;
    assert.deepEqual(got.shape, [3, 3]);
    got.data.forEach((v, i) => assert.ok(Math.abs(v - io.output_data[0][i]) <= 1e-6, `output[${i}]: ${v}, reference ${io.output_data[0][i]}`));
  });

  for (const model of RECURRENT) {
    test(`${model} ${PROVES}, within its bound; the audit refuses every mutation`, async (t) => {
      const r = await run(model);
      assertProvedWithinBound(r);
      t.diagnostic(provedDiagnostic(r));
    });
  }
});
