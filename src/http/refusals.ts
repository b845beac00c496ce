/**
 * Audit completeness: a call to the CDS endpoints answered 4xx before it became an invocation
 * (refused by the JWT gate 401, body too large 413, unknown service 404, wrong method 405, bad
 * feedback 400) still leaves a row in access_audit: method, path, status and time, never the
 * body or a token, so an operator sees attacks and misconfigured clients.
 */
import type { MiddlewareHandler } from 'hono';
import type { AuthEnv } from '../auth/middleware.ts';
import type { Metrics } from '../observe/metrics.ts';
import type { Store } from '../store/store.ts';

export function auditRefusals(store: Store, metrics: Metrics, now: () => Date): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const receivedAt = now().getTime();
    await next();
    const status = c.res.status;
    if (status < 400 || status >= 500 || c.get('recorded') || c.req.method === 'OPTIONS') return;
    metrics.refused(status);
    await store.recordAccess({ receivedAt, kind: 'refused', method: c.req.method.slice(0, 16), path: c.req.path.slice(0, 300), status, principal: null, role: null });
  };
}
