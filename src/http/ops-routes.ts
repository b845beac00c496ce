/** Operations: `/healthz` (alive), `/readyz` (content loaded, database writable), `/metrics` (Prometheus). */
import type { Hono } from 'hono';
import { findAdminToken } from '../auth/admin.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import type { Metrics } from '../observe/metrics.ts';
import { errorResponse, httpError } from './errors.ts';
import type { Routes } from './routes.ts';

export function opsRoutes(app: Hono<AuthEnv>, routes: Routes, metrics: Metrics): void {
  app.get('/healthz', (c) => c.json({ status: 'alive' }));

  app.get('/readyz', async (c) => {
    const checks: Record<string, string> = {};
    try {
      checks.content = routes.ruleSet().services.size > 0 ? 'loaded' : 'no services';
    } catch {
      checks.content = 'not loaded';
    }
    try {
      await routes.store.probeWritable(routes.call.now().getTime());
      checks.database = 'writable';
    } catch (error) {
      routes.log.error('readiness: database not writable', { error: (error as Error).name });
      checks.database = 'not writable';
    }
    const ready = checks.content === 'loaded' && checks.database === 'writable';
    return c.json({ status: ready ? 'ready' : 'not ready', checks }, ready ? 200 : 503);
  });

  /**
   * Open when no admin tokens are configured (development); with them, any admin token (viewer
   * and up) may scrape: it holds rule ids, versions and counts, never patient data.
   */
  app.get('/metrics', async (c) => {
    const tokens = routes.config.adminTokens;
    if (tokens.length > 0) {
      const secret = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
      if (!secret || !(await findAdminToken(tokens, secret))) {
        return errorResponse(httpError(401, 'GET /metrics needs an admin API token (any role)', 'login'), { 'www-authenticate': 'Bearer realm="cds-rules admin"' });
      }
    }
    return c.text(metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
}
