/**
 * One hook call as a pure function: request -> prefetch -> evaluate -> render.
 *
 * It takes a parsed JSON body and hands back a plain result: the hook response, the cards each
 * with the rule that made it, the rules skipped (and why) or failed (and the error class), timings
 * per stage and per rule, and, when asked, every rule's explanation. It never records, logs or
 * speaks HTTP: the adapters (src/http/invoke.ts for the service, the authoring tools for rule
 * tests and previews) do that with what it returns. Its only effects are the FHIR fallback
 * fetches, through `deps.fetch`.
 */
import { CardRenderError, renderCard, renderSystemActions } from '../cards/render.ts';
import { type Action, bySeverity, type Card, type ClientFeature, type HookResponse } from '../protocol/card.ts';
import { degradedExtension, type FailedRule, type RuleErrorClass, type SkippedRule } from '../protocol/degraded.ts';
import { HttpError, type Problem } from '../protocol/errors.ts';
import type { InputBounds } from '../protocol/input-bounds.ts';
import { type HookRequest, parseHookRequest } from '../protocol/request.ts';
import type { CompiledRule, CompiledService } from '../rules/compile.ts';
import { evaluateService, type RuleExplanation, type RuleOutcome } from '../rules/evaluate.ts';
import { applyAvailability, withUncheckedNote } from './availability.ts';
import { isExposed } from './exposure.ts';
import { collectMedications } from './medications.ts';
import { normalise } from './normalise.ts';
import { type ResolvedPrefetch, resolvePrefetch, type UnavailableKey } from './prefetch.ts';
import type { RunAhead } from './run-ahead.ts';

export interface PipelineDeps {
  /** Used for the FHIR fallback. */
  fetch: typeof fetch;
  /** Read once per call: every date the call computes counts from that instant. */
  now: () => Date;
  newUuid: () => string;
  limits: PipelineLimits;
  /** Results kept from order-select for order-sign (run-ahead.ts); absent: none kept or reused. */
  runAhead?: RunAhead;
}

export interface PipelineLimits extends InputBounds {
  /** FHIR fallback bytes of the whole call, over all keys and pages. */
  prefetchMaxTotalBytes: number;
  /** Deadline for all FHIR fallback fetches of the call. */
  prefetchTimeoutMs: number;
  prefetchMaxBytes: number;
  prefetchMaxPages: number;
  /** Time all rules may take together; rules not yet done when it runs out are skipped. */
  evaluationBudgetMs: number;
  /**
   * How deep the body may nest (src/protocol/json-depth.ts; the HTTP layer holds the body to it):
   * FHIR fallback responses are held to it as they are read, where their values land (two levels
   * below the body). Absent: not checked (the authoring tools, whose data comes from files).
   */
  maxJsonDepth?: number;
}

export interface PipelineOptions {
  /** Whether the request's `fhirServer` may be called (the client's allowlist); default: any. */
  allowServer?: (url: string) => boolean;
  /** Return each rule's explanation (authoring tools only: it holds patient data). */
  explain?: boolean;
  /** The authenticated client (JWT iss): run-ahead results are never shared between clients. */
  client?: string;
  /** 3.0 ballot features the calling client is configured as supporting (e.g. actionSelectionBehavior). */
  clientSupports?: readonly ClientFeature[];
  /**
   * Hears each rule's outcome as soon as it is known, with the request it is for and, for a rule
   * that fired, what it rendered (the same card the answer will carry).
   */
  onRuleOutcome?: (outcome: RuleOutcome, rule: CompiledRule, request: HookRequest, rendered?: RenderedRule) => void;
}

/** What a fired rule put out: its card and system actions, or why its card would not render. */
export type RenderedRule =
  | { card?: Card; actions: Action[]; silent: boolean }
  | { error: CardRenderError };

/** A card and the rule that made it. */
export interface RuleCard {
  ruleId: string;
  card: Card;
  /** Recorded but not returned: the rule is silent, or the call is outside its rollout share. */
  silent: boolean;
}

/** A rule that ran and failed: its error class for the response, its message for the operator. */
export interface RuleFailure extends FailedRule {
  message: string;
  /** `path:line:col` of the expression that failed (the rule file for a card that would not render). */
  location?: string;
}

export interface RuleReport {
  ruleId: string;
  result: 'fired' | 'quiet' | 'failed' | 'skipped';
  /** Milliseconds its expressions took. */
  ms: number;
}

