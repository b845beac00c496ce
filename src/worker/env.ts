/**
 * What the Worker gets from wrangler.toml: the D1 binding and its settings as vars (the same names
 * and checks as the Node shell's environment variables, through src/settings.ts).
 */
import type { D1Database } from '@cloudflare/workers-types';
import type { ServiceConfig } from '../config.ts';
import type { LogLevel } from '../log/logger.ts';
import { parseTrustedClients, type TrustedClient } from '../auth/clients.ts';
import { logLevelFromVars, serviceConfigFromVars, SettingsError, stringVar } from '../settings.ts';

export interface WorkerEnv {
  /** The D1 database (wrangler.toml `[[d1_databases]]` binding = "DB"). */
  DB: D1Database;
  [variable: string]: unknown;
}

export interface WorkerSettings {
  logLevel: LogLevel;
  service: ServiceConfig;
}

/** Throws SettingsError naming the variable when one is malformed. */
export function settingsFromVars(env: WorkerEnv): WorkerSettings {
  return { logLevel: logLevelFromVars(env), service: serviceConfigFromVars(env, trustedClientsFromVars(env)) };
}

/** CDS_TRUSTED_CLIENTS as inline JSON (a Worker has no files; put it in a var or a secret). */
function trustedClientsFromVars(env: WorkerEnv): TrustedClient[] {
  const raw = stringVar(env, 'CDS_TRUSTED_CLIENTS');
  if (raw === undefined) return [];
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    throw new SettingsError('CDS_TRUSTED_CLIENTS: expected a JSON array of trusted clients (a Worker cannot read a file)');
  }
  try {
    return parseTrustedClients(data, 'CDS_TRUSTED_CLIENTS');
  } catch (error) {
    throw new SettingsError((error as Error).message);
  }
}
