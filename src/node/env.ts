/** Settings from environment variables, each checked: a bad value stops start-up with its name. */
import { DEFAULT_CONFIG, type ServiceConfig } from '../config.ts';
import type { LogLevel } from '../log/logger.ts';
import { loadTrustedClients, TrustedClientsError } from './trusted-clients.ts';

export interface NodeSettings {
  port: number;
  host: string;
  dbPath: string;
  dbSynchronous: 'FULL' | 'NORMAL';
  contentDir: string;
  logLevel: LogLevel;
  /** Audit rows older than this many days are purged (daily, and at start). */
  retentionDays: number;
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
  const url = (name: string): string | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    try {
      const parsed = new URL(raw);
      if (parsed.protocol === 'https:' || parsed.protocol === 'http:') return raw.replace(/\/+$/, '');
    } catch {}
    throw new SettingsError(`${name}=${JSON.stringify(raw)}: expected an absolute http(s) URL, e.g. https://cds.example.org`);
  };
  let trustedClients;
  try {
    trustedClients = loadTrustedClients(env.CDS_TRUSTED_CLIENTS);
  } catch (error) {
    if (error instanceof TrustedClientsError) throw new SettingsError(error.message);
    throw error;
  }
  const publicUrl = url('CDS_PUBLIC_URL');
  if (trustedClients.length > 0 && !publicUrl) {
    throw new SettingsError('CDS_PUBLIC_URL is required with CDS_TRUSTED_CLIENTS: a JWT\'s aud must be this URL plus the endpoint path');
  }
  if (trustedClients.length === 0 && env.NODE_ENV === 'production') {
    throw new SettingsError('CDS_TRUSTED_CLIENTS is empty and NODE_ENV=production: refusing to serve without authentication');
  }
  return {
    port: int('PORT', 3000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dbPath: env.CDS_DB_PATH || './data/cds.sqlite',
    dbSynchronous: oneOf('CDS_DB_SYNCHRONOUS', 'FULL', ['FULL', 'NORMAL'] as const),
    contentDir: env.CDS_CONTENT_DIR || '.',
    logLevel: oneOf('LOG_LEVEL', 'info', ['debug', 'info', 'warn', 'error'] as const),
    retentionDays: int('CDS_RETENTION_DAYS', 2192, 1, 36_500),
    service: {
      maxBodyBytes: int('CDS_MAX_BODY_BYTES', DEFAULT_CONFIG.maxBodyBytes, 1024, 1024 ** 3),
      prefetchTimeoutMs: int('CDS_PREFETCH_TIMEOUT_MS', DEFAULT_CONFIG.prefetchTimeoutMs, 1, 60_000),
      prefetchMaxBytes: int('CDS_PREFETCH_MAX_BYTES', DEFAULT_CONFIG.prefetchMaxBytes, 1024, 1024 ** 3),
      prefetchMaxPages: int('CDS_PREFETCH_MAX_PAGES', DEFAULT_CONFIG.prefetchMaxPages, 1, 100),
      corsOrigins: (env.CDS_CORS_ORIGINS || '*').split(',').map((s) => s.trim()).filter(Boolean),
      storePayloads: oneOf('CDS_STORE_PAYLOADS', 'false', ['true', 'false'] as const) === 'true',
      publicUrl,
      trustedClients,
      jwksCooldownMs: int('CDS_JWKS_COOLDOWN_MS', DEFAULT_CONFIG.jwksCooldownMs, 0, 3_600_000),
      maxJsonDepth: int('CDS_MAX_JSON_DEPTH', DEFAULT_CONFIG.maxJsonDepth, 8, 1000),
      evaluationBudgetMs: int('CDS_EVAL_BUDGET_MS', DEFAULT_CONFIG.evaluationBudgetMs, 1, 60_000),
    },
  };
}
