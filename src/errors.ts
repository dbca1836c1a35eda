/**
 * Typed errors with stable codes. Every failure a user can cause surfaces as a ZkmlError;
 * the CLI prints `code: message` on one line and exits non-zero, the API maps codes to HTTP.
 *
 * Across a thread or process boundary (the prover's and the compile thread's Piscina tasks, the job
 * store that BullMQ workers write and the API reads) a ZkmlError travels as its ErrorEnvelope and is
 * rebuilt on the other side with the same code, message and details: never parsed from a message.
 * What leaves the service (problem+json bodies, stored job and model errors) is the PublicError:
 * code, message and only the details PUBLIC_DETAILS lists for the code.
 */
export const ERROR_CODES = {
  ONNX_MALFORMED: 'the file is not a valid ONNX model',
  ONNX_UNSUPPORTED_OP: 'the model uses operators this compiler does not support',
  ONNX_UNSUPPORTED_ATTRIBUTE: 'an operator attribute is not supported',
  WEIGHTS_NOT_FINITE: 'a weight or constant of the model is NaN or infinite',
  ONNX_DYNAMIC_SHAPE: 'a tensor shape cannot be fixed at compile time',
  FUNCTION_UNBOUNDED: "a math op's input range reaches where the function is undefined or unbounded (Log, Reciprocal or Sqrt of x <= 0, Tan at a pole, Asin or Acos beyond ±1)",
  ONNXRUNTIME_REFUSED: 'onnxruntime refuses to load or run the model',
  SHAPE_MISMATCH: 'tensor shapes do not agree',
  MODEL_TOO_LARGE: 'the model exceeds the configured size limits',
  CALIBRATION_INVALID: 'the calibration file is not valid',
  SETTINGS_INVALID: 'compile settings are not valid',
  OPTION_INVALID: 'an option of the operation is not valid',
  INPUT_INVALID: 'the input file is not valid',
  INPUT_MISSING: 'a model input is missing',
  INPUT_NOT_FINITE: 'an input value is NaN or infinite',
  INPUT_OUT_OF_RANGE: 'an input value is outside the quantized range of the circuit',
  CIRCOM_FAILED: 'circom failed to compile the generated circuit',
  WITNESS_FAILED: 'witness generation failed',
  UNDER_CONSTRAINED: 'a mutated witness satisfies the constraints: the circuit can prove a false statement',
  DISK_FULL: 'the disk is full: the artifact was not written',
  ARTIFACT_MISSING: 'a build artifact is missing',
  ARTIFACT_HASH_MISMATCH: 'a build artifact does not match its manifest hash',
  PTAU_INVALID: 'the powers-of-tau file is not valid',
  PTAU_TOO_SMALL: 'the powers-of-tau file is too small for the circuit',
  PTAU_UNKNOWN: 'the powers-of-tau file is not one of the pinned public ceremony files',
  PTAU_HASH_MISMATCH: 'the powers-of-tau file has the name of a pinned file but not its hash',
  CONTRIBUTION_INVALID: 'the phase-2 contribution does not verify or does not extend the current key',
  CEREMONY_STATE: 'the ceremony is not in a state that allows this step',
  PRODUCTION_REFUSED: 'production mode refuses this setup for proving',
  SETUP_FAILED: 'the Groth16 setup failed',
  PROVE_FAILED: 'proof generation failed',
  RECEIPT_INVALID: 'the receipt is malformed',
  RECEIPT_MODEL_MISMATCH: 'the receipt was made for another model',
  RECEIPT_MISMATCH: 'a claim of the receipt (outputs, reference figures, layout, setup, ...) is not what its proof and build say',
  SIGNAL_COUNT_MISMATCH: 'the number of public signals does not match the circuit',
  SIGNAL_NOT_IN_FIELD: 'a public signal is not a canonical field element',
  PROOF_MALFORMED: 'the proof is not a well-formed Groth16 proof',
  PROOF_INVALID: 'the proof does not verify',
  COMMITMENT_MISMATCH: 'an opened value does not match the commitment in the public signals',
  OPENING_INVALID: 'the opened values of a commitment are malformed or out of range',
  WEIGHTS_COMMITMENT_MISMATCH: 'the proof is about other weights than the ones committed to for this model',
  CHAIN_ERROR: 'the chain call failed',
  PRIVATE_KEY_REQUIRED: 'the operation sends a transaction and needs a private key',
  USAGE: 'the command line is not valid',
  CONFIG_INVALID: 'the service configuration is not valid',
  BODY_INVALID: 'the request body is not valid',
  BODY_TOO_LARGE: 'the request body exceeds the size limit',
  NOT_FOUND: 'no such resource',
  MODEL_NOT_READY: 'the model is not compiled and set up yet',
  MODEL_STOPPED: 'the model failed an integrity or trust check: it takes no proofs until its artifacts are repaired (and re-checked) or it is compiled again',
  NO_RECEIPT: 'the proof job has no receipt: it is not done yet, or it failed',
  QUEUE_FULL: 'the job queue is full: retry later',
  IDEMPOTENCY_CONFLICT: 'the idempotency key was used before with another request body',
  STORE_UNAVAILABLE: 'the job store (database) cannot be reached: retry later',
  QUEUE_UNAVAILABLE: 'the job queue (Redis) cannot be reached: retry later',
  UNAUTHENTICATED: 'a valid API key is required',
  FORBIDDEN: 'the API key lacks the scope this call needs',
  JOB_ABANDONED: 'the job was interrupted too many times and was given up',
  JOB_TIMEOUT: 'the job did not finish within its time limit and was stopped',
  JOB_CANCELLED: 'the job was cancelled before it ran',
  JOB_NOT_CANCELLABLE: 'the job is running or finished: only a queued job can be cancelled',
  MODEL_SETTINGS_CONFLICT: 'the model is already built (or being built) with other settings',
  MODEL_BUSY: 'the model has queued or running jobs',
  INTERNAL: 'an internal error',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export const isErrorCode = (v: unknown): v is ErrorCode => typeof v === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, v);

