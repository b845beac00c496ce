/**
 * Settings from string variables, each checked: a bad value is refused naming the variable.
 * Runtime-neutral so both shells read the same names the same way: Node passes `process.env`,
 * the Worker passes its `vars` (wrangler.toml `[vars]` or `wrangler secret`).
 */
import { type AdminToken, parseAdminTokens } from './auth/admin.ts';
import type { TrustedClient } from './auth/clients.ts';
import { DEFAULT_CONFIG, type ServiceConfig } from './config.ts';
import { httpUrl } from './protocol/validators.ts';
import type { LogLevel } from './log/logger.ts';

export type Vars = Readonly<Record<string, unknown>>;

export class SettingsError extends Error {}

/** A whole number in [min, max], or `fallback` when unset or empty. */
export function intVar(vars: Vars, name: string, fallback: number, min: number, max: number): number {
  const raw = stringVar(vars, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SettingsError(`${name}=${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
  }
  return value;
}

/** One of `allowed` (compared as `normalize` leaves it), or `fallback` when unset or empty. */
export function oneOfVar<T extends string>(vars: Vars, name: string, fallback: T, allowed: readonly T[], normalize = (s: string) => s.toLowerCase()): T {
  const raw = stringVar(vars, name);
  if (raw === undefined) return fallback;
  const value = normalize(raw) as T;
  if (!allowed.includes(value)) throw new SettingsError(`${name}=${JSON.stringify(raw)}: expected one of ${allowed.join(', ')}`);
  return value;
}

/** The variable as a string; undefined when unset or empty. Wrangler may hand over numbers and booleans from `[vars]`. */
export function stringVar(vars: Vars, name: string): string | undefined {
  const raw = vars[name];
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  throw new SettingsError(`${name}: expected a string, got ${typeof raw}`);
}

/** An absolute http(s) URL without a trailing slash, or undefined when unset. */
export function urlVar(vars: Vars, name: string): string | undefined {
  const raw = stringVar(vars, name);
  if (raw === undefined) return undefined;
  if (httpUrl(raw)) return raw.replace(/\/+$/, '');
  throw new SettingsError(`${name}=${JSON.stringify(raw)}: expected an absolute http(s) URL, e.g. https://cds.example.org`);
}

/**
 * `*`, or a comma-separated list of origins exactly as a browser sends them in `Origin`
 * (scheme, host and port: no path, no trailing slash), which is what CORS compares. A bare host
 * or a URL with a path would never match, and CORS would silently refuse every browser.
 */
export function originsVar(vars: Vars, name: string): string[] | undefined {
  const raw = stringVar(vars, name);
  if (raw === undefined) return undefined;
  const items = raw.split(',').map((s) => s.trim());
  if (items.length === 1 && items[0] === '*') return ['*'];
  for (const item of items) {
    let origin: string | undefined;
    try {
      const url = new URL(item);
      if (url.protocol === 'https:' || url.protocol === 'http:') origin = url.origin;
    } catch {}
    if (origin !== item) {
      throw new SettingsError(
        `${name}=${JSON.stringify(raw)}: '${item}' is not an origin; expected * or comma-separated origins such as https://sandbox.cds-hooks.org (scheme, host and port, no path)`,
      );
    }
  }
  return items;
}

/**
 * The core's settings (ServiceConfig) from `CDS_*` variables. The trusted clients come from the
 * shell (Node can read them from a file), and decide whether `CDS_PUBLIC_URL` is required and
 * whether production may run open.
 */
export function serviceConfigFromVars(vars: Vars, trustedClients: TrustedClient[] = []): ServiceConfig {
  const publicUrl = urlVar(vars, 'CDS_PUBLIC_URL');
  if (trustedClients.length > 0 && !publicUrl) {
    throw new SettingsError("CDS_PUBLIC_URL is required with CDS_TRUSTED_CLIENTS: a JWT's aud must be this URL plus the endpoint path");
  }
  if (trustedClients.length === 0 && stringVar(vars, 'NODE_ENV') === 'production') {
    throw new SettingsError('CDS_TRUSTED_CLIENTS is empty and NODE_ENV=production: refusing to serve without authentication');
  }
  return {
    maxBodyBytes: intVar(vars, 'CDS_MAX_BODY_BYTES', DEFAULT_CONFIG.maxBodyBytes, 1024, 1024 ** 3),
    prefetchTimeoutMs: intVar(vars, 'CDS_PREFETCH_TIMEOUT_MS', DEFAULT_CONFIG.prefetchTimeoutMs, 1, 60_000),
    runAheadWindowMs: intVar(vars, 'CDS_RUN_AHEAD_MS', DEFAULT_CONFIG.runAheadWindowMs, 0, 600_000),
    prefetchMaxBytes: intVar(vars, 'CDS_PREFETCH_MAX_BYTES', DEFAULT_CONFIG.prefetchMaxBytes, 1024, 1024 ** 3),
    prefetchMaxTotalBytes: intVar(vars, 'CDS_PREFETCH_MAX_TOTAL_BYTES', DEFAULT_CONFIG.prefetchMaxTotalBytes, 1024, 1024 ** 3),
    maxBundleEntries: intVar(vars, 'CDS_MAX_BUNDLE_ENTRIES', DEFAULT_CONFIG.maxBundleEntries, 1, 10_000_000),
    maxSelections: intVar(vars, 'CDS_MAX_SELECTIONS', DEFAULT_CONFIG.maxSelections, 1, 10_000_000),
    maxResources: intVar(vars, 'CDS_MAX_RESOURCES', DEFAULT_CONFIG.maxResources, 1, 10_000_000),
    prefetchMaxPages: intVar(vars, 'CDS_PREFETCH_MAX_PAGES', DEFAULT_CONFIG.prefetchMaxPages, 1, 100),
    corsOrigins: originsVar(vars, 'CDS_CORS_ORIGINS') ?? ['*'],
    storePayloads: oneOfVar(vars, 'CDS_STORE_PAYLOADS', 'false', ['true', 'false'] as const) === 'true',
    publicUrl,
    trustedClients,
    jwksCooldownMs: intVar(vars, 'CDS_JWKS_COOLDOWN_MS', DEFAULT_CONFIG.jwksCooldownMs, 0, 3_600_000),
    maxJsonDepth: intVar(vars, 'CDS_MAX_JSON_DEPTH', DEFAULT_CONFIG.maxJsonDepth, 8, 1000),
    evaluationBudgetMs: intVar(vars, 'CDS_EVAL_BUDGET_MS', DEFAULT_CONFIG.evaluationBudgetMs, 1, 60_000),
    adminTokens: adminTokensVar(vars, 'CDS_ADMIN_TOKENS'),
    feedbackMaxItems: intVar(vars, 'CDS_FEEDBACK_MAX_ITEMS', DEFAULT_CONFIG.feedbackMaxItems, 1, 10_000),
    feedbackMaxText: intVar(vars, 'CDS_FEEDBACK_MAX_TEXT', DEFAULT_CONFIG.feedbackMaxText, 1, 1_000_000),
    // A local FHIR server is normal in development; in production, open mode is refused anyway.
    allowPrivateFhirServers:
      oneOfVar(vars, 'CDS_ALLOW_PRIVATE_FHIR_SERVERS', stringVar(vars, 'NODE_ENV') === 'production' ? 'false' : 'true', ['true', 'false'] as const) === 'true',
  };
}

/** The admin API's tokens: a JSON list of {name, role, sha256}; none when unset. */
function adminTokensVar(vars: Vars, name: string): AdminToken[] {
  const raw = stringVar(vars, name);
  if (raw === undefined) return [];
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    throw new SettingsError(`${name}: expected JSON, a list of {"name", "role", "sha256"}`);
  }
  try {
    return parseAdminTokens(data, name);
  } catch (error) {
    throw new SettingsError((error as Error).message);
  }
}

export function logLevelFromVars(vars: Vars): LogLevel {
  return oneOfVar(vars, 'LOG_LEVEL', 'info', ['debug', 'info', 'warn', 'error'] as const);
}
