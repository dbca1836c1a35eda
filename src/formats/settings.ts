/** Compile settings: validated once, hashed into the manifest (same ONNX + settings → same circuit). */
import { z } from 'zod';
import { ZkmlError } from '../errors';

export const CompileSettingsSchema = z
  .object({
    /** public: the input is public signals; private: a private witness; hashed: private, its Poseidon commitment is public. */
    inputVisibility: z
      .enum(['public', 'private', 'hashed'])
      .default('private')
      .describe('public: the input is among the public signals; private: a private witness; hashed: private, and its Poseidon commitment is public'),
    /** public: the outputs are public signals; hashed: only their Poseidon commitment is. */
    outputVisibility: z.enum(['public', 'hashed']).default('public').describe('public: the outputs are public signals; hashed: only their Poseidon commitment is'),
    /**
     * fixed: weights are constants of the circuit (the verifying key identifies the model); private:
     * weights are private signals and a salted Poseidon commitment to them is a public signal.
     */
    weightVisibility: z
      .enum(['fixed', 'private'])
      .default('fixed')
      .describe('fixed: the weights are constants of the circuit; private: a private witness, with a public Poseidon commitment to all weights'),
    /** Bits of every quantized input element (its range check costs this many constraints). */
    inputBits: z.number().int().min(1).max(32).default(8),
    /** Signed bits that the largest weight of a tensor is scaled to (constants cost no constraints). */
    weightBits: z.number().int().min(2).max(32).default(12),
    /** Signed bits that the calibrated range of an activation is scaled to. */
    activationBits: z.number().int().min(2).max(40).default(12),
    /** Fraction bits used where no calibration data says better. */
    defaultScaleBits: z.number().int().min(0).max(30).default(7),
    /** Float range [lo, hi] of every input, overriding calibration. */
    inputRange: z
      .tuple([z.number(), z.number()])
      .refine(([lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi) && lo < hi, 'inputRange needs lo < hi')
      .optional(),
    /** Inferences proved by one circuit (one proof, one commitment to all inputs and one to all outputs). */
    batchSize: z.number().int().min(1).max(1024).default(1).describe('inferences per proof: an input then holds exactly this many samples, with one commitment over all of them'),
    /**
     * What scale choices favour: 'accuracy' (more fraction bits, within the field and gadget limits),
     * 'resources' (fewer bits, smaller gadgets) or 'balanced' (the defaults as given).
     */
    target: z.enum(['balanced', 'accuracy', 'resources']).default('balanced'),
    /**
     * The value a symbolic leading dimension is bound to: 1 for a batch (the circuit proves one
     * inference), or the length of a time axis that the model convolves along.
     */
    leadingDim: z.number().int().min(1).max(65536).default(1),
    /**
     * Values for named symbolic dimensions of the inputs (ONNX dim_param, e.g. a sequence `length`;
     * EZKL calls these variables): each is fixed at compile time, and the circuit proves that shape.
     * A named dimension given here wins over leadingDim; any other symbolic dimension after the first
     * is refused, naming it.
     */
    dims: z.record(z.string().min(1), z.number().int().min(1).max(65536)).optional(),
    /**
     * The largest static error bound allowed on any output (in the output's float units): compile
     * then picks activationBits, weightBits, inputBits and target itself, the choice with the fewest
     * predicted constraints whose bound meets it (the given ones are ignored), and the report says
     * which layers the bound comes from.
     */
    maxError: z
      .number()
      .positive()
      .optional()
      .describe('largest static error bound allowed on any output: compile picks the activation, weight and input bits and the target with the fewest constraints that meet it'),
    /** Upper bound on circuit size before anything is compiled. */
    maxConstraints: z.number().int().positive().default(4_000_000),
  })
  .strict();

export type CompileSettings = z.infer<typeof CompileSettingsSchema>;

export function parseSettings(raw: unknown): CompileSettings {
  const r = CompileSettingsSchema.safeParse(withLegacyNames(raw ?? {}));
  if (!r.success) {
    const issue = r.error.issues[0];
    const setting = issue.path.join('.');
    throw new ZkmlError('SETTINGS_INVALID', `${setting || 'settings'}: ${issue.message}`, setting ? { setting } : undefined);
  }
  return r.data;
}

/** Settings written before weightVisibility had its name said paramVisibility; both are read. */
function withLegacyNames(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || !('paramVisibility' in raw)) return raw;
  const { paramVisibility, ...rest } = raw as Record<string, unknown>;
  return 'weightVisibility' in rest ? raw : { ...rest, weightVisibility: paramVisibility };
}
