/**
 * The compile settings as an OpenAPI schema, derived from the zod schema that parseSettings
 * validates with, so the documented fields, enums, bounds and defaults cannot drift from it.
 */
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';
import { CompileSettingsSchema } from '../formats/settings';

/** What the visibility choices mean (the other fields are described in docs/service.md). */
const DESCRIPTIONS: Record<string, string> = {
  inputVisibility: 'public: the input is among the public signals; private: a private witness; hashed: private, and its Poseidon commitment is public',
  outputVisibility: 'public: the outputs are public signals; hashed: only their Poseidon commitment is',
  weightVisibility: 'fixed: the weights are constants of the circuit; private (where the enum offers it): a private witness, with a public Poseidon commitment to all weights',
  batchSize: 'inferences per proof: an input then holds exactly this many samples, with one commitment over all of them',
};

function toOpenApi(t: z.ZodTypeAny): SchemaObject {
  if (t instanceof z.ZodDefault) return { ...toOpenApi(t._def.innerType), default: t._def.defaultValue() };
  if (t instanceof z.ZodOptional) return toOpenApi(t.unwrap());
  if (t instanceof z.ZodEffects) return toOpenApi(t.innerType());
  if (t instanceof z.ZodEnum) return { type: 'string', enum: [...t.options] };
  if (t instanceof z.ZodTuple) {
    const items = t.items as z.ZodTypeAny[];
    return { type: 'array', items: toOpenApi(items[0]), minItems: items.length, maxItems: items.length };
  }
  if (t instanceof z.ZodNumber) {
    const out: SchemaObject = { type: t.isInt ? 'integer' : 'number' };
    for (const c of t._def.checks) {
      // An exclusive bound on an integer is the next integer.
      const step = 'inclusive' in c && !c.inclusive ? 1 : 0;
      if (c.kind === 'min') out.minimum = c.value + step;
      if (c.kind === 'max') out.maximum = c.value - step;
    }
    return out;
  }
  return {};
}

export function compileSettingsSchema(): SchemaObject {
  const properties = Object.fromEntries(
    Object.entries(CompileSettingsSchema.shape).map(([name, field]) => [name, { ...toOpenApi(field as z.ZodTypeAny), ...(DESCRIPTIONS[name] ? { description: DESCRIPTIONS[name] } : {}) }]),
  );
  return {
    type: 'object',
    additionalProperties: false,
    description: 'Compile settings (all optional; validated when the request is made, SETTINGS_INVALID otherwise). See docs/service.md.',
    properties,
  };
}
