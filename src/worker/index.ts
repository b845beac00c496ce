/**
 * The Worker shell: `wrangler dev` / `wrangler deploy` entry. Like src/node/main.ts it only
 * supplies what the runtime-neutral core needs: content (bundled at build time, compiled here
 * once per isolate), the store (D1) and the settings (vars).
 */
import type { ExecutionContext } from '@cloudflare/workers-types';
import type { Hono } from 'hono';
import content from '../../build/content.json';
import { createApp } from '../app.ts';
import { createLogger } from '../log/logger.ts';
import { SettingsError } from '../settings.ts';
import { compileBundle } from './bundle.ts';
import { openD1Store } from './d1.ts';
import { settingsFromVars, type WorkerEnv } from './env.ts';

// Global scope: compiled once when the isolate starts (counted in the start-up time, which
// `npm run measure:worker` reports). Broken content throws here: the Worker does not start.
const ruleSet = compileBundle(content);

// The bindings only arrive with a request; the app is built once per env object (one per isolate).
const apps = new WeakMap<WorkerEnv, Hono>();

function appFor(env: WorkerEnv): Hono {
  let app = apps.get(env);
  if (!app) {
    const settings = settingsFromVars(env);
    app = createApp({
      ruleSet: () => ruleSet,
      store: openD1Store(env.DB),
      config: settings.service,
      log: createLogger({ level: settings.logLevel }),
      health: () => ({ database: 'd1' }),
    });
    apps.set(env, app);
  }
  return app;
}

export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response> {
    let app: Hono;
    try {
      app = appFor(env);
    } catch (error) {
      if (!(error instanceof SettingsError)) throw error;
      // Names the variable, never a value from a request.
      console.error(JSON.stringify({ level: 'error', msg: 'configuration error', error: error.message }));
      return new Response(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'fatal', code: 'exception', diagnostics: 'service misconfigured' }] }), {
        status: 500,
        headers: { 'content-type': 'application/json' },
      });
    }
    return app.fetch(request, env, ctx);
  },
};
