/**
 * The response bodies of the HTTP API as zod schemas: the one source of the OpenAPI document's
 * response schemas (openapi.ts) and of the typed client (clients/typescript). Views are strict, so
 * a field the service adds without documenting it fails the contract test (test/service/openapi.test.ts).
 */
import { ReceiptSchema, ReceiptTimingsSchema } from '../formats/receipt';
import { z } from 'zod';
import { ERROR_CODES, ErrorCode } from '../errors';
import { JOB_STATES } from '../jobs/job';

const codes = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];
const Decimal = z.string().regex(/^[0-9]+$/);
const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const Timestamp = z.string().describe('ISO 8601');
const Kind = z.enum(['output', 'input', 'inputCommitment', 'outputCommitment', 'weightsCommitment']);

export const PublicErrorView = z.object({ code: z.enum(codes), message: z.string(), details: z.record(z.unknown()).optional() }).strict();

/** application/problem+json (RFC 9457) with the stable `code`. */
export const Problem = z
  .object({
    type: z.string().describe('urn:zkml:error:CODE'),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(codes),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string().optional(),
    details: z.record(z.unknown()).optional().describe('public details of the code (src/errors.ts PUBLIC_DETAILS): offending nodes, field names, limits'),
  })
  .strict();

export const JobView = z
  .object({
    id: z.string(),
    kind: z.enum(['compile', 'prove']),
    modelId: Hex64,
    batchId: z.string().nullable(),
    batchIndex: z.number().int().nullable(),
    state: z.enum(JOB_STATES as [string, ...string[]]),
    phase: z.string(),
    percent: z.number().min(0).max(100),
    error: PublicErrorView.nullable(),
    attempts: z.number().int(),
    createdAt: Timestamp,
    startedAt: Timestamp.nullable(),
    finishedAt: Timestamp.nullable(),
  })
  .strict();

const Opening = z.object({ name: z.string(), shape: z.array(z.number().int()), integers: z.array(z.string()) }).strict();
const G1 = z.array(Decimal).length(3);

/**
 * A zkml-receipt/1 as the service writes it: ReceiptSchema (src/formats/receipt.ts, which parses any
 * receipt) with what the service always fills made required and the parts it leaves to later checks
 * (proof, signals, openings) given their exact shape. `openings`, `outputs` and `reference` may be withheld.
 */
const R = ReceiptSchema.shape;
export const ReceiptView = ReceiptSchema.extend({
  format: R.format.unwrap(),
  model: R.model.unwrap(),
  proof: z.object({ pi_a: G1, pi_b: z.array(z.array(Decimal).length(2)).length(3), pi_c: G1, protocol: z.literal('groth16'), curve: z.literal('bn128') }).strict(),
  publicSignals: z.array(Decimal),
  publicInputs: R.publicInputs.unwrap(),
  openings: z
    .object({ inputSalt: Decimal.optional(), inputs: z.array(Opening).optional(), outputSalt: Decimal.optional(), outputs: z.array(Opening).optional() })
    .strict()
    .optional(),
  setup: R.setup.unwrap(),
  timings: ReceiptTimingsSchema,
  createdAt: Timestamp,
}).strict();

const Withheld = z.array(z.enum(['openings', 'outputs', 'reference']));

/** A proof job with its receipt as this caller may see it. */
export const WebhookView = z
  .object({
    url: z.string(),
    attempts: z.number().int().describe('delivery attempts so far'),
    lastStatus: z.number().int().nullable().describe("the receiver's last HTTP status (null: no answer)"),
    deliveredAt: Timestamp.nullable(),
    lastError: z.string().nullable(),
  })
  .strict()
  .describe('the webhook delivery of a job that gave a callbackUrl');
export const ProofView = JobView.extend({ webhook: WebhookView.nullable(), receipt: ReceiptView.nullable(), withheld: Withheld }).strict();

export const ProofAccepted = z.object({ id: z.string(), state: JobView.shape.state, created: z.boolean().describe('false when the idempotency key repeated') }).strict();

export const BatchAccepted = z.object({ id: z.string(), size: z.number().int(), created: z.boolean().optional().describe('false when the idempotency key repeated') }).strict();

export const BatchView = z
  .object({
    id: z.string(),
    modelId: Hex64,
    size: z.number().int(),
    createdAt: Timestamp,
    counts: z.object({ queued: z.number().int(), running: z.number().int(), done: z.number().int(), failed: z.number().int() }).strict(),
    offset: z.number().int(),
    limit: z.number().int(),
    items: z.array(ProofView.extend({ index: z.number().int().nullable() }).strict()),
  })
  .strict();

const ModelStatus = z.enum(['uploaded', 'compiling', 'ready', 'failed', 'stopped']);

export const ModelCreated = z.object({ id: Hex64, name: z.string(), status: ModelStatus }).strict();
export const ModelList = z.array(
  z.object({ id: Hex64, name: z.string(), status: ModelStatus, settings: z.record(z.unknown()).nullable().describe('the compile settings of a ready model'), createdAt: Timestamp }).strict(),
);
/** The answer of POST /v1/models/:id/check: the status the re-check left, with the reason when stopped. */
export const ModelCheck = z.object({ id: Hex64, status: ModelStatus, error: z.unknown().nullable() }).strict();
export const CompileAccepted = z.object({ jobId: z.string(), modelId: Hex64, state: JobView.shape.state }).strict();

