/**
 * The Worker shell: `wrangler dev` / `wrangler deploy` entry. Like src/node/main.ts it only
 * supplies what the runtime-neutral core needs: content (bundled at build time, compiled here),
 * the store (D1) and the settings (vars) (src/worker/app.ts).
 *
 * Everything happens in global scope, once per isolate, as the Node shell does at start-up:
 * broken content or a malformed setting throws here, so the Worker does not start (and
 * `wrangler deploy`, which checks start-up, refuses it) instead of answering 500s. This is also
 * the start-up time `npm run measure:worker` reports.
 */
import { env } from 'cloudflare:workers';
import content from '../../build/content.json';
import { workerApp } from './app.ts';
import type { WorkerEnv } from './env.ts';

export default workerApp(content, env as WorkerEnv);
