/** A logger for snarkjs calls: quiet, but keeps the errors, since snarkjs reports some failures only there. */
import { ErrorCode, ZkmlError } from '../errors';
import type { SnarkjsLog } from './snarkjs';

export interface CapturingLog extends SnarkjsLog {
  /** Everything snarkjs logged as an error, in order. */
  readonly errors: readonly string[];
  lastError(): string | undefined;
  /** A typed error for a failed step, with snarkjs's last complaint. */
  failure(step: string, code?: ErrorCode): ZkmlError;
}

export function snarkjsLogger(): CapturingLog {
  const errors: string[] = [];
  const quiet = (): void => undefined;
  return {
    debug: quiet,
    info: quiet,
    warn: quiet,
    error: (msg: unknown) => void errors.push(String(msg)),
    errors,
    lastError: (): string | undefined => errors[errors.length - 1],
    failure: (step: string, code: ErrorCode = 'SETUP_FAILED') => new ZkmlError(code, `${step} failed${errors.length ? `: ${errors[errors.length - 1]}` : ''}`),
  };
}
