/** Settings from environment variables, each checked: a bad value stops start-up with its name. */
import { DEFAULT_CONFIG, type ServiceConfig } from '../config.ts';
import type { LogLevel } from '../log/logger.ts';

export interface NodeSettings {
  port: number;
  host: string;
  dbPath: string;
  dbSynchronous: 'FULL' | 'NORMAL';
  contentDir: string;
  /** Reload content when its files change. */
  watchContent: boolean;
  logLevel: LogLevel;
  service: ServiceConfig;
}

export class SettingsError extends Error {}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): NodeSettings {
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new SettingsError(`${name}=${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
    }
    return value;
  };
  const oneOf = <T extends string>(name: string, fallback: T, allowed: readonly T[]): T => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = (name === 'CDS_DB_SYNCHRONOUS' ? raw.toUpperCase() : raw.toLowerCase()) as T;
    if (!allowed.includes(value)) throw new SettingsError(`${name}=${JSON.stringify(raw)}: expected one of ${allowed.join(', ')}`);
    return value;
  };
  return {
    port: int('PORT', 3000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dbPath: env.CDS_DB_PATH || './data/cds.sqlite',
    dbSynchronous: oneOf('CDS_DB_SYNCHRONOUS', 'FULL', ['FULL', 'NORMAL'] as const),
    contentDir: env.CDS_CONTENT_DIR || '.',
    watchContent: oneOf('CDS_WATCH_CONTENT', 'true', ['true', 'false'] as const) === 'true',
    logLevel: oneOf('LOG_LEVEL', 'info', ['debug', 'info', 'warn', 'error'] as const),
    service: {
      maxBodyBytes: int('CDS_MAX_BODY_BYTES', DEFAULT_CONFIG.maxBodyBytes, 1024, 1024 ** 3),
      prefetchTimeoutMs: int('CDS_PREFETCH_TIMEOUT_MS', DEFAULT_CONFIG.prefetchTimeoutMs, 1, 60_000),
      prefetchMaxBytes: int('CDS_PREFETCH_MAX_BYTES', DEFAULT_CONFIG.prefetchMaxBytes, 1024, 1024 ** 3),
      prefetchMaxPages: int('CDS_PREFETCH_MAX_PAGES', DEFAULT_CONFIG.prefetchMaxPages, 1, 100),
      corsOrigins: (env.CDS_CORS_ORIGINS || '*').split(',').map((s) => s.trim()).filter(Boolean),
      storePayloads: oneOf('CDS_STORE_PAYLOADS', 'false', ['true', 'false'] as const) === 'true',
    },
  };
}
