/**
 * Every error leaves as application/problem+json (RFC 9457) with the stable `code`: ZkmlErrors by
 * their code (and `details`: the ones src/errors.ts PUBLIC_DETAILS lists for the code), body-parser
 * and routing errors mapped to codes, anything else a logged 500 INTERNAL.
 */
import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { ERROR_CODES, ErrorCode, publicDetails, ZkmlError } from '../errors';
import { QueueFullError } from '../jobs/engine';
import { httpStatus } from './http-status';

export function problem(res: Response, req: Request, status: number, code: ErrorCode, detail: string, extra: Record<string, unknown> = {}): void {
  res
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: `urn:zkml:error:${code}`, title: ERROR_CODES[code], status, code, detail, instance: req.originalUrl, requestId: req.id, ...extra }));
}

/** Maps what Express, body-parser and Nest throw to our codes. */
export function toZkmlError(err: unknown): { status: number; error: ZkmlError } {
  if (err instanceof ZkmlError) return { status: httpStatus(err.code), error: err };
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.too.large') return { status: 413, error: new ZkmlError('BODY_TOO_LARGE', 'the request body exceeds the size limit') };
  if (e?.type === 'entity.parse.failed') return { status: 400, error: new ZkmlError('BODY_INVALID', 'the body is not valid JSON') };
  if (typeof e?.type === 'string' && e.type.startsWith('encoding.')) return { status: 415, error: new ZkmlError('BODY_INVALID', e.message ?? 'unsupported encoding') };
  // Any other client error body-parser raises (unsupported charset, bad content-encoding, ...).
  const clientStatus = (e as { status?: number; expose?: boolean })?.expose ? e.status : undefined;
  if (typeof clientStatus === 'number' && clientStatus >= 400 && clientStatus < 500)
    return { status: clientStatus, error: new ZkmlError('BODY_INVALID', e.message ?? 'the request body cannot be read') };
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code: ErrorCode = status === 404 ? 'NOT_FOUND' : status === 413 ? 'BODY_TOO_LARGE' : status < 500 ? 'BODY_INVALID' : 'INTERNAL';
    return { status, error: new ZkmlError(code, err.message) };
  }
  return { status: 500, error: new ZkmlError('INTERNAL', 'an internal error occurred') };
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const { status, error } = toZkmlError(exception);
    if (status >= 500) (req.log ?? this.log).error({ err: exception }, 'request failed');
    if (exception instanceof QueueFullError) res.setHeader('Retry-After', String(exception.retryAfterSec));
    // An outage of the store or the queue: retry later (503 with Retry-After).
    else if (typeof error.details?.retryAfterSec === 'number') res.setHeader('Retry-After', String(error.details.retryAfterSec));
    const details = publicDetails(error.code, error.details);
    problem(res, req, status, error.code, error.message, details ? { details } : {});
  }
}
