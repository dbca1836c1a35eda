/**
 * A dependency of the job system (the PostgreSQL store, Redis behind BullMQ) that cannot be reached
 * is a 503 with Retry-After, not a crash or a hang: its driver errors are turned into
 * STORE_UNAVAILABLE or QUEUE_UNAVAILABLE here, at the adapter, and the caller retries.
 */
import { DatabaseError } from 'pg';
import { ZkmlError } from '../errors';

/** What a client is told to wait before retrying: long enough for a restart, short enough to notice recovery. */
export const OUTAGE_RETRY_AFTER_SEC = 5;

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * Whether a pg error means the server is unreachable: a socket error, a server shutting down or
 * refusing connections (SQLSTATE class 08, 57P01-57P03, 53300), or pg's own connection failures,
 * which carry no code (a lost connection, a connect timeout).
 */
export function isPgUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseError) return err.code !== undefined && (err.code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(err.code));
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  return typeof e?.message === 'string' && /Connection terminated|timeout exceeded when trying to connect|connection error|Client was closed/i.test(e.message);
}

export const storeUnavailable = (cause: unknown): ZkmlError =>
  new ZkmlError('STORE_UNAVAILABLE', `the job store (PostgreSQL) cannot be reached; retry in about ${OUTAGE_RETRY_AFTER_SEC} s`, { retryAfterSec: OUTAGE_RETRY_AFTER_SEC }, { cause });

export const queueUnavailable = (cause?: unknown): ZkmlError =>
  new ZkmlError('QUEUE_UNAVAILABLE', `the job queue (Redis) cannot be reached; retry in about ${OUTAGE_RETRY_AFTER_SEC} s`, { retryAfterSec: OUTAGE_RETRY_AFTER_SEC }, { cause });