/** ZkmlRegistry's KeyProvenance as registered (src/chain/key-provenance.ts; docs/contracts.md). */
export const KeyProvenanceView = z
  .object({
    ptau: z.enum(['dev', 'pinned', 'unpinned']),
    ptauPower: z.number().int(),
    phase2: z.enum(['local', 'ceremony']),
    contributions: z.number().int(),
    ptauBlake2b512: z.string().regex(/^[0-9a-f]{128}$/),
    circuitHash: Hex64,
    transcriptHash: Hex64,
    beaconHash: Hex64,
  })
  .strict();

export const Deployment = z
  .object({
    chainId: z.number().int(),
    verifier: z.object({ address: Address, txHash: z.string().optional() }).strict(),
    registry: z
      .object({
        address: Address,
        deployTxHash: z.string().optional(),
        modelId: Decimal,
        registerTxHash: z.string(),
        registerGasUsed: Decimal,
        keyProvenance: KeyProvenanceView.optional().describe('absent in deployments recorded before the registry stored it'),
      })
      .strict()
      .optional(),
    deployedAt: Timestamp,
  })
  .strict();
export const DeployResult = z.object({ deployment: Deployment, created: z.boolean() }).strict();

/** manifest.json (src/formats/artifacts.ts): the hash chain and the key's provenance. */
export const ManifestView = z
  .object({
    format: z.literal('zkml-manifest/1'),
    onnxSha256: Hex64,
    settingsSha256: Hex64,
    circuitSourceSha256: Hex64,
    r1csSha256: Hex64,
    wasmSha256: Hex64.optional(),
    backend: z.literal('direct').optional(),
    compiledSha256: Hex64.optional(),
    weightsCommitment: Decimal.optional(),
    zkeySha256: Hex64.optional(),
    vkSha256: Hex64.optional(),
    verifierSolSha256: Hex64.optional(),
    ptau: z
      .object({ power: z.number().int(), sha256: z.string(), blake2b512: z.string(), devSingleContributor: z.boolean(), pinned: z.boolean(), pinnedFile: z.string().optional(), source: z.string() })
      .strict()
      .optional(),
    phase2: z
      .object({ kind: z.enum(['local', 'ceremony']), contributions: z.number().int(), transcriptSha256: z.string().optional() })
      .strict()
      .optional(),
    deployments: z.array(z.object({ chainId: z.number().int(), address: Address, bytecodeSha256: z.string() }).strict()).optional(),
  })
  .strict();

export const PublicEntryView = z.object({ kind: Kind, name: z.string(), shape: z.array(z.number().int()), scaleBits: z.number().int(), size: z.number().int() }).strict();

export const ModelDetails = z
  .object({
    id: Hex64,
    name: z.string(),
    status: ModelStatus,
    error: PublicErrorView.nullable(),
    compileJob: JobView.nullable(),
    compileWebhook: WebhookView.nullable(),
    settings: z.record(z.unknown()).nullable().describe('the compile settings in force (docs/service.md)'),
    publicLayout: z.array(PublicEntryView).nullable(),
    commitmentScheme: z.string().nullable(),
    weightsCommitment: Decimal.nullable(),
    deployment: Deployment.nullable(),
    report: z.record(z.unknown()).nullable().describe('the per-layer constraint report (report.json)'),
    manifest: ManifestView.nullable(),
    createdAt: Timestamp,
  })
  .strict();

/** A snarkjs Groth16 bn128 verification key. */
export const VerificationKey = z
  .object({
    protocol: z.literal('groth16'),
    curve: z.literal('bn128'),
    nPublic: z.number().int(),
    vk_alpha_1: z.array(z.string()),
    vk_beta_2: z.array(z.array(z.string())),
    IC: z.array(z.array(z.string())),
  })
  .passthrough();

/** verifyProof(pA, pB, pC, pubSignals) arguments as hex words. */
export const Calldata = z.tuple([z.array(z.string()).length(2), z.array(z.array(z.string()).length(2)).length(2), z.array(z.string()).length(2), z.array(z.string())]);

export const VerifyResult = z
  .object({
    valid: z.boolean(),
    reason: z.string(),
    code: z.enum(codes).optional(),
    field: z.string().optional().describe('with RECEIPT_MISMATCH: the receipt field that disagrees with its proof and build'),
    onchain: z.object({ address: Address.optional(), chainId: z.number().int().optional(), deployed: z.boolean().optional() }).strict().optional(),
    opened: z.array(z.enum(['input', 'output'])).optional(),
  })
  .strict();

export const Health = z
  .object({
    status: z.enum(['ok', 'degraded']),
    live: z.boolean(),
    ready: z.boolean(),
    checks: z.object({ store: z.enum(['ok', 'unavailable']), queue: z.enum(['ok', 'unavailable']) }).strict(),
    queue: z.object({ mode: z.enum(['bullmq', 'in-process']), depth: z.number().int().nullable(), limit: z.number().int(), busyHere: z.number().int() }).strict(),
  })
  .strict();
