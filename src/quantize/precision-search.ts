/**
 * Bit widths for a requested error: the activation, weight and input bits and the compile target
 * with the fewest predicted constraints whose static error bound meets `maxError` on every output.
 *
 * The bound falls as bits grow (each rescale rounds at a finer step, each weight is nearer its float
 * value, each input nearer the float input) and the cost grows with them (wider range checks), so the search first finds the smallest
 * p with all three at p that meets the target (a bisection; every accepted choice is evaluated, so a bound
 * that is not monotone can cost optimality, never correctness), then lowers any one of them a bit at a
 * time while the target is still met and the cost falls.
 */
import { ZkmlError } from '../errors';
import type { Graph } from '../formats/graph';
import type { QuantizedModel } from '../formats/quantized-model';
import type { CompileSettings } from '../formats/settings';
import { CalibrationRanges, quantizeWithRanges } from './quantize';

/** The three widths the search chooses, and the compile target. */
export type BitChoice = Pick<CompileSettings, 'activationBits' | 'weightBits' | 'inputBits' | 'target'>;
const WIDTHS = ['activationBits', 'weightBits', 'inputBits'] as const;

/** Bits the search may choose: below 4 almost nothing is representable; the tops are the settings' own limits (weights: 24, as 32-bit weights only widen every accumulator). */
export const SEARCH_BITS = { min: 4, max: { activationBits: 32, weightBits: 24, inputBits: 32 } } as const;

export interface PrecisionTrial extends BitChoice {
  /** Largest static error bound over the outputs; undefined when these bits cannot be compiled. */
  errorBound?: number;
  constraints?: number;
  /** Why these bits cannot be compiled (the lowering's error code and message). */
  refused?: string;
}

export interface PrecisionChoice {
  model: QuantizedModel;
  settings: CompileSettings;
  errorBound: number;
  trials: PrecisionTrial[];
}

/** Largest static error bound over a model's outputs. */
export function outputErrorBound(model: QuantizedModel): number {
  return model.outputs.reduce((a, o) => Math.max(a, o.errorBound), 0);
}

const keyOf = (b: BitChoice) => `${b.target}/${b.activationBits}/${b.weightBits}/${b.inputBits}`;

/**
 * Each compile target is searched on its own: besides moving every scale by a few bits, it sets how
 * closely smooth functions (Tanh, Exp...) are approximated, an error that no bit width removes.
 */
const TARGETS = ['resources', 'balanced', 'accuracy'] as const;

export function searchPrecision(graph: Graph, settings: CompileSettings, ranges: CalibrationRanges, maxError: number, cost: (model: QuantizedModel) => number): PrecisionChoice {
  const trials = new Map<string, PrecisionTrial>();
  const built = new Map<string, { model: QuantizedModel; settings: CompileSettings }>();
  const evaluate = (bits: BitChoice): PrecisionTrial => {
    const key = keyOf(bits);
    const seen = trials.get(key);
    if (seen) return seen;
    const candidate = { ...settings, ...bits };
    const trial: PrecisionTrial = { ...bits };
    try {
      const model = quantizeWithRanges(graph, candidate, ranges);
      trial.errorBound = outputErrorBound(model);
      trial.constraints = cost(model);
      built.set(key, { model, settings: candidate });
    } catch (err) {
      if (!(err instanceof ZkmlError)) throw err;
      // Too many bits for a gadget or the field: this choice cannot be compiled, a smaller one may.
      trial.refused = `${err.code}: ${err.message}`;
    }
    trials.set(key, trial);
    return trial;
  };
  const meets = (t: PrecisionTrial) => t.errorBound !== undefined && t.errorBound <= maxError;
  const top = Math.max(...Object.values(SEARCH_BITS.max));
  const widest: PrecisionTrial[] = [];
  let best: PrecisionTrial | undefined;
  for (const target of TARGETS) {
    const all = (p: number): PrecisionTrial =>
      evaluate({ target, activationBits: Math.min(p, SEARCH_BITS.max.activationBits), weightBits: Math.min(p, SEARCH_BITS.max.weightBits), inputBits: Math.min(p, SEARCH_BITS.max.inputBits) });
    // The widest choice first: when even that misses the target, more bits cannot help.
    widest.push(all(top));
    if (!meets(widest[widest.length - 1])) continue;
    let lo: number = SEARCH_BITS.min;
    let hi = top;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (meets(all(mid))) hi = mid;
      else lo = mid + 1;
    }
    let here = all(hi);
    for (;;) {
      const from = here;
      const moves = WIDTHS.map((w) => ({ ...pick(from), [w]: from[w] - 1 }))
        .filter((b) => WIDTHS.every((w) => b[w] >= SEARCH_BITS.min))
        .map(evaluate)
        .filter((t) => meets(t) && t.constraints! < from.constraints!);
      if (moves.length === 0) break;
      here = moves.reduce(cheaper);
    }
    best = best ? cheaper(best, here) : here;
  }
  if (!best) {
    const reached = widest.filter((t) => t.errorBound !== undefined).sort((x, y) => x.errorBound! - y.errorBound!)[0];
    throw new ZkmlError(
      'SETTINGS_INVALID',
      reached === undefined
        ? `maxError ${maxError} cannot be checked: at the widest bits the model is refused (${widest[0].refused})`
        : `maxError ${maxError} is below what this model can reach: its smallest static error bound is ${reached.errorBound!.toPrecision(3)}, at the widest bits (activations ${reached.activationBits}, weights ${reached.weightBits}, inputs ${reached.inputBits}, target ${reached.target})` +
            decidedOutputs(built.get(keyOf(reached))!.model),
      { setting: 'maxError' },
    );
  }
  return { ...built.get(keyOf(best))!, errorBound: best.errorBound!, trials: [...trials.values()] };
}

/** The one with fewer constraints; on a tie, the smaller bound. */
const cheaper = (a: PrecisionTrial, t: PrecisionTrial): PrecisionTrial => (t.constraints! < a.constraints! || (t.constraints === a.constraints && t.errorBound! < a.errorBound!) ? t : a);

/** Outputs that a selection or a test makes (ArgMax, a comparison): their bound is a possible flip, which more bits need not remove. */
function decidedOutputs(model: QuantizedModel): string {
  const decided = model.outputs.filter((o) => model.layers.some((l) => l.out === o.tensor && (l.argmax || l.compare)));
  if (decided.length === 0) return '';
  return `; ${decided.map((o) => `'${o.name}'`).join(', ')} ${decided.length > 1 ? 'are' : 'is'} decided by a selection or comparison (e.g. ArgMax), whose bound counts a possible flip whatever the bits: ask maxError of the scores before it`;
}

const pick = (t: PrecisionTrial): BitChoice => ({ target: t.target, activationBits: t.activationBits, weightBits: t.weightBits, inputBits: t.inputBits });
