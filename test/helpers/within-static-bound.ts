/**
 * The accuracy check shared by the op-family tests: on in-range inputs, every output of the integer
 * reference is within its static error bound of onnxruntime's float output.
 */
import assert from 'node:assert/strict';
import type { ValueInfo } from '../../src/formats/graph';
import type { InputSample } from '../../src/formats/input-document';
import type { QuantizedModel } from '../../src/formats/quantized-model';
import { quantizeSample } from '../../src/quantize/codec';
import { runReference } from '../../src/quantize/reference';
import { runOrtFloat } from './onnx-builders';

/** Asserts |reference − onnxruntime| ≤ errorBound + slack(onnxruntime value) for every output value; returns the worst error. */
export async function assertWithinStaticBound(bytes: Uint8Array, graphInputs: ValueInfo[], model: QuantizedModel, inputs: InputSample[], slack: (want: number) => number = () => 0): Promise<number> {
  const ort = await runOrtFloat(bytes, graphInputs, inputs);
  let worst = 0;
  inputs.forEach((s, k) => {
    const ints = runReference(model, quantizeSample(model, s));
    for (const out of model.outputs) {
      ort[k].get(out.name)!.forEach((w, i) => {
        const err = Math.abs(Number(ints[out.tensor][i]) / 2 ** out.scaleBits - w);
        worst = Math.max(worst, err);
        assert.ok(err <= out.errorBound + slack(w), `${out.name}[${i}]: error ${err} > static bound ${out.errorBound} (onnxruntime ${w})`);
      });
    }
  });
  return worst;
}
