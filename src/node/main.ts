/**
 * `npm start`: the service as one Node process. Loads and compiles the content (a bad file stops
 * start-up with path:line:col), opens the SQLite file, serves, and shuts down cleanly on SIGTERM:
 * stop accepting, let in-flight calls finish, close the database.
 */
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { createApp } from '../app.ts';
import { consoleTools } from '../authoring/console-tools.ts';
import { consoleAssets } from './console-assets.ts';
import { createLogger } from '../log/logger.ts';
import { formatProblem } from '../rules/source.ts';
import { CallCounts } from '../http/call-counts.ts';
import { Metrics } from '../observe/metrics.ts';
import type { Observation } from './call-messages.ts';
import { CallPool } from './call-pool.ts';
import { startInvocationWriter } from './invocation-writer.ts';
import { contentFilesOf, loadContent } from './content-files.ts';
import { LiveContent } from './live-content.ts';
import { SettingsError, settingsFromEnv } from './env.ts';
import { scheduleRetention } from './retention.ts';
import { openSqliteStore } from './sqlite.ts';
import { openPostgresStore } from './postgres.ts';
import type { Logger } from '../log/logger.ts';
import type { NodeSettings } from './env.ts';
import type { Store } from '../store/store.ts';

/** The SQLite file by default; PostgreSQL when CDS_DATABASE_URL names one. */
async function openDatabase(settings: NodeSettings, log: Logger): Promise<{ kind: 'sqlite' | 'postgres'; store: Store; close(): void | Promise<void> }> {
  if (!settings.postgres) {
    const sqlite = openSqliteStore(settings.dbPath, { synchronous: settings.dbSynchronous, warn: (message, fields) => log.warn(message, fields) });
    return { kind: 'sqlite', store: sqlite.store, close: sqlite.close };
  }
  const { poolMax, connectTimeoutMs, statementTimeoutMs } = settings.postgres;
  try {
    const pg = await openPostgresStore(settings.postgres, { onIdleError: (error) => log.warn('database connection lost', { error: error.name, code: (error as { code?: string }).code }) });
    log.info('database: postgres', { poolMax, connectTimeoutMs, statementTimeoutMs });
    return { kind: 'postgres', store: pg.store, close: pg.close };
  } catch (error) {
    // Not started without its database: the URL is never logged (it may hold a password).
    console.error(`database error: PostgreSQL at CDS_DATABASE_URL could not be opened or migrated: ${(error as Error).message}`);
    process.exit(1);
  }
}

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
  // One line per write, without console.log's formatting (every hook call logs a line).
  const log = createLogger({ level: settings.logLevel, write: (line) => void process.stdout.write(`${line}\n`) });

  const { ruleSet, problems } = await loadContent(resolve(settings.contentDir));
  for (const p of problems) console.error(formatProblem(p));
  if (!ruleSet) {
    console.error(`content has ${problems.filter((p) => p.severity === 'error').length} error(s); not starting`);
    process.exit(1);
  }

  const content = new LiveContent(resolve(settings.contentDir), ruleSet, log, problems.map(formatProblem));
  if (settings.watchContent) content.watch();

  const clients = settings.service.trustedClients;
  if (clients.length === 0) {
    log.warn('AUTHENTICATION IS OFF: no CDS_TRUSTED_CLIENTS, so any caller is trusted and may send the service to any FHIR server but link-local and metadata addresses (private ones only with CDS_ALLOW_PRIVATE_FHIR_SERVERS). Local development only (NODE_ENV=production refuses this).');
  } else {
    log.info('authentication on', { trustedClients: clients.map((c) => c.iss), publicUrl: settings.service.publicUrl });
  }

  const database = await openDatabase(settings, log);
  const stopRetention = scheduleRetention(database.store, settings.retentionDays, log);
  // Hook calls run in worker threads with a hard deadline, so no call can hold the others.
  // With workers, SQLite calls are recorded by a writer thread: an fsync never holds the main
  // thread. PostgreSQL's driver is asynchronous already: its commits wait off the main thread.
  const writer = settings.workers > 0 && database.kind === 'sqlite' ? await startInvocationWriter(settings.dbPath, settings.dbSynchronous) : undefined;
  const callStore = writer ? { ...database.store, recordInvocation: writer.recordInvocation } : database.store;
  // One set of counters per process: calls that run in the workers report to them (observe).
  const metrics = new Metrics();
  const counts = new CallCounts();
  const observe = (o: Observation) => {
    if (o.kind === 'metric') metrics.call(o.figures);
    else if (o.kind === 'answered') counts.answered(o.result);
    else counts.rejected(o.status);
  };
  const pool =
    settings.workers > 0
      ? new CallPool({
          size: settings.workers,
          config: settings.service,
          marginMs: settings.hardDeadlineMarginMs,
          youngGenerationMb: settings.workerYoungGenerationMb,
          log,
          filesOf: contentFilesOf,
          observe,
          writer,
        })
      : undefined;
  // Not awaited: the service listens as soon as its own compile is done; calls that come before
  // a worker has compiled the content wait for it in the queue.
  void pool?.start(ruleSet);
  const app = createApp({
    ruleSet: () => content.ruleSet,
    store: database.store,
    config: settings.service,
    log,
    metrics,
    counts,
    consoleAssets: consoleAssets(),
    authoring: consoleTools({
      root: resolve(settings.contentDir),
      filesInForce: () => contentFilesOf(content.ruleSet),
      problems: () => ({ errors: content.reloadState.status === 'error' ? content.reloadState.problems : [], warnings: content.warnings }),
    }),
    ...(pool ? { runCall: (service, ruleSet, req, meta) => pool.call(ruleSet, service, req, meta, callStore) } : {}),
    health: () => ({
      database: database.kind,
      workers: pool ? { size: pool.size, replaced: pool.replaced } : 0,
      auth: clients.length > 0 ? 'jwt' : 'open',
      reload: { watching: settings.watchContent, ...content.reloadState },
    }),
  });

  const server = serve({ fetch: app.fetch, port: settings.port, hostname: settings.host }, (info) => {
    log.info('listening', { port: info.port, ...ruleSet.counts, db: database.kind === 'sqlite' ? settings.dbPath : 'postgres' });
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
    server.close(async () => {
      await pool?.close();
      await writer?.close();
      await database.close();
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
