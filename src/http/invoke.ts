/**
 * The HTTP adapter around one hook call: read the body, run the pure pipeline
 * (src/pipeline/run.ts), record the invocation, log ids and timings, answer. Every call that
 * reaches a known service is recorded, whatever its status; a refused call is thrown on as its
 * HttpError, which the app answers as an OperationOutcome like every other error.
 */
import type { ServiceConfig } from '../config.ts';
import type { Logger } from '../log/logger.ts';
import type { CompiledService } from '../rules/compile.ts';
import type { InvocationRow } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { HookResponse } from '../protocol/card.ts';
import { fhirServerPolicy } from '../protocol/fhir-server-url.ts';
import { HttpError } from '../protocol/errors.ts';
import { type HookResult, runHook } from '../pipeline/run.ts';
import { type HookRequest, UUID } from '../protocol/request.ts';
import { storedRuleError } from '../rules/rule-error.ts';

export interface CallDeps {
  store: Store;
  config: ServiceConfig;
  fetch: typeof fetch;
  log: Logger;
  now: () => Date;
  newUuid: () => string;
}

export interface CallMeta {
  /** The authenticated client's issuer, when auth is on. */
  client?: string;
  /**
   * FHIR servers the authenticated client may send us to. Undefined only in open development
   * mode, where any http(s) server is called (and logged).
   */
  fhirServers?: readonly string[];
}

/** Answers one hook call with its response body, or throws the HttpError it was refused with. */
export async function callService(deps: CallDeps, service: CompiledService, readBody: () => Promise<unknown>, meta: CallMeta = {}): Promise<HookResponse> {
  const start = performance.now();
  // One clock reading per call: the row's time and every date the rules compute.
  const at = deps.now();
  const call: Call = { deps, start, base: { id: deps.newUuid(), receivedAt: at.getTime(), serviceId: service.id, hook: service.hook, client: meta.client ?? null } };
  let raw: unknown;
  try {
    raw = await readBody();
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    await refused(call, error);
    throw error;
  }
  const result = await runHook({ fetch: deps.fetch, now: () => at, newUuid: deps.newUuid, limits: deps.config }, service, raw, {
    allowServer: serverPolicy(meta, deps.log, service.id, deps.config.allowPrivateFhirServers),
  });
  if (result.rejected) {
    const error = new HttpError(result.rejected.status, result.rejected.problems);
    await refused(call, error, raw, result);
    throw error;
  }
  await answered(call, result, raw);
  return result.response!;
}

interface Call {
  deps: CallDeps;
  start: number;
  /** The columns every row of this call has. */
  base: Pick<InvocationRow, 'id' | 'receivedAt' | 'serviceId' | 'hook' | 'client'>;
}

async function answered({ deps, start, base }: Call, result: HookResult, raw: unknown): Promise<void> {
  const request = result.request!;
  const response = result.response!;
  const failedRules = new Set(result.failed.map((f) => f.rule));
  const skipped = result.skipped.map((s) => s.rule);
  // The stored evaluate time has always covered rendering too.
  const evaluateMs = (result.timings.evaluateMs ?? 0) + (result.timings.renderMs ?? 0);
  const totalMs = performance.now() - start;
  await deps.store.recordInvocation(
    {
      ...base,
      ...who(request),
      status: 200,
      outcome: result.failed.length > 0 || skipped.length > 0 ? 'degraded' : 'ok',
      rulesEvaluated: result.rules.filter((r) => r.result !== 'skipped').map((r) => r.ruleId),
      rulesSkipped: skipped,
      rulesFired: result.rules.filter((r) => r.result === 'fired' && !failedRules.has(r.ruleId)).map((r) => r.ruleId),
      // Class and location only: a message can quote patient data (rule-error.ts).
      ruleErrors: result.failed.map((f) => storedRuleError(f, deps.config.storePayloads)),
      cardCount: result.cards.length,
      prefetchFetched: result.fetched,
      prefetchMs: result.timings.prefetchMs,
      evaluateMs,
      totalMs,
      ...(deps.config.storePayloads ? { requestBody: JSON.stringify(raw), responseBody: JSON.stringify(response) } : {}),
    },
    result.cards.map(({ card, ruleId }) => ({
      cardUuid: card.uuid,
      invocationId: base.id,
      serviceId: base.serviceId,
      ruleId,
      indicator: card.indicator,
      suggestionUuids: (card.suggestions ?? []).map((s) => s.uuid),
    })),
  );

  const fields = { service: base.serviceId, hookInstance: request.hookInstance };
  for (const f of result.failed) deps.log.warn('rule failed', { ...fields, rule: f.rule, error: f.error, at: f.location });
  if (skipped.length > 0) deps.log.warn('evaluation budget exceeded', { ...fields, budgetMs: deps.config.evaluationBudgetMs, skipped });
  deps.log.info('hook call', {
    ...fields,
    status: 200,
    rules: result.rules.length,
    fired: result.cards.length,
    errors: result.failed.length,
    skipped: skipped.length,
    fetched: result.fetched.length,
    prefetchMs: round(result.timings.prefetchMs),
    evaluateMs: round(evaluateMs),
    totalMs: round(totalMs),
  });
}

/** Records and logs a call refused before any rule ran (bad body or request, fhirServer, prefetch). */
async function refused({ deps, start, base }: Call, error: HttpError, raw?: unknown, result?: HookResult): Promise<void> {
  const totalMs = performance.now() - start;
  // From a rejected body only a well-formed UUID is kept: anything else could be whatever the
  // client put there, patient data included, and this goes to the log.
  const sent = stringField(raw, 'hookInstance');
  const request = result?.request;
  const hookInstance = request?.hookInstance ?? (sent && UUID.test(sent) ? sent : null);
  const fields = error.problems.map((p) => p.field ?? 'body');
  await deps.store.recordInvocation(
    {
      ...base,
      hookInstance,
      ...(request ? who(request) : {}),
      status: error.status,
      outcome: 'rejected',
      error: fields.join(', '),
      rulesEvaluated: [],
      rulesFired: [],
      ruleErrors: [],
      cardCount: 0,
      prefetchFetched: result?.fetched ?? [],
      prefetchMs: result?.timings.prefetchMs ?? null,
      evaluateMs: null,
      totalMs,
      ...(deps.config.storePayloads && raw !== undefined ? { requestBody: JSON.stringify(raw) } : {}),
    },
    [],
  );
  deps.log.info('hook call rejected', { service: base.serviceId, hookInstance, status: error.status, fields, totalMs: round(totalMs) });
}

/**
 * Which FHIR servers this call may reach (src/protocol/fhir-server-url.ts): those allowed for the
 * authenticated client, or in open mode any but forbidden addresses, each logged by origin so
 * the operator sees them.
 */
function serverPolicy(meta: CallMeta, log: CallDeps['log'], serviceId: string, allowPrivate: boolean): (url: string) => boolean {
  const mayReach = fhirServerPolicy(meta.fhirServers, allowPrivate);
  if (meta.fhirServers !== undefined) return mayReach;
  return (url) => {
    if (!mayReach(url)) return false;
    log.warn('FHIR fallback to an unvetted server (open mode)', { service: serviceId, fhirServer: new URL(url).origin });
    return true;
  };
}

function who(request: HookRequest) {
  return {
    hookInstance: request.hookInstance,
    patientId: stringField(request.context, 'patientId'),
    userId: stringField(request.context, 'userId'),
    encounterId: stringField(request.context, 'encounterId'),
  };
}

function stringField(value: unknown, key: string): string | null {
  const field = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return typeof field === 'string' ? field.slice(0, 200) : null;
}

const round = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms * 100) / 100);