export interface StageTimings {
  /** Parsing and validating the request. */
  requestMs: number;
  prefetchMs?: number;
  evaluateMs?: number;
  renderMs?: number;
  totalMs: number;
}

export interface HookResult {
  /** The instant the call counted from (its one clock reading). */
  at: Date;
  /** The request, once it validated. */
  request?: HookRequest;
  /** Why the call was refused (bad request 400, 403 fhirServer, 412 prefetch): no cards then. */
  rejected?: { status: number; problems: Problem[] };
  /** The answer for the CDS client: cards most severe first, system actions, the degraded extension. */
  response?: HookResponse;
  cards: RuleCard[];
  systemActions: Action[];
  /** Every enabled rule, in file order. */
  rules: RuleReport[];
  skipped: SkippedRule[];
  failed: RuleFailure[];
  /** Prefetch keys fetched from the FHIR server. */
  fetched: string[];
  /** Prefetch keys taken from an order-select call's results (run-ahead), not fetched again. */
  reused: string[];
  /** Medications only referenced in the call's data, read from the FHIR server. */
  medicationsFetched?: number;
  /** Prefetch keys that could be had neither from the request nor from the FHIR server, and why. */
  unavailable: UnavailableKey[];
  /** The prefetch the rules saw, by key (sent and fetched; null where nothing was there). */
  prefetch?: Record<string, unknown>;
  timings: StageTimings;
  /** Each enabled rule's explanation, when `explain` was asked for. */
  explanation?: RuleExplanation[];
}


/**
 * @example
 * const result = await runHook(deps, ruleSet.services.get('med-safety')!, await req.json());
 * if (result.rejected) ...; else result.response // { cards: [...] }
 */
export async function runHook(deps: PipelineDeps, service: CompiledService, body: unknown, options: PipelineOptions = {}): Promise<HookResult> {
  const start = performance.now();
  const at = deps.now();
  const result: HookResult = { at, cards: [], systemActions: [], rules: [], skipped: [], failed: [], fetched: [], reused: [], unavailable: [], timings: { requestMs: 0, totalMs: 0 } };
  const since = (t: number) => performance.now() - t;
  // A prefetch value sits two levels below the body (body, prefetch, value).
  const valueLevels = deps.limits.maxJsonDepth === undefined ? undefined : deps.limits.maxJsonDepth - 2;
  try {
    // request
    const request = parseHookRequest(body, service.hook, deps.limits);
    result.request = request;
    result.timings.requestMs = since(start);

    // prefetch
    const prefetchStart = performance.now();
    let resolved: ResolvedPrefetch;
    try {
      resolved = await resolvePrefetch(service, request, {
        fetch: deps.fetch,
        timeoutMs: deps.limits.prefetchTimeoutMs,
        now: at,
        maxBytes: deps.limits.prefetchMaxBytes,
        maxPages: deps.limits.prefetchMaxPages,
        maxTotalBytes: deps.limits.prefetchMaxTotalBytes,
        maxEntries: deps.limits.maxBundleEntries,
        maxDepth: valueLevels,
        allowServer: options.allowServer,
        runAhead: deps.runAhead?.session(request, options.client, at),
      });
      result.fetched = resolved.fetched;
      result.reused = resolved.reused;
      result.unavailable = resolved.unavailable;
      // What the rules were given (before normalising), so replay can run the call again.
      result.prefetch = resolved.values;
    } finally {
      result.timings.prefetchMs = since(prefetchStart);
    }
    // Keys that could not be had leave out the rules that read them (or 412, see availability.ts).
    const available = applyAvailability(service, resolved.values, resolved.unavailable);
    result.skipped.push(...available.skipped);

    // normalise: one spelling of codes, units and medications for every rule (normalise.ts);
    // Medications only referenced are read from the FHIR server within the prefetch deadline.
    const medications = await collectMedications(request, available.values, {
      fetch: deps.fetch,
      timeoutMs: deps.limits.prefetchTimeoutMs - since(prefetchStart),
      maxBytes: deps.limits.prefetchMaxBytes,
      maxPages: deps.limits.prefetchMaxPages,
      maxDepth: valueLevels,
      allowServer: options.allowServer,
    });
    result.medicationsFetched = medications.fetched;
    result.timings.prefetchMs = since(prefetchStart);
    const context = normalise(request.context, medications.index);
    const prefetch = Object.fromEntries(Object.entries(available.values).map(([key, value]) => [key, normalise(value, medications.index)]));

    // evaluate, and render each rule that fired as soon as it has (once: the card a listener
    // hears of is the card the answer carries)
    const evaluateStart = performance.now();
    const rendered = new Map<string, RenderedRule>();
    let renderMs = 0;
    const outcomes = evaluateService(
      available.runnable,
      { context, prefetch, now: at },
      {
        budgetMs: deps.limits.evaluationBudgetMs,
        explain: options.explain,
        onOutcome: (outcome, rule) => {
          let output: RenderedRule | undefined;
          if (outcome.fired) {
            const renderStart = performance.now();
            output = renderRule(rule, outcome, request, deps.newUuid, options.clientSupports);
            rendered.set(rule.id, output);
            renderMs += performance.now() - renderStart;
          }
          options.onRuleOutcome?.(outcome, rule, request, output);
        },
      },
    );
    result.timings.evaluateMs = since(evaluateStart) - renderMs;

    // render: the answer from what each rule put out
    const renderStart = performance.now();
    render(service, outcomes, rendered, result);
    for (const entry of result.cards) {
      const unchecked = available.assumedEmpty.get(entry.ruleId);
      if (unchecked) entry.card = withUncheckedNote(entry.card, unchecked);
    }
    if (available.skipped.length > 0) {
      // Rules left out for their prefetch are reported in file order with the others.
      const order = new Map(service.rules.map((r, i) => [r.id, i]));
      result.rules.push(...available.skipped.map((s) => ({ ruleId: s.rule, result: 'skipped' as const, ms: 0 })));
      result.rules.sort((a, b) => order.get(a.ruleId)! - order.get(b.ruleId)!);
    }
    result.timings.renderMs = renderMs + since(renderStart);

    if (options.explain) result.explanation = outcomes.map((o) => o.explanation!);
    const extension = degradedExtension(result.skipped, result.failed, deps.limits.evaluationBudgetMs);
    result.response = {
      cards: result.cards.filter((c) => !c.silent).map((c) => c.card),
      ...(result.systemActions.length > 0 ? { systemActions: result.systemActions } : {}),
      ...(extension ? { extension } : {}),
    };
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    result.rejected = { status: error.status, problems: error.problems };
  }
  result.timings.totalMs = since(start);
  return result;
}

