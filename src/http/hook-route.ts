/** `GET /cds-services` (discovery) and `POST /cds-services/{id}` (a hook call). */
import type { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AuthEnv } from '../auth/middleware.ts';
import { DISCOVERY_CACHE_CONTROL, discovery, matchesEtag } from './discovery.ts';
import { callService } from './invoke.ts';
import { metaOf, type Routes, serviceOf } from './routes.ts';

export function hookRoutes(app: Hono<AuthEnv>, routes: Routes): void {
  app.get('/cds-services', (c) => {
    const { body, etag } = discovery(routes.ruleSet());
    const headers = { etag, 'cache-control': DISCOVERY_CACHE_CONTROL };
    if (matchesEtag(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
    return c.body(body, 200, { ...headers, 'content-type': 'application/json' });
  });
  app.post('/cds-services/:id', routes.limit, async (c) => {
    const ruleSet = routes.ruleSet();
    const service = serviceOf(routes, c.req.param('id'), ruleSet);
    // The call is recorded whatever its answer (here or in the worker): the refusal audit leaves it alone.
    c.set('recorded', true);
    if (routes.runCall) {
      const answer = await routes.runCall(service, ruleSet, c.req.raw, metaOf(c));
      return c.body(answer.json, answer.status as ContentfulStatusCode, { 'content-type': 'application/json' });
    }
    return c.json(await callService(routes.call, service, () => routes.readJson(c.req.raw), metaOf(c)), 200);
  });
}
