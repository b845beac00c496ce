/**
 * The HTTP adapter around one hook call: read the body, run the pure pipeline
 * (src/pipeline/run.ts), record the invocation, log ids and timings, answer. Every call that
 * reaches a known service is recorded, whatever its status; a refused call is thrown on as its
 * HttpError, which the app answers as an OperationOutcome like every other error.
 */
import type { RunAhead } from '../pipeline/run-ahead.ts';
import type { ClientFeature } from '../protocol/card.ts';
import type { ServiceConfig } from '../config.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observe/metrics.ts';
import type { CompiledService } from '../rules/compile.ts';
import type { DegradedReasons, InvocationRow } from '../store/schema.ts';
import { DEGRADED_EXTENSION } from '../protocol/degraded.ts';
import type { CallCounts } from './call-counts.ts';
import type { ServedVersion, Store } from '../store/store.ts';
import type { HookResponse } from '../protocol/card.ts';
import { fhirServerPolicy } from '../protocol/fhir-server-url.ts';
import { HttpError } from '../protocol/errors.ts';
import { isExposed } from '../pipeline/exposure.ts';
import { type HookResult, type PipelineOptions, runHook } from '../pipeline/run.ts';
import { type HookRequest, UUID } from '../protocol/request.ts';
import { storedRuleError } from '../rules/rule-error.ts';

export interface CallDeps {
  store: Store;
  /** Order-select results kept for order-sign (src/pipeline/run-ahead.ts); absent: off. */
  runAhead?: RunAhead;
  config: ServiceConfig;
  fetch: typeof fetch;
  log: Logger;
  now: () => Date;
  newUuid: () => string;
  /** Hears each rule's outcome as soon as it is known (see PipelineOptions). */
  onRuleOutcome?: PipelineOptions['onRuleOutcome'];
  /** Counts answers by outcome for `/health` (optional: tools that call the adapter need none). */
  counts?: CallCounts;
  metrics?: Metrics;
}

export interface CallMeta {
  /** The authenticated client's issuer, when auth is on. */
  client?: string;
  /**
   * FHIR servers the authenticated client may send us to. Undefined only in open development
   * mode, where any http(s) server is called (and logged).
   */
  fhirServers?: readonly string[];
  /** 3.0 ballot features the authenticated client is configured as supporting. */
  supports?: readonly ClientFeature[];
  /**
   * The id the invocation row gets (default: a new one). The Node call pool gives it, so that a
   * call cut at its deadline is recorded under the id its worker would have used.
   */
  invocationId?: string;
}

/** Answers one hook call with its response body, or throws the HttpError it was refused with. */
export async function callService(deps: CallDeps, service: CompiledService, readBody: () => Promise<unknown>, meta: CallMeta = {}): Promise<HookResponse> {
  const start = performance.now();
  // One clock reading per call: the row's time and every date the rules compute.
  const at = deps.now();
  const call: Call = { deps, start, base: { id: meta.invocationId ?? deps.newUuid(), receivedAt: at.getTime(), serviceId: service.id, hook: service.hook, client: meta.client ?? null } };
  let raw: unknown;
  try {
    raw = await readBody();
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    await refused(call, error);
    throw error;
  }
  const result = await runHook({ fetch: deps.fetch, now: () => at, newUuid: deps.newUuid, limits: deps.config, runAhead: deps.runAhead }, service, raw, {
    client: meta.client,
    allowServer: serverPolicy(meta, deps.log, service.id, deps.config.allowPrivateFhirServers),
    onRuleOutcome: deps.onRuleOutcome,
    clientSupports: meta.supports,
  });
  if (result.rejected) {
    const error = new HttpError(result.rejected.status, result.rejected.problems);
    await refused(call, error, raw, result);
    throw error;
  }
  await answered(call, service, result, raw);
  return result.response!;
}

/** The version of a rule a call ran, as the store keeps it (with the texts it was compiled from). */
export function servedVersion(service: CompiledService, rule: CompiledService['rules'][number]): ServedVersion {
  return { version: rule.version, serviceId: service.id, ruleId: rule.id, authorVersion: rule.authorVersion, sources: rule.sources };
}

interface Call {
  deps: CallDeps;
  start: number;
  /** The columns every row of this call has. */
  base: Pick<InvocationRow, 'id' | 'receivedAt' | 'serviceId' | 'hook' | 'client'>;
}

