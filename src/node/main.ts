/**
 * `npm start`: the service as one Node process. Loads and compiles the content (a bad file stops
 * start-up with path:line:col), opens the SQLite file, serves, and shuts down cleanly on SIGTERM:
 * stop accepting, let in-flight calls finish, close the database.
 */
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { createApp } from '../app.ts';
import { createLogger } from '../log/logger.ts';
import { formatProblem } from '../rules/source.ts';
import { loadContent } from './content-files.ts';
import { LiveContent } from './live-content.ts';
import { SettingsError, settingsFromEnv } from './env.ts';
import { scheduleRetention } from './retention.ts';
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

  const clients = settings.service.trustedClients;
  if (clients.length === 0) {
    log.warn('AUTHENTICATION IS OFF: no CDS_TRUSTED_CLIENTS, so any caller is trusted and may send the service to any FHIR server but link-local and metadata addresses (private ones only with CDS_ALLOW_PRIVATE_FHIR_SERVERS). Local development only (NODE_ENV=production refuses this).');
  } else {
    log.info('authentication on', { trustedClients: clients.map((c) => c.iss), publicUrl: settings.service.publicUrl });
  }

  const database = openSqliteStore(settings.dbPath, { synchronous: settings.dbSynchronous, warn: (message, fields) => log.warn(message, fields) });
  const stopRetention = scheduleRetention(database.store, settings.retentionDays, log);
  const app = createApp({
    ruleSet: () => content.ruleSet,
    store: database.store,
    config: settings.service,
    log,
    health: () => ({
      database: 'sqlite',
      auth: clients.length > 0 ? 'jwt' : 'open',
      reload: { watching: settings.watchContent, ...content.reloadState },
    }),
  });

  const server = serve({ fetch: app.fetch, port: settings.port, hostname: settings.host }, (info) => {
    log.info('listening', { port: info.port, ...ruleSet.counts, db: settings.dbPath });
  });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info('shutting down', { signal });
    content.close();
    stopRetention();
    // close() stops accepting and waits for open connections; keep-alive connections are
    // closed as soon as their in-flight call has been answered.
    server.close(() => {
      database.close();
      log.info('shut down', { signal });
      process.exit(0);
    });
    const idle = setInterval(() => (server as Server).closeIdleConnections(), 50);
    idle.unref();
    setTimeout(() => {
      log.error('shutdown timed out; exiting with calls still open', { signal });
      process.exit(1);
    }, 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

await main();
