/**
 * What every route module needs from the app: the content in force, the store, settings, the
 * log, the hook call's dependencies, and the per-request helpers (body limit, JSON reader, the
 * authenticated client).
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AuthEnv } from '../auth/middleware.ts';
import type { ServiceConfig } from '../config.ts';
import type { Logger } from '../log/logger.ts';
import type { CompiledService, RuleSet } from '../rules/compile.ts';
import type { Store } from '../store/store.ts';
import { httpError } from './errors.ts';
import type { CallDeps, CallMeta } from './invoke.ts';

export interface Routes {
  ruleSet: () => RuleSet;
  store: Store;
  config: ServiceConfig;
  log: Logger;
  call: CallDeps;
  limit: MiddlewareHandler;
  readJson: (req: Request) => Promise<unknown>;
  /** Where hook calls run when not here (AppDeps.runCall). */
  runCall?: RunCall;
}

/**
 * A hook call's HTTP answer, as a `runCall` elsewhere hands it back: the body as JSON text, made
 * where the call ran, so the thread that serves HTTP only sends it.
 */
export interface CallAnswer {
  status: number;
  json: string;
}

export type RunCall = (service: CompiledService, ruleSet: RuleSet, req: Request, meta: CallMeta) => Promise<CallAnswer>;

/** What the call may do on behalf of the authenticated client (open mode: nothing said). */
export function metaOf(c: Context<AuthEnv>): CallMeta {
  const client = c.get('client');
  return client ? { client: client.iss, fhirServers: client.client.fhirServers, supports: client.client.supports } : {};
}

/** The service a path names, or a 404. */
export function serviceOf(routes: Routes, id: string, ruleSet = routes.ruleSet()): CompiledService {
  const service = ruleSet.services.get(id);
  if (!service) throw httpError(404, `no CDS service '${id.slice(0, 100)}'`, 'not-found');
  return service;
}
