/**
 * HTTP hardening without a dependency: the response headers helmet would set for a JSON API, and
 * the request URL as logged, with credentials a client put in the query string blanked out.
 */
import type { NextFunction, Request, Response } from 'express';

/** Query parameters that look like a credential (?api_key=…, ?token=…): never logged. */
const SECRET_PARAM = /key|token|secret|password|passwd|auth|signature|credential/i;

/** The API's own CSP: it serves JSON and text, never scripts; /docs (Swagger UI) needs its own assets. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const DOCS_CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

export function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  res.setHeader('Content-Security-Policy', req.path === '/docs' || req.path.startsWith('/docs/') ? DOCS_CSP : API_CSP);
  // Receipts and openings must not sit in a shared cache.
  if (req.path.startsWith('/v1/')) res.setHeader('Cache-Control', 'no-store');
  next();
}

/** A serialized request (pino-http) with credential-like query parameters blanked in its url and query. */
export function redactRequest<R extends { url?: string; query?: unknown }>(req: R): R {
  if (req.url) req.url = redactUrl(req.url);
  if (req.query && typeof req.query === 'object') {
    req.query = Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, SECRET_PARAM.test(k) ? '[redacted]' : v]));
  }
  return req;
}

/** The URL with the values of credential-like query parameters replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const name of [...params.keys()]) {
    if (SECRET_PARAM.test(name)) {
      params.set(name, '[redacted]');
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}