export class ZkmlError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  /** options.cause: the error this one wraps (ES2022 `Error.cause`), kept for logs; never shown to a client. */
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ZkmlError';
    this.code = code;
    this.details = details;
  }
}

/** Wraps anything thrown into a ZkmlError (the original as its cause), keeping typed errors as they are. */
export function asZkmlError(err: unknown, fallback: ErrorCode = 'INTERNAL'): ZkmlError {
  if (err instanceof ZkmlError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ZkmlError(fallback, message.split('\n')[0], undefined, { cause: err });
}

/** One link of a cause chain as it crosses a boundary: no stack, the first line of the message. */
export interface CauseSummary {
  name: string;
  code?: string;
  message: string;
}

/**
 * The serialisable form of a ZkmlError (structured-clone and JSON safe), used at every thread and
 * process boundary. details are all of the error's details made JSON-safe (bigints as decimal text);
 * they stay inside the service: what a client sees is toPublicError's whitelist.
 */
export interface ErrorEnvelope {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  /** The cause chain, the direct cause first (at most MAX_CAUSES links). */
  causes?: CauseSummary[];
}

const MAX_CAUSES = 8;
const MAX_CAUSE_MESSAGE = 500;

const firstLine = (text: string, max: number): string => {
  const line = text.split('\n')[0];
  return line.length > max ? `${line.slice(0, max)}…` : line;
};

/** A deep copy that JSON and structured cloning both take: bigints become decimal text; undefined when impossible (a cycle). */
function jsonSafe(value: Record<string, unknown>): Record<string, unknown> | undefined {
  try {
    return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  } catch {
    return undefined;
  }
}

function summariseCauses(err: unknown): CauseSummary[] {
  const out: CauseSummary[] = [];
  const seen = new Set<unknown>();
  for (let c = (err as { cause?: unknown })?.cause; c !== undefined && c !== null && out.length < MAX_CAUSES && !seen.has(c); c = (c as { cause?: unknown }).cause) {
    seen.add(c);
    const code = (c as { code?: unknown }).code;
    out.push({
      name: c instanceof Error ? c.name : typeof c,
      ...(typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {}),
      message: firstLine(c instanceof Error ? c.message : String(c), MAX_CAUSE_MESSAGE),
    });
    if (typeof c !== 'object') break;
  }
  return out;
}

/** Anything thrown → its envelope (a non-ZkmlError becomes `fallback`, its message's first line, itself the first cause). */
export function toErrorEnvelope(err: unknown, fallback: ErrorCode = 'INTERNAL'): ErrorEnvelope {
  const e = asZkmlError(err, fallback);
  const details = e.details ? jsonSafe(e.details) : undefined;
  const causes = summariseCauses(e);
  return { code: e.code, message: e.message, ...(details ? { details } : {}), ...(causes.length ? { causes } : {}) };
}

/** An envelope → the same ZkmlError (code, message, details), its cause chain rebuilt from the summaries. Anything malformed is INTERNAL. */
export function fromErrorEnvelope(envelope: unknown): ZkmlError {
  const o = (typeof envelope === 'object' && envelope !== null ? envelope : {}) as Partial<Record<keyof ErrorEnvelope, unknown>>;
  const code = isErrorCode(o.code) ? o.code : 'INTERNAL';
  const message = typeof o.message === 'string' ? o.message : `malformed error envelope: ${firstLine(String(JSON.stringify(envelope)), 200)}`;
  const details = typeof o.details === 'object' && o.details !== null && !Array.isArray(o.details) ? (o.details as Record<string, unknown>) : undefined;
  let cause: Error | undefined;
  const causes = Array.isArray(o.causes) ? (o.causes as CauseSummary[]) : [];
  for (const c of [...causes].reverse()) {
    const msg = String(c?.message ?? '');
    const next: Error = isErrorCode(c?.code) ? new ZkmlError(c.code, msg, undefined, { cause }) : new Error(msg, cause ? { cause } : undefined);
    if (!(next instanceof ZkmlError)) {
      next.name = String(c?.name ?? 'Error');
      if (c?.code !== undefined) (next as Error & { code?: string }).code = String(c.code);
    }
    cause = next;
  }
  return new ZkmlError(code, message, details, { cause });
}

/** What a Piscina task returns instead of throwing: a thrown error would reach the pool without its code and details. */
export type TaskOutcome<T> = { ok: true; value: T } | { ok: false; error: ErrorEnvelope };

/** Runs a task's work, catching whatever it throws as an envelope (a non-ZkmlError as `fallback`). */
export async function settleTask<T>(work: () => Promise<T>, fallback: ErrorCode = 'INTERNAL'): Promise<TaskOutcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (err) {
    return { ok: false, error: toErrorEnvelope(err, fallback) };
  }
}

