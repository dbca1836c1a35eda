/**
 * The request bodies of the HTTP API as zod schemas: validated here, at the edge, into the typed
 * requests the engine takes. A failure is BODY_INVALID naming the field. Bodies are strict: an
 * unknown field (a misspelt `idempotency_key`, a feature this version lacks) is refused, never ignored.
 */
import { z } from 'zod';
import { ZkmlError } from '../errors';
import type { Receipt } from '../formats/receipt';
import type { BatchRequest, CompileRequest, DeployRequest, ProofRequest, VerifyRequest } from '../jobs/engine';

/** Salts as text (decimal or 0x-hex): a JSON number would lose digits. */
const SaltsBody = z.object({ input: z.string().max(100).optional(), output: z.string().max(100).optional() }).strict();
const IdempotencyKey = z.string().min(1).max(200);
/** Where the signed outcome of each proof job is POSTed when it ends (docs/service.md, Webhooks). */
const CallbackUrl = z
  .string()
  .max(2000)
  .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'callbackUrl is an http(s) URL');
const ProofBody = z
  .object({
    modelId: z.string().regex(/^[0-9a-f]{64}$/, 'modelId is a 64-digit hex sha256'),
    input: z.unknown().refine((v) => v !== undefined && v !== null, 'input is required'),
    idempotencyKey: IdempotencyKey.optional(),
    salts: SaltsBody.optional(),
    callbackUrl: CallbackUrl.optional(),
  })
  .strict();
const BatchBody = z
  .object({
    modelId: ProofBody.shape.modelId,
    inputs: z.array(z.unknown()).min(1),
    idempotencyKey: IdempotencyKey.optional(),
    /** One per input when given. */
    salts: z.array(SaltsBody).optional(),
    /** Each item's outcome is POSTed there when it ends (one delivery per item). */
    callbackUrl: CallbackUrl.optional(),
  })
  .strict();
/** callbackUrl: the compile job's outcome is POSTed there when it ends (when this request starts one). */
const CompileBody = z.object({ settings: z.record(z.unknown()).optional(), calibration: z.unknown().optional(), callbackUrl: CallbackUrl.optional() }).strict();
const DeployBody = z
  .object({
    registry: z
      .string()
      .regex(/^(new|0x[0-9a-fA-F]{40})$/, 'registry is a contract address (0x and 40 hex digits) or "new"')
      .optional(),
    force: z.boolean().optional(),
  })
  .strict();
const VerifyBody = z
  .object({
    receipt: z.object({ proof: z.unknown(), publicSignals: z.unknown(), model: z.object({ onnxSha256: z.string(), vkSha256: z.string() }).passthrough() }).passthrough(),
    onchain: z.boolean().optional(),
  })
  .strict();

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    if (issue.code === 'unrecognized_keys') {
      const field = [...issue.path, issue.keys[0]].join('.');
      throw new ZkmlError('BODY_INVALID', `${field}: unknown field (this endpoint takes no such field)`, { field });
    }
    const field = issue.path.join('.');
    throw new ZkmlError('BODY_INVALID', `${field || 'body'}: ${issue.message}`, field ? { field } : undefined);
  }
  return r.data;
}

/**
 * The idempotency key from the `Idempotency-Key` header or the body's `idempotencyKey` field (the
 * same key when both are given).
 */
function withIdempotencyKey<T extends { idempotencyKey?: string }>(request: T, header: string | string[] | undefined): T {
  if (header === undefined) return request;
  const key = parseBody(IdempotencyKey, Array.isArray(header) ? header.join(',') : header);
  if (request.idempotencyKey !== undefined && request.idempotencyKey !== key) {
    throw new ZkmlError('BODY_INVALID', 'idempotencyKey: the body and the Idempotency-Key header give two different keys', { field: 'idempotencyKey' });
  }
  return { ...request, idempotencyKey: key };
}

export const parseProofRequest = (body: unknown, idempotencyHeader?: string | string[]): ProofRequest => withIdempotencyKey({ input: undefined, ...parseBody(ProofBody, body) }, idempotencyHeader);
export const parseBatchRequest = (body: unknown, idempotencyHeader?: string | string[]): BatchRequest => withIdempotencyKey(parseBody(BatchBody, body), idempotencyHeader);
export const parseCompileRequest = (body: unknown): CompileRequest => parseBody(CompileBody, body ?? {});
export const parseDeployRequest = (body: unknown): DeployRequest => parseBody(DeployBody, body ?? {});
/** The receipt's own claims are not trusted here: verification checks the proof, signals and openings. */
export const parseVerifyRequest = (body: unknown): VerifyRequest => {
  const { receipt, onchain } = parseBody(VerifyBody, body);
  return { receipt: receipt as unknown as Receipt, onchain };
};

/** The request schemas by route, for the OpenAPI document (openapi.ts) and the typed client. */
export const REQUEST_BODIES = { proof: ProofBody, batch: BatchBody, compile: CompileBody, deploy: DeployBody, verify: VerifyBody };
