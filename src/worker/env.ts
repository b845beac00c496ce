/**
 * What the Worker gets from wrangler.toml: the D1 binding and its settings as vars (the same names
 * and checks as the Node shell's environment variables, through src/settings.ts).
 */
import type { D1Database } from '@cloudflare/workers-types';
import type { ServiceConfig } from '../config.ts';
import type { LogLevel } from '../log/logger.ts';
import { logLevelFromVars, serviceConfigFromVars } from '../settings.ts';

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
  return { logLevel: logLevelFromVars(env), service: serviceConfigFromVars(env) };
}
