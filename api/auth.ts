/**
 * Bearer-key authentication. It resolves the tenant before any route runs, so every route
 * starts with a tenant id it can trust and nothing touches Temporal or a store without one.
 */
import type { MiddlewareHandler } from 'hono';
import type { Catalog } from '../activities/adapters/catalog.js';
import { ApiError } from './errors.js';
import { hashApiKey } from './keys.js';

export type AuthVariables = { tenantId: string; requestId: string };

/** Requires `Authorization: Bearer <key>` and sets `tenantId`. */
export function requireTenant(catalog: Catalog): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer ([A-Za-z0-9_-]{10,200})$/.exec(header);
    if (!match) throw new ApiError(401, 'unauthorized', 'Send an API key as "Authorization: Bearer <key>".', { 'WWW-Authenticate': 'Bearer' });
    const tenantId = await catalog.findTenantByKeyHash(hashApiKey(match[1]));
    if (!tenantId) throw new ApiError(401, 'unauthorized', 'The API key is unknown or revoked.', { 'WWW-Authenticate': 'Bearer' });
    c.set('tenantId', tenantId);
    await next();
  };
}
