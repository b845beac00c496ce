/**
 * One hook call, start to finish: validate, prefetch, evaluate, render, record, answer.
 * Every call that reaches a known service is recorded, whatever its status.
 */
import type { ServiceConfig } from '../config.ts';
import type { Logger } from '../log/logger.ts';
import { CardRenderError, renderCard, renderSystemActions } from '../cards/render.ts';
import type { CompiledService } from '../rules/compile.ts';
import { evaluateService, type RuleOutcome } from '../rules/evaluate.ts';
import type { InvocationCardRow } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { Action, Card, HookResponse } from '../protocol/card.ts';
import { normalizeUrl } from '../auth/clients.ts';
import { HttpError, operationOutcome } from '../protocol/errors.ts';
import { resolvePrefetch } from '../pipeline/prefetch.ts';
import { type HookRequest, parseHookRequest, UUID } from '../protocol/request.ts';

export interface CallDeps {
  store: Store;
  config: ServiceConfig;
  fetch: typeof fetch;
  log: Logger;
  now: () => Date;
  newUuid: () => string;
  /** Sees what a call evaluated; the authoring tools use it to explain results. */
  inspect?: (details: { context: Record<string, unknown>; prefetch: Record<string, unknown>; outcomes: RuleOutcome[] }) => void;
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

/** The response extension that tells the client some rules were not evaluated. */
export const BUDGET_EXTENSION = 'org.cds-rules.evaluation-budget';

export interface CallResult {
  status: number;
  body: unknown;
}

const SEVERITY = { critical: 0, warning: 1, info: 2 } as const;

export async function callService(
  deps: CallDeps,
  service: CompiledService,
  readBody: () => Promise<unknown>,
  meta: CallMeta = {},
): Promise<CallResult> {
  const start = performance.now();
  const receivedAt = deps.now().getTime();
  const invocationId = deps.newUuid();
  let raw: unknown;
  let request: HookRequest | undefined;
  let prefetchMs: number | undefined;
  let fetched: string[] = [];
  const base = { id: invocationId, receivedAt, serviceId: service.id, hook: service.hook, client: meta.client ?? null };

  try {
    raw = await readBody();
    request = parseHookRequest(raw, service.hook, deps.config);
    const prefetchStart = performance.now();
    let prefetch: Record<string, unknown>;
    try {
      ({ values: prefetch, fetched } = await resolvePrefetch(service, request, {
        fetch: deps.fetch,
        timeoutMs: deps.config.prefetchTimeoutMs,
        maxBytes: deps.config.prefetchMaxBytes,
        maxTotalBytes: deps.config.prefetchMaxTotalBytes,
        maxEntries: deps.config.maxBundleEntries,
        maxPages: deps.config.prefetchMaxPages,
        allowServer: serverPolicy(meta, deps.log, service.id),
      }));
    } finally {
      prefetchMs = performance.now() - prefetchStart;
    }

    const evaluateStart = performance.now();
    const outcomes = await evaluateService(service, { context: request.context, prefetch }, { budgetMs: deps.config.evaluationBudgetMs });
    deps.inspect?.({ context: request.context, prefetch, outcomes });
    const skipped = outcomes.filter((o) => o.skipped).map((o) => o.ruleId);
    const cards: { card: Card; ruleId: string }[] = [];
    const systemActions: Action[] = [];
    const ruleErrors: { rule: string; message: string }[] = [];
    for (const outcome of outcomes) {
      const rule = service.rules.find((r) => r.id === outcome.ruleId)!;
      if (outcome.error) ruleErrors.push({ rule: outcome.ruleId, message: outcome.error });
      if (!outcome.fired) continue;
      try {
        // Render both before keeping either: a rule's output lands whole or not at all.
        const card = rule.card ? renderCard(rule.card, outcome.values ?? {}, request.context, deps.newUuid) : undefined;
        const actions = rule.systemActions ? renderSystemActions(rule.systemActions, outcome.values ?? {}, request.context) : [];
        if (card) cards.push({ card, ruleId: rule.id });
        systemActions.push(...actions);
      } catch (error) {
        if (!(error instanceof CardRenderError)) throw error;
        ruleErrors.push({ rule: rule.id, message: error.message });
      }
    }
    cards.sort((a, b) => SEVERITY[a.card.indicator] - SEVERITY[b.card.indicator]);
    const evaluateMs = performance.now() - evaluateStart;
    for (const e of ruleErrors) deps.log.warn('rule failed', { service: service.id, rule: e.rule, hookInstance: request.hookInstance });
    if (skipped.length > 0) {
      deps.log.warn('evaluation budget exceeded', { service: service.id, hookInstance: request.hookInstance, budgetMs: deps.config.evaluationBudgetMs, skipped });
    }

    const response: HookResponse = { cards: cards.map((c) => c.card), ...(systemActions.length > 0 ? { systemActions } : {}) };
    // The client learns the guidance may be incomplete (CDS Hooks extensions are open objects).
    if (skipped.length > 0) response.extension = { [BUDGET_EXTENSION]: { budgetMs: deps.config.evaluationBudgetMs, skippedRules: skipped } };
    const cardRows: InvocationCardRow[] = cards.map(({ card, ruleId }) => ({
      cardUuid: card.uuid,
      invocationId,
      serviceId: service.id,
      ruleId,
      indicator: card.indicator,
      suggestionUuids: (card.suggestions ?? []).map((s) => s.uuid),
    }));
    const totalMs = performance.now() - start;
    await deps.store.recordInvocation(
      {
        ...base,
        ...who(request),
        status: 200,
        outcome: ruleErrors.length > 0 || skipped.length > 0 ? 'degraded' : 'ok',
        rulesEvaluated: outcomes.filter((o) => !o.skipped).map((o) => o.ruleId),
        rulesSkipped: skipped,
        rulesFired: outcomes.filter((o) => o.fired && !ruleErrors.some((e) => e.rule === o.ruleId)).map((o) => o.ruleId),
        ruleErrors,
        cardCount: cards.length,
        prefetchFetched: fetched,
        prefetchMs,
        evaluateMs,
        totalMs,
        ...(deps.config.storePayloads ? { requestBody: JSON.stringify(raw), responseBody: JSON.stringify(response) } : {}),
      },
      cardRows,
    );
    deps.log.info('hook call', {
      service: service.id,
      hookInstance: request.hookInstance,
      status: 200,
      rules: outcomes.length,
      fired: cards.length,
      errors: ruleErrors.length,
      skipped: skipped.length,
      fetched: fetched.length,
      prefetchMs: round(prefetchMs),
      evaluateMs: round(evaluateMs),
      totalMs: round(totalMs),
    });
    return { status: 200, body: response };
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    const totalMs = performance.now() - start;
    // From a rejected body only a well-formed UUID is kept: anything else could be whatever the
    // client put there, patient data included, and this goes to the log.
    const sent = stringField(raw, 'hookInstance');
    const hookInstance = request?.hookInstance ?? (sent && UUID.test(sent) ? sent : null);
    await deps.store.recordInvocation(
      {
        ...base,
        hookInstance,
        ...(request ? who(request) : {}),
        status: error.status,
        outcome: 'rejected',
        error: error.problems.map((p) => p.field ?? 'body').join(', '),
        rulesEvaluated: [],
        rulesFired: [],
        ruleErrors: [],
        cardCount: 0,
        prefetchFetched: fetched,
        prefetchMs: prefetchMs ?? null,
        evaluateMs: null,
        totalMs,
        ...(deps.config.storePayloads && raw !== undefined ? { requestBody: JSON.stringify(raw) } : {}),
      },
      [],
    );
    deps.log.info('hook call rejected', {
      service: service.id,
      hookInstance,
      status: error.status,
      fields: error.problems.map((p) => p.field ?? 'body'),
      totalMs: round(totalMs),
    });
    return { status: error.status, body: operationOutcome(error.problems) };
  }
}

/**
 * Which FHIR servers this call may reach: those allowed for the authenticated client (compared
 * as normalised URLs), or in open mode any, each logged by origin so the operator sees them.
 */
function serverPolicy(meta: CallMeta, log: CallDeps['log'], serviceId: string): (url: string) => boolean {
  if (meta.fhirServers === undefined) {
    return (url) => {
      log.warn('FHIR fallback to an unvetted server (open mode)', { service: serviceId, fhirServer: new URL(url).origin });
      return true;
    };
  }
  const allowed = new Set(meta.fhirServers.map(normalizeUrl));
  return (url) => allowed.has(normalizeUrl(url));
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
