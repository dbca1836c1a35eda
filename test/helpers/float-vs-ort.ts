/** The float-semantics check of the op tests: our float executor's output equals onnxruntime's. */
import assert from 'node:assert/strict';
import type { Graph } from '../../src/formats/graph';
import type { InputSample } from '../../src/formats/input-document';
import { runFloat } from '../../src/quantize/float-executor';
import { runOrtFloat } from './onnx-builders';

/** On each sample, every element of `output` is within relTol · max(1, |onnxruntime's|) of onnxruntime's. */
export async function assertFloatEqualsOrt(bytes: Uint8Array, graph: Graph, samples: InputSample[], relTol: number, output = 'y'): Promise<void> {
  const ort = await runOrtFloat(bytes, graph.inputs, samples);
  samples.forEach((s, k) => {
    const got = runFloat(graph, s).get(output)!.data;
    ort[k].get(output)!.forEach((w, i) => assert.ok(Math.abs(got[i] - w) <= relTol * Math.max(1, Math.abs(w)), `float ${output}[${i}]: ours ${got[i]}, onnxruntime ${w}`));
  });
}
