/**
 * createApp(deps): the whole CDS Hooks service as a Hono app, with nothing runtime-specific.
 * The Node and Worker shells pass in the content, the store and the settings; tests build apps
 * the same way and call them with `app.request()`.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type AuthEnv, requireClient } from './auth/middleware.ts';
import { createJwtVerifier } from './auth/verify.ts';
import { DEFAULT_CONFIG, type ServiceConfig } from './config.ts';
import { discovery } from './http/discovery.ts';
import { type HealthFacts, healthAnswer } from './http/health.ts';
import { HttpError, operationOutcome } from './protocol/errors.ts';
import { parseFeedback } from './http/feedback.ts';
import { type CallDeps, type CallMeta, callService } from './http/invoke.ts';
import { readJsonBody } from './http/json-body.ts';
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
}

export function createApp(deps: AppDeps): Hono<AuthEnv> {
  const config: ServiceConfig = { ...DEFAULT_CONFIG, ...deps.config };
  const log = deps.log ?? createLogger();
  const callDeps: CallDeps = {
    store: deps.store,
    config,
    fetch: deps.fetch ?? ((input, init) => fetch(input, init)),
    log,
    now: deps.now ?? (() => new Date()),
    newUuid: deps.newUuid ?? (() => crypto.randomUUID()),
  };
  const fail = (status: number, message: string, code: 'not-found' | 'not-supported' | 'too-costly' | 'invalid' | 'exception') =>
    new Response(JSON.stringify(operationOutcome([{ message, code }])), {
      status,
      headers: { 'content-type': 'application/json' },
    });

  const app = new Hono<AuthEnv>();

  app.use(
    '*',
    cors({
      origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
      allowMethods: ['GET', 'POST', 'OPTIONS'],
      allowHeaders: ['authorization', 'content-type'],
      maxAge: 600,
    }),
  );

  const tooLarge = () => fail(413, `the request body exceeds ${config.maxBodyBytes} bytes`, 'too-costly');
  const streamedLimit = bodyLimit({ maxSize: config.maxBodyBytes, onError: tooLarge });
  /**
   * 413 on Content-Length without touching the body. bodyLimit reads `req.body` first, which on
   * Node makes a stream over the socket; the unread rest is then never drained and the next
   * request on that keep-alive connection is reset (found by the HTTP fuzz test). Only a
   * chunked body, with no length to judge, goes through bodyLimit's counting reader.
   */
  const limit: MiddlewareHandler = (c, next) => {
    const declared = c.req.header('content-length');
    if (declared === undefined || c.req.header('transfer-encoding')) return streamedLimit(c, next);
    return Number(declared) > config.maxBodyBytes ? Promise.resolve(tooLarge()) : next();
  };

  const readJson = (req: Request) => readJsonBody(req, config.maxJsonDepth);

  // With trusted clients configured, every discovery, hook and feedback call needs their JWT.
  // Registered after CORS, which answers preflights itself.
  if (config.trustedClients.length > 0) {
    if (!config.publicUrl) throw new Error('publicUrl is required when trusted clients are configured (JWT aud is checked against it)');
    const verify = createJwtVerifier({
      clients: config.trustedClients,
      claimJti: (...args) => deps.store.claimJti(...args),
      purgeExpiredJtis: (now) => deps.store.purgeExpiredJtis(now),
      now: callDeps.now,
      jwksCooldownMs: config.jwksCooldownMs,
    });
    // One registration: Hono's '/cds-services/*' also matches '/cds-services' itself (a second
    // one for discovery ran the gate twice, and the token's jti counted as a replay).
    app.use('/cds-services/*', requireClient(verify, config.publicUrl, log));
  }
  /** What the call may do on behalf of the authenticated client (open mode: undefined). */
  const metaOf = (c: { get(key: 'client'): AuthEnv['Variables']['client'] }): CallMeta => {
    const client = c.get('client');
    return client ? { client: client.iss, fhirServers: client.client.fhirServers } : {};
  };

  app.get('/cds-services', (c) => c.json(discovery(deps.ruleSet())));

  app.post('/cds-services/:id', limit, async (c) => {
    const service = deps.ruleSet().services.get(c.req.param('id'));
    if (!service) return fail(404, `no CDS service '${c.req.param('id').slice(0, 100)}'`, 'not-found');
    return c.json(await callService(callDeps, service, () => readJson(c.req.raw), metaOf(c)), 200);
  });

  app.post('/cds-services/:id/feedback', limit, async (c) => {
    const serviceId = c.req.param('id');
    if (!deps.ruleSet().services.has(serviceId)) return fail(404, `no CDS service '${serviceId.slice(0, 100)}'`, 'not-found');
    const items = parseFeedback(await readJson(c.req.raw));
    const receivedAt = callDeps.now().getTime();
    const result = await deps.store.recordFeedback(
      items.map((item) => ({
        receivedAt,
        serviceId,
        cardUuid: item.card,
        outcome: item.outcome,
        acceptedSuggestions: item.acceptedSuggestions?.map((s) => s.id) ?? null,
        overrideReasonSystem: item.overrideReason?.reason?.system ?? null,
        overrideReasonCode: item.overrideReason?.reason?.code ?? null,
        overrideReasonDisplay: item.overrideReason?.reason?.display ?? null,
        overrideComment: item.overrideReason?.userComment ?? null,
        outcomeTimestamp: item.outcomeTimestamp,
        client: metaOf(c).client ?? null,
      })),
    );
    log.info('feedback', { service: serviceId, items: result.stored, unknownCards: result.unknownCards });
    return c.json({ stored: result.stored, unknownCards: result.unknownCards }, 200);
  });

  for (const path of ['/cds-services', '/cds-services/:id', '/cds-services/:id/feedback']) {
    app.all(path, (c) => {
      c.header('allow', path === '/cds-services' ? 'GET, OPTIONS' : 'POST, OPTIONS');
      return fail(405, `${c.req.method} is not allowed here`, 'not-supported');
    });
  }

  app.get('/health', (c) => {
    const { status, body } = healthAnswer(deps.ruleSet().counts, deps.health?.());
    return c.json(body, status);
  });

  app.notFound(() => fail(404, 'not found', 'not-found'));

  app.onError((error, c) => {
    if (error instanceof HttpError) {
      return c.json(operationOutcome(error.problems), error.status as ContentfulStatusCode);
    }
    // The message may quote request data; the name and the code location may not.
    log.error('unhandled error', { path: c.req.path, error: error.name, at: error.stack?.split('\n')[1]?.trim() });
    return fail(500, 'internal error', 'exception');
  });

  return app;
}
