/**
 * Typed errors with stable codes. Every failure a user can cause surfaces as a ZkmlError;
 * the CLI prints `code: message` on one line and exits non-zero, the API maps codes to HTTP.
 */
export const ERROR_CODES = {
  ONNX_MALFORMED: 'the file is not a valid ONNX model',
  ONNX_UNSUPPORTED_OP: 'the model uses operators this compiler does not support',
  ONNX_UNSUPPORTED_ATTRIBUTE: 'an operator attribute is not supported',
  WEIGHTS_NOT_FINITE: 'a weight or constant of the model is NaN or infinite',
  ONNX_DYNAMIC_SHAPE: 'a tensor shape cannot be fixed at compile time',
  ONNXRUNTIME_REFUSED: 'onnxruntime refuses to load or run the model',
  SHAPE_MISMATCH: 'tensor shapes do not agree',
  MODEL_TOO_LARGE: 'the model exceeds the configured size limits',
  CALIBRATION_INVALID: 'the calibration file is not valid',
  SETTINGS_INVALID: 'compile settings are not valid',
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
  SIGNAL_COUNT_MISMATCH: 'the number of public signals does not match the circuit',
  SIGNAL_NOT_IN_FIELD: 'a public signal is not a canonical field element',
  PROOF_MALFORMED: 'the proof is not a well-formed Groth16 proof',
  PROOF_INVALID: 'the proof does not verify',
  COMMITMENT_MISMATCH: 'an opened value does not match the commitment in the public signals',
  OPENING_INVALID: 'the opened values of a commitment are malformed or out of range',
  WEIGHTS_COMMITMENT_MISMATCH: 'the proof is about other weights than the ones committed to for this model',
  CHAIN_ERROR: 'the chain call failed',
  USAGE: 'the command line is not valid',
  CONFIG_INVALID: 'the service configuration is not valid',
  BODY_INVALID: 'the request body is not valid',
  BODY_TOO_LARGE: 'the request body exceeds the size limit',
  NOT_FOUND: 'no such resource',
  MODEL_NOT_READY: 'the model is not compiled and set up yet',
  NO_RECEIPT: 'the proof job has no receipt: it is not done yet, or it failed',
  QUEUE_FULL: 'the job queue is full: retry later',
  UNAUTHENTICATED: 'a valid API key is required',
  FORBIDDEN: 'the API key lacks the scope this call needs',
  JOB_ABANDONED: 'the job was interrupted too many times and was given up',
  JOB_TIMEOUT: 'the job did not finish within its time limit and was stopped',
  INTERNAL: 'an internal error',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class ZkmlError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ZkmlError';
    this.code = code;
    this.details = details;
  }
}

/** Wraps anything thrown into a ZkmlError, keeping typed errors as they are. */
export function asZkmlError(err: unknown, fallback: ErrorCode = 'INTERNAL'): ZkmlError {
  if (err instanceof ZkmlError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ZkmlError(fallback, message.split('\n')[0]);
}
