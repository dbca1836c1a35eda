/**
 * The request bodies of the HTTP API as zod schemas: validated here, at the edge, into the typed
 * requests the engine takes. A failure is BODY_INVALID naming the field.
 */
import { z } from 'zod';
import { ZkmlError } from '../errors';
import type { Receipt } from '../formats/receipt';
import type { BatchRequest, CompileRequest, DeployRequest, ProofRequest, VerifyRequest } from '../jobs/engine';

/** Salts as text (decimal or 0x-hex): a JSON number would lose digits. */
const SaltsBody = z.object({ input: z.string().max(100).optional(), output: z.string().max(100).optional() }).strict();
const ProofBody = z.object({
  modelId: z.string().regex(/^[0-9a-f]{64}$/, 'modelId is a 64-digit hex sha256'),
  input: z.unknown().refine((v) => v !== undefined && v !== null, 'input is required'),
  idempotencyKey: z.string().min(1).max(200).optional(),
  salts: SaltsBody.optional(),
});
const BatchBody = z.object({
  modelId: ProofBody.shape.modelId,
  inputs: z.array(z.unknown()).min(1),
  /** One per input when given. */
  salts: z.array(SaltsBody).optional(),
});
const CompileBody = z.object({ settings: z.record(z.unknown()).optional(), calibration: z.unknown().optional() }).strict();
const DeployBody = z
  .object({
    registry: z
      .string()
      .regex(/^(new|0x[0-9a-fA-F]{40})$/, 'registry is a contract address (0x and 40 hex digits) or "new"')
      .optional(),
    force: z.boolean().optional(),
  })
  .strict();
const VerifyBody = z.object({
  receipt: z.object({ proof: z.unknown(), publicSignals: z.unknown(), model: z.object({ onnxSha256: z.string(), vkSha256: z.string() }).passthrough() }).passthrough(),
  onchain: z.boolean().optional(),
});

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue.path.join('.');
    throw new ZkmlError('BODY_INVALID', `${field || 'body'}: ${issue.message}`, field ? { field } : undefined);
  }
  return r.data;
}

export const parseProofRequest = (body: unknown): ProofRequest => ({ input: undefined, ...parseBody(ProofBody, body) });
export const parseBatchRequest = (body: unknown): BatchRequest => parseBody(BatchBody, body);
export const parseCompileRequest = (body: unknown): CompileRequest => parseBody(CompileBody, body ?? {});
export const parseDeployRequest = (body: unknown): DeployRequest => parseBody(DeployBody, body ?? {});
/** The receipt's own claims are not trusted here: verification checks the proof, signals and openings. */
export const parseVerifyRequest = (body: unknown): VerifyRequest => {
  const { receipt, onchain } = parseBody(VerifyBody, body);
  return { receipt: receipt as unknown as Receipt, onchain };
};

/** The request schemas by route, for the OpenAPI document (openapi.ts) and the typed client. */
export const REQUEST_BODIES = { proof: ProofBody, batch: BatchBody, compile: CompileBody, deploy: DeployBody, verify: VerifyBody };
