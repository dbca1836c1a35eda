/**
 * Float graph → quantized integer model: input ranges and scales, lowering node by node, bound
 * analysis and the static error bound of every output.
 */
import { ZkmlError } from '../errors';
import type { Graph, ValueInfo } from '../formats/graph';
import { sizeOf } from '../formats/graph';
import { LowerContext } from './context';
import { quantizedInputEncoding } from './qdq-input';
import { calibrateRanges, FloatRunObserver } from './float-executor';
import type { InputSample } from '../formats/input-document';
import { lowerNode } from './lower';
import { addConstant, emptyRow } from './lower/terms';
import type { InputSpec, OutputSpec, QuantizedModel } from '../formats/quantized-model';
import { magnitudeExponent, weightScale } from './scales';
import type { CompileSettings } from '../formats/settings';

const INTEGER_TYPES = new Set(['int64', 'int32', 'int8', 'uint8', 'bool']);

/** Scale and integer range of one graph input, from settings, calibration or defaults. */
export function inputSpec(info: ValueInfo, settings: CompileSettings, range: { maxAbs: number; min: number } | undefined): Omit<InputSpec, 'tensor'> {
  const b = settings.inputBits;
  const base = { name: info.name, shape: info.shape, elemType: info.elemType, visibility: settings.inputVisibility };
  if (info.elemType === 'bool') return { ...base, scaleBits: 0, lo: 0n, hi: 1n };
  // A quantized input takes its type's whole range: the model saturated it there.
  if (info.elemType === 'int8') return { ...base, scaleBits: 0, lo: -128n, hi: 127n };
  if (info.elemType === 'uint8') return { ...base, scaleBits: 0, lo: 0n, hi: 255n };
  const declared = settings.inputRange ? { maxAbs: Math.max(Math.abs(settings.inputRange[0]), Math.abs(settings.inputRange[1])), min: settings.inputRange[0] } : range;
  const nonNegative = declared !== undefined && declared.min >= 0;
  const lo = nonNegative ? 0n : -(1n << BigInt(b - 1));
  const hi = nonNegative ? (1n << BigInt(b)) - 1n : (1n << BigInt(b - 1)) - 1n;
  if (INTEGER_TYPES.has(info.elemType)) return { ...base, scaleBits: 0, lo, hi };
  if (!declared) return { ...base, ...assumedInputRange(settings) };
  const magnitudeBits = nonNegative ? b : b - 1;
  let scaleBits = declared && declared.maxAbs > 0 ? magnitudeBits - magnitudeExponent(declared.maxAbs) : settings.defaultScaleBits;
  // |v| < 2^e still lets a value within half a step of 2^e round to hi + 1 (0.997 at 2^-7 → 128 > 127).
  while (declared && declared.maxAbs > 0 && scaleBits >= 0 && Math.round(declared.maxAbs * 2 ** scaleBits) > Number(hi)) scaleBits--;
  if (scaleBits < 0) {
    throw new ZkmlError('SETTINGS_INVALID', `input '${info.name}' reaches ${declared!.maxAbs}, which does not fit ${b} input bits; raise inputBits`, { setting: 'inputBits' });
  }
  return { ...base, scaleBits, lo, hi };
}

/**
 * A float input nothing describes (no calibration, no inputRange) is assumed to hold [-1, 1] at
 * defaultScaleBits fraction bits: 1.0 (a white pixel) must quantize to 2^s, so the input gets one more
 * integer bit than [-1, 1) would need when inputBits is too narrow: 8 bits at 2^-7 held only up to
 * 0.992. The same fraction bits as before keep the accuracy; the range check costs one more bit.
 */
export function assumedInputRange(settings: CompileSettings): { scaleBits: number; lo: bigint; hi: bigint } {
  const scaleBits = settings.defaultScaleBits;
  const bits = Math.max(settings.inputBits, scaleBits + 2);
  return { scaleBits, lo: -(1n << BigInt(bits - 1)), hi: (1n << BigInt(bits - 1)) - 1n };
}

