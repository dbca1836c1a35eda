/**
 * A verdict: what a verify* function returns about something it was asked to judge (a proof, an
 * opening, a commitment). check* functions throw a ZkmlError instead.
 */
import type { ErrorCode } from '../errors';

export interface Verdict {
  valid: boolean;
  /** Why the receipt was refused; absent when valid. */
  code?: ErrorCode;
  reason: string;
  /** With RECEIPT_MISMATCH: the receipt field that disagrees (e.g. `outputs[0].values`). */
  field?: string;
}
