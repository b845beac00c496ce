/**
 * The Worker's app from its bundle and bindings. A development bundle of broken content (see
 * ContentBundle.problems) gives an app that answers every request 503 with the problems, at
 * once: under `wrangler dev` a failed build used to leave requests hanging for minutes.
 */
import { createApp } from '../app.ts';
import { errorResponse } from '../http/errors.ts';
import { type HealthFacts, healthAnswer } from '../http/health.ts';
import { createLogger } from '../log/logger.ts';
import { HttpError } from '../protocol/errors.ts';
import { compileBundle, type ContentBundle } from './bundle.ts';
import { openD1Store } from './d1.ts';
import { settingsFromVars, type WorkerEnv } from './env.ts';

export interface WorkerApp {
  fetch(request: Request): Response | Promise<Response>;
}

/** Throws (the Worker does not start) on a missing DB binding, a malformed setting or a bundle that does not compile. */
export function workerApp(bundle: ContentBundle, bindings: WorkerEnv): WorkerApp {
  if (!bindings.DB) throw new Error('no D1 binding DB: wrangler.toml needs [[d1_databases]] binding = "DB"');
  const settings = settingsFromVars(bindings);
  const facts = (problems: string[]): HealthFacts => ({
    database: 'd1',
    auth: settings.service.trustedClients.length > 0 ? 'jwt' : 'open',
    reload: { watching: false, status: problems.length > 0 ? 'error' : 'ok', at: bundle.builtAt ?? '', problems },
  });
  if (bundle.problems?.length) return brokenContentApp(facts(bundle.problems));
  const ruleSet = compileBundle(bundle);
  return createApp({
    ruleSet: () => ruleSet,
    store: openD1Store(bindings.DB),
    config: settings.service,
    log: createLogger({ level: settings.logLevel }),
    health: () => facts([]),
  });
}

/** Every request: 503 naming each problem (`/health`: degraded, with the problems under `reload`). */
function brokenContentApp(facts: HealthFacts): WorkerApp {
  const headers = { 'access-control-allow-origin': '*', 'retry-after': '1' };
  const problems = facts.reload.problems;
  const unavailable = new HttpError(503, [
    { message: `the content does not compile, so no service is served; fix ${problems.length === 1 ? 'this' : 'these'} and save (wrangler dev rebuilds):`, code: 'exception' },
    ...problems.map((message) => ({ message, code: 'exception' as const })),
  ]);
  return {
    fetch(request) {
      if (new URL(request.url).pathname !== '/health') return errorResponse(unavailable, headers);
      return new Response(JSON.stringify(healthAnswer(null, facts).body), { status: 503, headers: { 'content-type': 'application/json', ...headers } });
    },
  };
}
