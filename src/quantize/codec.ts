/**
 * Between floats and the circuit: quantize inputs (with the range check the circuit will enforce,
 * done first so the user gets a clear error instead of a failed witness), encode field elements,
 * and decode public signals back to floats.
 */
import { ZkmlError } from '../errors';
import type { InputSample } from '../formats/input-document';
import { fieldElement } from '../formats/field';
import { paramValues } from './params';
import type { QuantizedModel } from '../formats/quantized-model';

export function quantizeSample(model: QuantizedModel, sample: InputSample): Map<number, bigint[]> {
  const out = new Map<number, bigint[]>();
  for (const input of model.inputs) {
    const data = sample.get(input.name)!;
    const scale = 2 ** input.scaleBits;
    out.set(
      input.tensor,
      Array.from(data, (x, i) => {
        const scaled = Math.round(x * scale);
        // Compared as floats first: a huge value would overflow to Infinity, which BigInt refuses.
        const q = Number.isSafeInteger(scaled) ? BigInt(scaled) : scaled > 0 ? input.hi + 1n : input.lo - 1n;
        if (q < input.lo || q > input.hi) {
          const lo = Number(input.lo) / scale;
          const hi = Number(input.hi) / scale;
          throw new ZkmlError(
            'INPUT_OUT_OF_RANGE',
            `input '${input.name}'[${i}] = ${x} is outside the circuit's range [${lo}, ${hi}] (scale 2^-${input.scaleBits}, ${input.hi - input.lo + 1n} levels); recompile with a wider inputRange or with calibration`,
            { input: input.name, index: i },
          );
        }
        return q;
      }),
    );
  }
  return out;
}

/**
 * The witness generator's input object: one array of field elements per input signal (batch items
 * one after another), the private weights when the circuit has them, and the commitment salts.
 * Canonical field elements as bigints: the witness calculator takes them so, and they cross to a
 * prover thread as they are (structured cloning keeps bigints).
 */
export function circuitInput(
  model: QuantizedModel,
  quantized: Map<number, bigint[]> | Array<Map<number, bigint[]>>,
  salts: { input?: bigint; output?: bigint; weights?: bigint } = {},
): Record<string, bigint[]> {
  const items = Array.isArray(quantized) ? quantized : [quantized];
  const input: Record<string, bigint[]> = {};
  for (const spec of model.inputs) input[`x${spec.tensor}`] = items.flatMap((q) => q.get(spec.tensor)!.map(fieldElement));
  if (model.params) {
    if (salts.weights === undefined) throw new ZkmlError('INTERNAL', 'a circuit with private weights needs their salt');
    input.w = paramValues(model.params).map(fieldElement);
    input.weightsSalt = [fieldElement(salts.weights)];
  }
  if (salts.input !== undefined) input.inputSalt = [fieldElement(salts.input)];
  if (salts.output !== undefined) input.outputSalt = [fieldElement(salts.output)];
  return input;
}