/** The task's value, or its error rethrown as the ZkmlError it was in the worker. */
export function unwrapTask<T>(outcome: TaskOutcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw fromErrorEnvelope(outcome.error);
}

/**
 * The details a client may see, per code: names of nodes, inputs, settings and fields, counts and
 * limits, hashes of artifacts. Everything else stays in the service's logs, in particular logs of
 * tools (circom), file system paths, stack traces and any private input value. A code not listed
 * shows no details.
 */
export const PUBLIC_DETAILS: { readonly [C in ErrorCode]?: readonly string[] } = {
  ONNX_MALFORMED: ['node'],
  ONNX_UNSUPPORTED_OP: ['nodes', 'node', 'opType', 'inputs'],
  ONNX_UNSUPPORTED_ATTRIBUTE: ['node', 'opType'],
  ONNX_DYNAMIC_SHAPE: ['node', 'input', 'dim', 'setting'],
  FUNCTION_UNBOUNDED: ['node', 'opType', 'lo', 'hi'],
  WEIGHTS_NOT_FINITE: ['node'],
  SHAPE_MISMATCH: ['node', 'input', 'index'],
  MODEL_TOO_LARGE: ['count', 'limit', 'unit', 'node', 'tensor'],
  SETTINGS_INVALID: ['setting'],
  OPTION_INVALID: ['option'],
  INPUT_INVALID: ['input', 'index'],
  INPUT_MISSING: ['input', 'index'],
  INPUT_NOT_FINITE: ['input', 'index'],
  INPUT_OUT_OF_RANGE: ['input', 'index'],
  OPENING_INVALID: ['index'],
  ARTIFACT_MISSING: ['artifact'],
  ARTIFACT_HASH_MISMATCH: ['artifact', 'actual', 'expected'],
  PTAU_TOO_SMALL: ['power', 'requiredPower'],
  PTAU_UNKNOWN: ['blake2b512'],
  PTAU_HASH_MISMATCH: ['blake2b512', 'expected'],
  PRODUCTION_REFUSED: ['problems'],
  BODY_INVALID: ['field', 'index'],
  QUEUE_FULL: ['retryAfterSec'],
  STORE_UNAVAILABLE: ['retryAfterSec'],
  QUEUE_UNAVAILABLE: ['retryAfterSec'],
  MODEL_STOPPED: ['reason'],
  RECEIPT_MISMATCH: ['field'],
  MODEL_SETTINGS_CONFLICT: ['settings'],
  MODEL_BUSY: ['active'],
};

/** At most this many entries of a public array detail (an unsupported-op list of a huge graph). */
const MAX_PUBLIC_ITEMS = 100;

function capped(v: unknown): unknown {
  if (Array.isArray(v)) return v.slice(0, MAX_PUBLIC_ITEMS).map(capped);
  if (typeof v === 'string') return firstLine(v, MAX_CAUSE_MESSAGE);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, capped(x)]));
  return v;
}

/** The whitelisted part of a code's details (JSON-safe), or undefined when nothing is public. */
export function publicDetails(code: ErrorCode, details: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const keys = PUBLIC_DETAILS[code];
  if (!keys || !details) return undefined;
  const picked = Object.fromEntries(keys.filter((k) => details[k] !== undefined).map((k) => [k, capped(details[k])]));
  return Object.keys(picked).length ? jsonSafe(picked) : undefined;
}

/** An error as it leaves the service: HTTP problem bodies, stored job and model errors. */
export interface PublicError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** Anything thrown (or an envelope's ZkmlError) → code, message and its whitelisted details. */
export function toPublicError(err: unknown, fallback: ErrorCode = 'INTERNAL'): PublicError {
  const e = asZkmlError(err, fallback);
  const details = publicDetails(e.code, e.details);
  return { code: e.code, message: e.message, ...(details ? { details } : {}) };
}
