/**
 * The tier-3 attention models (ezkl/multihead_attention, ezkl/self_attention, ezkl/nanoGPT), at the
 * stages this machine can run: onnxruntime loads them (the two GPT exports via the opset-10 float
 * Equal repair, src/onnx/opset-repair.ts), ingest fuses their op-by-op LayerNorms
 * (src/onnx/fuse-layernorm.ts) and folds the causal mask, and our float semantics equal
 * onnxruntime's on the corpus input. Their circuits (2.1M and 8.8M constraints) are beyond circom2's
 * 4 GiB WebAssembly heap (about 200k constraints, docs/compile.md); docs/attention.md gives their
 * counts and ptau powers, and the counts of multihead_attention and nanoGPT (32.6M) are pinned here.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { buildReport } from '../../src/compiler/report';
import { parseSettings } from '../../src/formats/settings';
import { loadOnnx } from '../../src/onnx/load';
import { createOrtSession, runOrt } from '../../src/onnx/runtime';
import { runFloat } from '../../src/quantize/float-executor';
import { quantizeGraph } from '../../src/quantize/quantize';
import { CORPUS, describeCorpus } from '../helpers/corpus-suite';
import { slowTierOnly } from '../helpers/slow-tier';

const modelBytes = (model: string) => fs.readFileSync(path.join(CORPUS, model, 'network.onnx'));
const corpusInput = (model: string): Float64Array => Float64Array.from((JSON.parse(fs.readFileSync(path.join(CORPUS, model, 'input.json'), 'utf8')) as { input_data: number[][] }).input_data[0]);

describeCorpus('corpus tier 3 attention', 'corpus tier 3, attention: ingest, float semantics, circuit size', () => {
  for (const [model, layerNorms] of [
    ['ezkl/multihead_attention', 2],
    ['ezkl/self_attention', 2],
  ] as const) {
    test(`${model}: onnxruntime loads it, its LayerNorms are fused, our float run equals onnxruntime's`, async () => {
      const bytes = modelBytes(model);
      const session = await createOrtSession(bytes);
      const graph = loadOnnx(bytes);
      const ops = graph.nodes.map((n) => n.opType);
      assert.equal(ops.filter((op) => op === 'zkml.InverseStdDev').length, layerNorms);
      assert.ok(!ops.includes('Sqrt'), 'no Sqrt is left');
      const sample = new Map([[graph.inputs[0].name, corpusInput(model)]]);
      const [want] = await runOrt(session, graph.inputs, sample);
      await session.release();
      const out = graph.outputs[0].name;
      const got = runFloat(graph, sample).get(out)!.data;
      want.values.forEach((w, i) => assert.ok(Math.abs(got[i] - w) <= 1e-3 * Math.max(1, Math.abs(w)), `${out}[${i}]: ours ${got[i]}, onnxruntime ${w}`));
    });
  }

  for (const [model, constraints] of [
    ['ezkl/multihead_attention', 2_107_828],
    ['ezkl/self_attention', 8_774_340],
  ] as const) {
    test(`${model}: the circuit size at default settings (docs/attention.md, compiled there with the direct backend)`, () => {
      const quantized = quantizeGraph(loadOnnx(modelBytes(model)), parseSettings({}), []);
      assert.equal(buildReport(quantized).predictedConstraints, constraints);
    });
  }

  // About a minute (quantizing 32.6M constraints' worth of layers): the slow tier's.
  test('ezkl/nanoGPT: quantizes with a finite error bound (the range cap), its circuit size pinned (docs/attention.md)', { skip: slowTierOnly() }, async () => {
    const bytes = modelBytes('ezkl/nanoGPT');
    await (await createOrtSession(bytes)).release();
    const graph = loadOnnx(bytes);
    assert.ok(!graph.nodes.some((n) => n.opType === 'NonZero' || n.opType === 'Sqrt'));
    // Before the range cap its deeper LayerNorms' 1/√(v + ε) had no finite bound (ONNX_UNSUPPORTED_OP).
    const model = quantizeGraph(graph, parseSettings({}), []);
    const bound = model.outputs[0].errorBound;
    assert.ok(Number.isFinite(bound) && bound < 100, `bound ${bound}`);
    assert.equal(buildReport(model).predictedConstraints, 32_602_593);
  });
});
