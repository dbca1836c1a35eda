/**
 * API keys with scopes: `Authorization: Bearer KEY` or `X-Api-Key: KEY`. 401 without a known key,
 * 403 when the key lacks the route's scope. Scopes are a hierarchy: admin ⊇ prove ⊇ read. Routes marked @Public() (health, metrics, docs) need none.
 * With no keys configured the API is open (embedded development default; the boot log says so).
 * The caller's identity (the sha256 of their key) is what proof jobs record as their requester.
 */
import { CanActivate, createParamDecorator, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import * as crypto from 'node:crypto';
import type { Request } from 'express';
import { ZkmlError } from '../errors';
import type { CallerId } from '../jobs/engine';
import { SCOPES, Scope } from './config';

const SCOPE_KEY = 'zkml:scope';
export const RequireScope = (scope: Scope | 'public') => SetMetadata(SCOPE_KEY, scope);
export const Public = () => RequireScope('public');

const CALLER = Symbol('zkml:caller');
type WithCaller = Request & { [CALLER]?: CallerId };

/** The caller of a request the guard let through: their key's sha256, or null on an open API. */
export const Caller = createParamDecorator((_: unknown, ctx: ExecutionContext): CallerId => ctx.switchToHttp().getRequest<WithCaller>()[CALLER] ?? null);

/** Scopes are a hierarchy (SCOPES, lowest first): admin ⊇ prove ⊇ read. */
const grants = (scopes: Set<Scope>, needed: Scope): boolean => [...scopes].some((s) => SCOPES.indexOf(s) >= SCOPES.indexOf(needed));

/** Constant-time lookup, so response timing does not reveal how much of a key matched. */
function findKey(keys: Map<string, Set<Scope>>, given: string): Set<Scope> | undefined {
  const g = crypto.createHash('sha256').update(given).digest();
  let found: Set<Scope> | undefined;
  for (const [key, scopes] of keys) {
    if (crypto.timingSafeEqual(g, crypto.createHash('sha256').update(key).digest())) found = scopes;
  }
  return found;
}

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: Map<string, Set<Scope>>,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const scope = this.reflector.getAllAndOverride<Scope | 'public' | undefined>(SCOPE_KEY, [ctx.getHandler(), ctx.getClass()]);
    if (scope === 'public' || this.keys.size === 0) return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    const auth = req.headers.authorization;
    const given = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : (req.headers['x-api-key'] as string | undefined);
    const scopes = given ? findKey(this.keys, given) : undefined;
    if (!scopes) throw new ZkmlError('UNAUTHENTICATED', 'send a valid API key as "Authorization: Bearer KEY" or "X-Api-Key: KEY"');
    // A route without a declared scope is an admin route: fail closed.
    const needed = scope ?? 'admin';
    if (!grants(scopes, needed)) throw new ZkmlError('FORBIDDEN', `this call needs the '${needed}' scope (or one above it: ${SCOPES.slice(SCOPES.indexOf(needed)).join(' ⊇ ')})`);
    // Never the key itself: a job row must not hold a credential.
    (req as WithCaller)[CALLER] = crypto.createHash('sha256').update(given!).digest('hex');
    return true;
  }
}
