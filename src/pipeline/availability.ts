/**
 * What a call does with the prefetch keys it could not get (neither sent by the client nor
 * fetched from its FHIR server): per key, as the author said in `ifUnavailable`, and per rule,
 * as the compiler knows which rules read which keys (src/rules/dependencies.ts).
 *
 * - `skip` (default): the rules that read the key are left out, the others run; the response
 *   names them (reason `prefetch-unavailable`, or `scope-not-granted` when the granted SMART
 *   scopes did not cover the keys it lacks, src/pipeline/granted.ts).
 * - `empty`: the key is an empty result (an empty searchset, or null for a read); the cards of
 *   rules that read it carry a note of what was not checked.
 * - `fail`: the call is answered 412 naming the key.
 * When no rule is left to run, the call is answered 412 too, as CDS Hooks asks.
 */
import type { Card } from '../protocol/card.ts';
import { HttpError } from '../protocol/errors.ts';
import type { CompiledService } from '../rules/compile.ts';
import { prefetchKeysByRule } from '../rules/dependencies.ts';
import type { UnavailableKey } from './prefetch.ts';

export interface SkippedForPrefetch {
  rule: string;
  /** `scope-not-granted` when every key it lacks was left out for the granted scopes. */
  reason: 'prefetch-unavailable' | 'scope-not-granted';
  /** The unavailable keys the rule reads. */
  prefetch: string[];
}

export interface Availability {
  /** The prefetch to evaluate with: `empty` keys filled in. */
  values: Record<string, unknown>;
  /** The service with only the rules that can run. */
  runnable: CompiledService;
  skipped: SkippedForPrefetch[];
  /** Per rule that runs on a key treated as empty: those keys (for its card's note). */
  assumedEmpty: ReadonlyMap<string, string[]>;
}

export const EMPTY_SEARCH = Object.freeze({ resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] });

export function applyAvailability(service: CompiledService, values: Record<string, unknown>, unavailable: readonly UnavailableKey[]): Availability {
  if (unavailable.length === 0) return { values, runnable: service, skipped: [], assumedEmpty: new Map() };
  const absence = (key: string) => service.ifUnavailable[key] ?? 'skip';

  const required = unavailable.filter((u) => absence(u.key) === 'fail');
  if (required.length > 0) throw unavailableError(required, 'is required by this service');

  const filled = { ...values };
  const emptied = new Set<string>();
  const missing = new Set<string>();
  const notGranted = new Set(unavailable.filter((u) => u.reason === 'scope-not-granted').map((u) => u.key));
  for (const { key } of unavailable) {
    if (absence(key) === 'empty') {
      // A read of one resource that is not there is null; a search that found nothing is an
      // empty searchset: the same shapes a client sends for "nothing".
      filled[key] = service.prefetch[key]?.includes('?') ? structuredClone(EMPTY_SEARCH) : null;
      emptied.add(key);
    } else missing.add(key);
  }

  const keysByRule = prefetchKeysByRule(service);
  const skipped: SkippedForPrefetch[] = [];
  const assumedEmpty = new Map<string, string[]>();
  const runnable = service.rules.filter((rule) => {
    const reads = [...(keysByRule.get(rule.id) ?? [])];
    const lacking = reads.filter((k) => missing.has(k));
    if (lacking.length > 0) {
      const reason = lacking.every((k) => notGranted.has(k)) ? 'scope-not-granted' : 'prefetch-unavailable';
      if (rule.enabled) skipped.push({ rule: rule.id, reason, prefetch: lacking.sort() });
      return false;
    }
    const empty = reads.filter((k) => emptied.has(k));
    if (empty.length > 0) assumedEmpty.set(rule.id, empty.sort());
    return true;
  });
  if (skipped.length > 0 && !runnable.some((r) => r.enabled)) {
    throw unavailableError(unavailable.filter((u) => missing.has(u.key)), 'is needed by every rule of this service');
  }
  return { values: filled, runnable: { ...service, rules: runnable }, skipped, assumedEmpty };
}

function unavailableError(keys: readonly UnavailableKey[], need: string): HttpError {
  return new HttpError(
    412,
    keys.map(({ key, why }) => ({ field: `prefetch.${key}`, message: `${why}, and ${need}`, code: 'incomplete' as const })),
  );
}

/**
 * The card of a rule that ran with some data treated as empty says so, so the clinician knows
 * what was not checked (e.g. exclusions read from encounters the EHR could not provide).
 */
export function withUncheckedNote(card: Card, keys: readonly string[]): Card {
  const note = `Not checked: ${keys.join(', ')} (the EHR could not provide ${keys.length > 1 ? 'them' : 'it'}; treated as none on record).`;
  return { ...card, detail: card.detail ? `${card.detail}\n\n${note}` : note };
}
