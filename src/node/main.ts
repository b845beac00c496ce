/**
 * `npm start`: the service as one Node process. Loads and compiles the content (a bad file stops
 * start-up with path:line:col), opens the SQLite file, serves, and shuts down cleanly on SIGTERM.
 */
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { createApp } from '../app.ts';
import { createLogger } from '../log/logger.ts';
import { formatProblem } from '../rules/source.ts';
import { loadContent } from './content-files.ts';
import { LiveContent } from './live-content.ts';
import { SettingsError, settingsFromEnv } from './env.ts';
import { openSqliteStore } from './sqlite.ts';

async function main(): Promise<void> {
  let settings;
  try {
    settings = settingsFromEnv();
  } catch (error) {
    if (error instanceof SettingsError) {
      console.error(`configuration error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger({ level: settings.logLevel });

  const { ruleSet, problems } = await loadContent(resolve(settings.contentDir));
  for (const p of problems) console.error(formatProblem(p));
  if (!ruleSet) {
    console.error(`content has ${problems.filter((p) => p.severity === 'error').length} error(s); not starting`);
    process.exit(1);
  }

  const content = new LiveContent(resolve(settings.contentDir), ruleSet, log);
  if (settings.watchContent) content.watch();

  const database = openSqliteStore(settings.dbPath, { synchronous: settings.dbSynchronous });
  const app = createApp({
    ruleSet: () => content.ruleSet,
    store: database.store,
    config: settings.service,
    log,
    health: () => ({ database: 'sqlite', reload: { watching: settings.watchContent, ...content.reloadState } }),
  });

  const server = serve({ fetch: app.fetch, port: settings.port, hostname: settings.host }, (info) => {
    log.info('listening', { port: info.port, ...ruleSet.counts, db: settings.dbPath });
  });

  const shutdown = (signal: string) => {
    log.info('shutting down', { signal });
    content.close();
    server.close(() => {
      database.close();
      process.exit(0);
    });
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

await main();
