/** `GET /cds-services` (discovery) and `POST /cds-services/{id}` (a hook call). */
import type { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AuthEnv } from '../auth/middleware.ts';
import { discovery } from './discovery.ts';
import { callService } from './invoke.ts';
import { metaOf, type Routes, serviceOf } from './routes.ts';

export function hookRoutes(app: Hono<AuthEnv>, routes: Routes): void {
  app.get('/cds-services', (c) => c.json(discovery(routes.ruleSet())));
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
