/**
 * createApp(deps): the whole CDS Hooks service as a Hono app, with nothing runtime-specific.
 * The Node and Worker shells pass in the content, the store and the settings; tests build apps
 * the same way and call them with `app.request()`.
 */
import { RunAhead } from './pipeline/run-ahead.ts';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { type AuthEnv, requireClient } from './auth/middleware.ts';
import { createJwtVerifier } from './auth/verify.ts';
import { DEFAULT_CONFIG, type ServiceConfig } from './config.ts';
import { CallCounts } from './http/call-counts.ts';
import { limitBody } from './http/body-limit.ts';
import { errorResponse, httpError, onError } from './http/errors.ts';
import { feedbackRoute } from './http/feedback-route.ts';
import { type HealthFacts, healthAnswer } from './http/health.ts';
import { hookRoutes } from './http/hook-route.ts';
import { readJsonBody } from './http/json-body.ts';
import type { Routes, RunCall } from './http/routes.ts';
import { opsRoutes } from './http/ops-routes.ts';
import { auditRefusals } from './http/refusals.ts';
import { adminApi } from './http/admin.ts';
import type { AuthoringTools } from './http/admin-deps.ts';
import { sessionSigner } from './auth/session.ts';
import { type ConsoleAssets, consoleRoutes } from './console/routes.ts';
import { Metrics } from './observe/metrics.ts';
import { createLogger, type Logger } from './log/logger.ts';
import type { RuleSet } from './rules/compile.ts';
import type { Store } from './store/store.ts';

export interface AppDeps {
  /** The content in force; a function so a reload can swap it between calls. */
  ruleSet: () => RuleSet;
  store: Store;
  config?: Partial<ServiceConfig>;
  /** Used for the FHIR fallback; defaults to the global fetch. */
  fetch?: typeof fetch;
  log?: Logger;
  now?: () => Date;
  newUuid?: () => string;
  /** Facts for `GET /health` from the shell (reload state, database, auth); degraded when a reload failed. */
  health?: () => HealthFacts;
  /**
   * Runs a hook call somewhere else than on this thread (the Node shell's worker pool, which can
   * stop a call that overruns). Gets the raw request; default: `callService` here.
   */
  runCall?: RunCall;
  /** Where `GET /metrics` counts; one per app by default. */
  metrics?: Metrics;
  /** Where `/health`'s call counts are kept; one per app by default. */
  counts?: CallCounts;
  /** The console's files (the Node shell reads them from src/console/public); no console without them. */
  consoleAssets?: ConsoleAssets;
  /** The content folder's tools for the console (example patients, working files, load problems). */
  authoring?: AuthoringTools;
}

export function createApp(deps: AppDeps): Hono<AuthEnv> {
  const config: ServiceConfig = { ...DEFAULT_CONFIG, ...deps.config };
  const log = deps.log ?? createLogger();
  const counts = deps.counts ?? new CallCounts();
  const metrics = deps.metrics ?? new Metrics();
  const routes: Routes = {
    ruleSet: deps.ruleSet,
    store: deps.store,
    config,
    log,
    call: {
      store: deps.store,
      config,
      runAhead: new RunAhead(config.runAheadWindowMs),
      fetch: deps.fetch ?? ((input, init) => fetch(input, init)),
      log,
      now: deps.now ?? (() => new Date()),
      newUuid: deps.newUuid ?? (() => crypto.randomUUID()),
      counts,
      metrics,
    },
    limit: limitBody(config.maxBodyBytes),
    readJson: (req) => readJsonBody(req, config.maxJsonDepth),
    runCall: deps.runCall,
  };

  const app = new Hono<AuthEnv>();
  // Before the JWT gate and the body limit, so their refusals (401, 413) are audited too. One
  // registration: '/cds-services/*' matches '/cds-services' too.
  app.use('/cds-services/*', auditRefusals(deps.store, metrics, routes.call.now));
  app.use('*', cors({ origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins, allowMethods: ['GET', 'POST', 'OPTIONS'], allowHeaders: ['authorization', 'content-type'], maxAge: 600 }));
  // With trusted clients configured, every discovery, hook and feedback call needs their JWT.
  // Registered after CORS, which answers preflights itself.
  if (config.trustedClients.length > 0) {
    if (!config.publicUrl) throw new Error('publicUrl is required when trusted clients are configured (JWT aud is checked against it)');
    const verify = createJwtVerifier({
      clients: config.trustedClients,
      claimJti: (...args) => deps.store.claimJti(...args),
      purgeExpiredJtis: (now) => deps.store.purgeExpiredJtis(now),
      now: routes.call.now,
      jwksCooldownMs: config.jwksCooldownMs,
    });
    // One registration: Hono's '/cds-services/*' also matches '/cds-services' itself (a second
    // one for discovery ran the gate twice, and the token's jti counted as a replay).
    app.use('/cds-services/*', requireClient(verify, config.publicUrl, log));
  }

  hookRoutes(app, routes);
  feedbackRoute(app, routes);
  app.get('/health', (c) => {
    const { status, body } = healthAnswer(deps.ruleSet().counts, deps.health?.());
    return c.json({ ...body, calls: counts.snapshot() }, status);
  });
  for (const path of ['/cds-services', '/cds-services/:id', '/cds-services/:id/feedback']) {
    const allow = path === '/cds-services' ? 'GET, OPTIONS' : 'POST, OPTIONS';
    app.all(path, (c) => errorResponse(httpError(405, `${c.req.method} is not allowed here`, 'not-supported'), { allow }));
  }
  opsRoutes(app, routes, metrics);
  // One signer for the console's logins and the admin API that honours its cookie.
  const sessions = sessionSigner();
  app.route('/admin', adminApi({ ruleSet: deps.ruleSet, store: deps.store, config, log, now: routes.call.now, sessions, authoring: deps.authoring }));
  if (deps.consoleAssets) consoleRoutes(app, { assets: deps.consoleAssets, sessions, config, store: deps.store, now: routes.call.now });
  app.notFound(() => errorResponse(httpError(404, 'not found', 'not-found')));
  app.onError(onError(log, deps.store.errorAnswer));
  return app;
}