/** What a compile without calibration or inputRange assumed, per float input: said on the CLI and in the report. */
export function assumedRangeWarnings(model: QuantizedModel, settings: CompileSettings, calibrated: boolean): string[] {
  if (calibrated || settings.inputRange) return [];
  const assumed = assumedInputRange(settings);
  // A pre-quantized (QDQ) input takes its range from the model: only the assumed ones are said.
  return model.inputs
    .filter((i) => i.elemType.startsWith('float') && i.scaleBits === assumed.scaleBits && i.lo === assumed.lo && i.hi === assumed.hi)
    .map((i) => {
      const step = 2 ** -i.scaleBits;
      return `no calibration: input '${i.name}' is assumed to lie in [${Number(i.lo) * step}, ${Number(i.hi) * step}] (scale 2^-${i.scaleBits}); a value outside fails at prove time: give calibration samples (one sample input will do) or an inputRange`;
    });
}

/** Largest |value| and least value of every float tensor, from calibration. */
export type CalibrationRanges = Map<string, { maxAbs: number; min: number }>;

/** `observe` sees each calibration sample's float run (see calibrateRanges). */
export function quantizeGraph(graph: Graph, settings: CompileSettings, calibration: InputSample[] = [], observe?: FloatRunObserver): QuantizedModel {
  return quantizeWithRanges(graph, settings, calibration.length > 0 ? calibrateRanges(graph, calibration, observe) : new Map());
}

/**
 * Lowering with the calibration ranges already known (they do not depend on the bits, so a search
 * over bit widths calibrates once). `exactValue` names a value whose error is taken as 0 where it
 * is made: how much the outputs' bound falls then is the error that flows through it.
 */
export function quantizeWithRanges(graph: Graph, settings: CompileSettings, ranges: CalibrationRanges, exactValue?: string): QuantizedModel {
  const ctx = new LowerContext(graph, settings, ranges, exactValue);

  const inputs: InputSpec[] = graph.inputs.map((info) => {
    const qdq = info.elemType.startsWith('float') ? quantizedInputEncoding(graph, info.name, ranges.get(info.name)?.maxAbs) : undefined;
    const spec = { ...inputSpec(info, settings, ranges.get(info.name)), ...qdq };
    const n = sizeOf(info.shape);
    const rounding = spec.scaleBits > 0 || !INTEGER_TYPES.has(info.elemType) ? 2 ** -(spec.scaleBits + 1) : 0;
    const t = ctx.newTensor(
      info.name,
      info.shape,
      spec.scaleBits,
      Array.from({ length: n }, () => ({ lo: spec.lo, hi: spec.hi })),
      new Float64Array(n).fill(rounding),
    );
    return { ...spec, tensor: t.id };
  });

  for (const node of graph.nodes) {
    if (!ctx.isFused(node)) lowerNode(node, ctx);
  }

  const outputs: OutputSpec[] = graph.outputs.map((info) => {
    let v = ctx.variable(info.name);
    if (!v) {
      // A constant output (no input reaches it): its values are fixed by the circuit itself.
      const value = ctx.constant(info.name)!;
      const scale = weightScale(value.data, settings);
      const rows = Array.from(value.data, (x) => {
        const row = emptyRow();
        addConstant(row, x, scale);
        return row;
      });
      v = ctx.addLayer({ name: info.name, opType: 'Constant', inputs: [], outputs: [info.name], attributes: {} }, info.name, value.shape, rows, scale, 0, false);
    }
    const errors = ctx.errors[v.id];
    return { name: info.name, tensor: v.id, shape: info.shape, elemType: info.elemType, scaleBits: v.scaleBits, errorBound: errors.reduce((a, e) => Math.max(a, e), 0) };
  });
  return ctx.toModel(outputs, inputs);
}