async function answered({ deps, start, base }: Call, service: CompiledService, result: HookResult, raw: unknown): Promise<void> {
  const request = result.request!;
  const response = result.response!;
  const failedRules = new Set(result.failed.map((f) => f.rule));
  const rules = new Map(service.rules.map((r) => [r.id, r]));
  const ran = result.rules.filter((r) => r.result !== 'skipped').map((r) => rules.get(r.ruleId)!);
  const firedRules = result.rules.filter((r) => r.result === 'fired' && !failedRules.has(r.ruleId)).map((r) => rules.get(r.ruleId)!);
  const exposed = (rule: CompiledService['rules'][number]) => isExposed(rule, request.context as Record<string, unknown>);
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
      degradedReasons: (response.extension?.[DEGRADED_EXTENSION] as DegradedReasons | undefined) ?? null,
      prefetchUnavailable: result.unavailable.map((u) => u.key),
      rulesFired: firedRules.filter(exposed).map((r) => r.id),
      rulesSilent: firedRules.filter((r) => !exposed(r)).map((r) => r.id),
      // Class and location only: a message can quote patient data (rule-error.ts).
      ruleErrors: result.failed.map((f) => storedRuleError(f, deps.config.storePayloads)),
      cardCount: response.cards.length,
      serviceVersion: service.version,
      prefetchFetched: result.fetched,
      prefetchMs: result.timings.prefetchMs,
      evaluateMs,
      totalMs,
      ...(deps.config.storePayloads
        ? { requestBody: JSON.stringify(raw), responseBody: JSON.stringify(response), prefetchBody: JSON.stringify(result.prefetch ?? {}) }
        : {}),
    },
    result.cards.map(({ card, ruleId, silent }) => ({
      cardUuid: card.uuid,
      invocationId: base.id,
      serviceId: base.serviceId,
      ruleId,
      ruleVersion: rules.get(ruleId)!.version,
      silent,
      indicator: card.indicator,
      suggestionUuids: (card.suggestions ?? []).map((s) => s.uuid),
      suggestionLabels: (card.suggestions ?? []).map((s) => s.label),
      ...(deps.config.storePayloads ? { cardBody: JSON.stringify(card) } : {}),
    })),
    ran.map((r) => servedVersion(service, r)),
  );

  deps.metrics?.call({
    service: base.serviceId,
    hook: base.hook,
    status: 200,
    outcome: result.failed.length > 0 || skipped.length > 0 ? 'degraded' : 'ok',
    stagesMs: { ...result.timings, totalMs },
    cards: result.cards.map((c) => ({ rule: c.ruleId, version: rules.get(c.ruleId)!.version, silent: c.silent })),
    failed: result.failed,
    skipped: result.skipped,
  });
  const fields = { service: base.serviceId, serviceVersion: service.version, hookInstance: request.hookInstance };
  for (const f of result.failed) deps.log.warn('rule failed', { ...fields, rule: f.rule, version: rules.get(f.rule)?.version, error: f.error, at: f.location });
  const skippedFor = (reason: string) => result.skipped.filter((s) => s.reason === reason).map((s) => s.rule);
  if (skippedFor('budget').length > 0) deps.log.warn('evaluation budget exceeded', { ...fields, budgetMs: deps.config.evaluationBudgetMs, skipped: skippedFor('budget') });
  if (result.unavailable.length > 0) {
    // Key names and rule ids only: why a fetch failed can name the FHIR server's answer, never data.
    deps.log.warn('prefetch unavailable', { ...fields, keys: result.unavailable.map((u) => `${u.key} ${u.why}`), skipped: skippedFor('prefetch-unavailable') });
  }
  deps.counts?.answered(result);
  deps.log.info('hook call', {
    ...fields,
    status: 200,
    rules: result.rules.length,
    fired: response.cards.length,
    // rule@version of every rule that fired, so a log line leads to the exact rule text.
    firedRules: firedRules.filter(exposed).map((r) => `${r.id}@${r.version}`),
    silentRules: firedRules.filter((r) => !exposed(r)).map((r) => `${r.id}@${r.version}`),
    errors: result.failed.length,
    skipped: skipped.length,
    fetched: result.fetched.length,
    unavailable: result.unavailable.length,
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
      prefetchUnavailable: result?.unavailable.map((u) => u.key) ?? [],
      prefetchMs: result?.timings.prefetchMs ?? null,
      evaluateMs: null,
      totalMs,
      ...(deps.config.storePayloads && raw !== undefined ? { requestBody: JSON.stringify(raw) } : {}),
    },
    [],
  );
  deps.counts?.rejected(error.status);
  deps.metrics?.call({ service: base.serviceId, hook: base.hook, status: error.status, outcome: 'rejected', stagesMs: { ...result?.timings, totalMs } });
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
