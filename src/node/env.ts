/** Settings from environment variables, each checked: a bad value stops start-up with its name. */
import { availableParallelism } from 'node:os';
import type { ServiceConfig } from '../config.ts';
import type { LogLevel } from '../log/logger.ts';
import { intVar, logLevelFromVars, oneOfVar, serviceConfigFromVars, SettingsError, stringVar } from '../settings.ts';
import { loadTrustedClients, TrustedClientsError } from './trusted-clients.ts';

export { SettingsError };

export interface NodeSettings {
  port: number;
  host: string;
  dbPath: string;
  dbSynchronous: 'FULL' | 'NORMAL';
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
    contentDir: stringVar(env, 'CDS_CONTENT_DIR') ?? '.',
    watchContent: oneOfVar(env, 'CDS_WATCH_CONTENT', 'true', ['true', 'false'] as const, (s) => s.toLowerCase()) === 'true',
    logLevel: logLevelFromVars(env),
    retentionDays: intVar(env, 'CDS_RETENTION_DAYS', 2192, 1, 36_500),
    workers: intVar(env, 'CDS_WORKERS', availableParallelism(), 0, 256),
    hardDeadlineMarginMs: intVar(env, 'CDS_HARD_DEADLINE_MARGIN_MS', 250, 10, 60_000),
    service: serviceConfigFromVars(env, trustedClients),
  };
}
