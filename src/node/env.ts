/** Settings from environment variables, each checked: a bad value stops start-up with its name. */
import { availableParallelism } from 'node:os';
import type { ServiceConfig } from '../config.ts';
import type { LogLevel } from '../log/logger.ts';
import { intVar, logLevelFromVars, oneOfVar, serviceConfigFromVars, SettingsError, stringVar } from '../settings.ts';
import type { PostgresOptions } from './postgres.ts';
import { loadTrustedClients, TrustedClientsError } from './trusted-clients.ts';

export { SettingsError };

export interface NodeSettings {
  port: number;
  host: string;
  dbPath: string;
  dbSynchronous: 'FULL' | 'NORMAL';
  /** CDS_DATABASE_URL: PostgreSQL instead of the SQLite file, shared by every instance. */
  postgres?: PostgresOptions;
  contentDir: string;
  /** Reload content when its files change. */
  watchContent: boolean;
  logLevel: LogLevel;
  /** Audit rows older than this many days are purged (daily, and at start). */
  retentionDays: number;
  /** Evaluation worker threads (call-pool.ts); 0 evaluates on the main thread, without a hard deadline. */
  workers: number;
  /** How long a call may run past its evaluation budget before its worker is terminated. */
  hardDeadlineMarginMs: number;
  /** Each evaluation worker's young generation (V8), in MB (call-pool.ts says why). */
  workerYoungGenerationMb: number;
  service: ServiceConfig;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): NodeSettings {
  let trustedClients;
  try {
    trustedClients = loadTrustedClients(env.CDS_TRUSTED_CLIENTS);
  } catch (error) {
    if (error instanceof TrustedClientsError) throw new SettingsError(error.message);
    throw error;
  }
  return {
    port: intVar(env, 'PORT', 3000, 0, 65535),
    host: stringVar(env, 'HOST') ?? '0.0.0.0',
    dbPath: stringVar(env, 'CDS_DB_PATH') ?? './data/cds.sqlite',
    dbSynchronous: oneOfVar(env, 'CDS_DB_SYNCHRONOUS', 'FULL', ['FULL', 'NORMAL'] as const, (s) => s.toUpperCase()),
    postgres: postgresFromEnv(env),
    contentDir: stringVar(env, 'CDS_CONTENT_DIR') ?? '.',
    watchContent: oneOfVar(env, 'CDS_WATCH_CONTENT', 'true', ['true', 'false'] as const, (s) => s.toLowerCase()) === 'true',
    logLevel: logLevelFromVars(env),
    retentionDays: intVar(env, 'CDS_RETENTION_DAYS', 2192, 1, 36_500),
    workers: intVar(env, 'CDS_WORKERS', availableParallelism(), 0, 256),
    hardDeadlineMarginMs: intVar(env, 'CDS_HARD_DEADLINE_MARGIN_MS', 250, 10, 60_000),
    workerYoungGenerationMb: intVar(env, 'CDS_WORKER_YOUNG_GENERATION_MB', 64, 4, 4096),
    service: serviceConfigFromVars(env, trustedClients),
  };
}

/** PostgreSQL settings when CDS_DATABASE_URL is set; the URL is checked but never echoed (it may hold a password). */
function postgresFromEnv(env: NodeJS.ProcessEnv): PostgresOptions | undefined {
  const url = stringVar(env, 'CDS_DATABASE_URL');
  if (url === undefined) return undefined;
  let protocol;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new SettingsError('CDS_DATABASE_URL: expected a URL such as postgres://user:password@host:5432/database');
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') throw new SettingsError(`CDS_DATABASE_URL: expected a postgres:// or postgresql:// URL, got ${protocol}//...`);
  return {
    url,
    poolMax: intVar(env, 'CDS_DB_POOL_MAX', 10, 1, 1000),
    connectTimeoutMs: intVar(env, 'CDS_DB_CONNECT_TIMEOUT_MS', 5000, 100, 600_000),
    statementTimeoutMs: intVar(env, 'CDS_DB_STATEMENT_TIMEOUT_MS', 10_000, 100, 3_600_000),
    idleTimeoutMs: intVar(env, 'CDS_DB_IDLE_TIMEOUT_MS', 30_000, 1000, 3_600_000),
  };
}
