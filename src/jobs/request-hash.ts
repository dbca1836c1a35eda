/**
 * The fingerprint of a request for idempotency: the sha256 of its canonical JSON (object keys
 * sorted), so the same body sent again matches whatever order its fields came in.
 */
import * as crypto from 'node:crypto';

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

export const requestHash = (request: unknown): string =>
  crypto
    .createHash('sha256')
    .update(JSON.stringify(canonical(request)))
    .digest('hex');

/** An idempotency key as stored: scoped to the caller, so two API keys never share one. */
export const scopedKey = (caller: string | null, key: string): string => `${caller ?? 'open'}:${key}`;
