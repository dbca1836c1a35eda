/** The float-semantics checks of the op tests: our float executor (and integer model) against onnxruntime. */
import assert from 'node:assert/strict';
import type { Graph } from '../../src/formats/graph';
import type { InputSample } from '../../src/formats/input-document';
import type { QuantizedModel } from '../../src/formats/quantized-model';
import { createOrtSession, runOrt } from '../../src/onnx/runtime';
import { quantizeSample } from '../../src/quantize/codec';
import { runFloat } from '../../src/quantize/float-executor';
import { runReference } from '../../src/quantize/reference';
import { runOrtFloat } from './onnx-builders';

/** On each sample, every element of `output` is within relTol · max(1, |onnxruntime's|) of onnxruntime's. */
export async function assertFloatEqualsOrt(bytes: Uint8Array, graph: Graph, samples: InputSample[], relTol: number, output = 'y'): Promise<void> {
  const ort = await runOrtFloat(bytes, graph.inputs, samples);
  samples.forEach((s, k) => {
    const got = runFloat(graph, s).get(output)!.data;
    ort[k].get(output)!.forEach((w, i) => assert.ok(Math.abs(got[i] - w) <= relTol * Math.max(1, Math.abs(w)), `float ${output}[${i}]: ours ${got[i]}, onnxruntime ${w}`));
  });
}

/**
 * On each sample, every output of our float executor and of the integer model (dequantized) equals
 * onnxruntime's exactly: for ops whose results are exactly representable on the samples given.
 */
export async function assertExactlyOrt(bytes: Uint8Array, graph: Graph, model: QuantizedModel, samples: InputSample[]): Promise<void> {
  const session = await createOrtSession(bytes);
  try {
    for (const [k, s] of samples.entries()) {
      const ort = await runOrt(session, graph.inputs, s);
      const float = runFloat(graph, s);
      const ints = runReference(model, quantizeSample(model, s));
      for (const [j, o] of model.outputs.entries()) {
        const want = ort[j].values.map((v) => v + 0); // -0 is 0
        assert.deepEqual(
          Array.from(float.get(o.name)!.data, (v) => v + 0),
          want,
          `float ${o.name}, sample ${k}`,
        );
        assert.deepEqual(
          ints[o.tensor].map((v) => Number(v) / 2 ** o.scaleBits),
          want,
          `integer ${o.name}, sample ${k}`,
        );
      }
    }
  } finally {
    await session.release();
  }
}
