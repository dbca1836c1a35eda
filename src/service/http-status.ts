/** HTTP status for each stable error code (anything unlisted is a 422: the request was understood but refused). */
import type { ErrorCode } from '../errors';

const STATUS: Partial<Record<ErrorCode, number>> = {
  BODY_INVALID: 400,
  INPUT_INVALID: 400,
  INPUT_MISSING: 400,
  SETTINGS_INVALID: 400,
  CALIBRATION_INVALID: 400,
  RECEIPT_INVALID: 400,
  OPENING_INVALID: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  MODEL_NOT_READY: 409,
  MODEL_STOPPED: 409,
  NO_RECEIPT: 409,
  BODY_TOO_LARGE: 413,
  MODEL_TOO_LARGE: 413,
  QUEUE_FULL: 429,
  INTERNAL: 500,
  CIRCOM_FAILED: 500,
  SETUP_FAILED: 500,
  PROVE_FAILED: 500,
  ARTIFACT_MISSING: 500,
  ARTIFACT_HASH_MISMATCH: 500,
  CONFIG_INVALID: 500,
  JOB_ABANDONED: 500,
  JOB_TIMEOUT: 500,
  CHAIN_ERROR: 502,
  DISK_FULL: 507,
};

export function httpStatus(code: ErrorCode): number {
  return STATUS[code] ?? 422;
}