/** A fired rule's card and actions, rendered both before either is kept. */
function renderRule(rule: CompiledRule, outcome: RuleOutcome, request: HookRequest, newUuid: () => string, clientSupports?: readonly ClientFeature[]): RenderedRule {
  try {
    const card = rule.card ? renderCard(rule.card, outcome.values ?? {}, request.context, newUuid, clientSupports) : undefined;
    const actions = rule.systemActions ? renderSystemActions(rule.systemActions, outcome.values ?? {}, request.context) : [];
    return { card, actions, silent: !isExposed(rule, request.context as Record<string, unknown>) };
  } catch (error) {
    if (!(error instanceof CardRenderError)) throw error;
    return { error };
  }
}

/** Fills each fired rule's card and actions; a rule's output lands whole or not at all. */
function render(service: CompiledService, outcomes: RuleOutcome[], rendered: ReadonlyMap<string, RenderedRule>, into: HookResult): void {
  for (const outcome of outcomes) {
    const fail = (error: RuleErrorClass, message: string, location?: string) =>
      into.failed.push({ rule: outcome.ruleId, error, message, ...(location ? { location } : {}) });
    let result: RuleReport['result'] = outcome.skipped ? 'skipped' : outcome.error ? 'failed' : outcome.fired ? 'fired' : 'quiet';
    if (outcome.skipped) into.skipped.push({ rule: outcome.ruleId, reason: 'budget' });
    if (outcome.error) fail(outcome.error.class, outcome.error.message, outcome.error.location);
    const output = outcome.fired ? rendered.get(outcome.ruleId) : undefined;
    if (output && 'error' in output) {
      fail('card-render', output.error.message, service.rules.find((r) => r.id === outcome.ruleId)!.path);
      result = 'failed';
      if (outcome.explanation) outcome.explanation.outcome = 'failed';
    } else if (output) {
      if (output.card) into.cards.push({ ruleId: outcome.ruleId, card: output.card, silent: output.silent });
      if (!output.silent) into.systemActions.push(...output.actions);
    }
    into.rules.push({ ruleId: outcome.ruleId, result, ms: outcome.ms });
  }
  // Stable: rules of the same severity keep their file order.
  into.cards.sort((a, b) => bySeverity(a.card, b.card));
}
