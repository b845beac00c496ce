/**
 * The Worker shell: `wrangler dev` / `wrangler deploy` entry. Like src/node/main.ts it only
 * supplies what the runtime-neutral core needs: content (bundled at build time, compiled here),
 * the store (D1) and the settings (vars).
 *
 * Everything happens in global scope, once per isolate, as the Node shell does at start-up:
 * broken content or a malformed setting throws here, so the Worker does not start (and
 * `wrangler deploy`, which checks start-up, refuses it) instead of answering 500s. This is also
 * the start-up time `npm run measure:worker` reports.
 */
import { env } from 'cloudflare:workers';
import content from '../../build/content.json';
import { createApp } from '../app.ts';
import { createLogger } from '../log/logger.ts';
import { compileBundle } from './bundle.ts';
import { openD1Store } from './d1.ts';
import { settingsFromVars, type WorkerEnv } from './env.ts';

const bindings = env as WorkerEnv;
if (!bindings.DB) throw new Error('no D1 binding DB: wrangler.toml needs [[d1_databases]] binding = "DB"');
const settings = settingsFromVars(bindings);
const ruleSet = compileBundle(content);

export default createApp({
  ruleSet: () => ruleSet,
  store: openD1Store(bindings.DB),
  config: settings.service,
  log: createLogger({ level: settings.logLevel }),
  health: () => ({ database: 'd1' }),
});
