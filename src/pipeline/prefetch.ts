/**
 * Resolves a service's prefetch for one call: what the client sent is used as is (`null` means
 * "nothing there"); what it did not send is fetched from `fhirServer` in parallel under one
 * deadline. A key that can be had neither way is reported as unavailable (with why, for the
 * log); what that means for the call is decided per key and rule (availability.ts).
 */
import type { CompiledService } from '../rules/compile.ts';
import { HttpError } from '../protocol/errors.ts';
import { callByteBudget, fetchFhir, type FhirClientOptions, FhirFetchError } from './fhir-client.ts';
import { expandTemplate } from '../protocol/prefetch-template.ts';
import type { HookRequest } from '../protocol/request.ts';
import { grantedScopes } from './granted.ts';
import type { RunAheadSession } from './run-ahead.ts';

export interface PrefetchOptions extends Omit<FhirClientOptions, 'callBudget'> {
  timeoutMs: number;
  /** The call's clock reading: `{{today()}}` tokens count from it. */
  now: Date;
  /** FHIR fallback bytes of the whole call, over all keys and pages (default: no total cap). */
  maxTotalBytes?: number;
  /** Whether `fhirServer` may be called at all (the client's allowlist); default: yes. */
  allowServer?: (url: string) => boolean;
  /** Results an earlier call of this patient and user got (run-ahead.ts), and where to keep these. */
  runAhead?: RunAheadSession;
}

export interface UnavailableKey {
  key: string;
  /** Why, for logs and the 412 body: a status or a cause, never data. */
  why: string;
  /** Set when the key was not asked for because the granted scopes do not cover its query. */
  reason?: 'scope-not-granted';
}

export interface ResolvedPrefetch {
  values: Record<string, unknown>;
  /** Keys fetched from the FHIR server. */
  fetched: string[];
  /** Keys neither sent nor fetched. */
  unavailable: UnavailableKey[];
  /** Keys answered from run-ahead (an order-select call's results), not fetched again. */
  reused: string[];
}

export async function resolvePrefetch(
  service: CompiledService,
  request: HookRequest,
  options: PrefetchOptions,
): Promise<ResolvedPrefetch> {
  const values: Record<string, unknown> = {};
  const missing: [key: string, query: string][] = [];
  const sent = request.prefetch ?? {};
  const runAhead = options.runAhead;
  for (const [key, template] of Object.entries(service.prefetch)) {
    const query = expandTemplate(template, request.context, options.now);
    if (Object.hasOwn(sent, key) && usable(sent[key])) {
      values[key] = sent[key];
      if (query !== undefined) runAhead?.keep(query, sent[key]);
      continue;
    }
    // A token with no value (no encounterId in this call): there is nothing to look up.
    if (query === undefined) values[key] = null;
    else missing.push([key, query]);
  }
  if (missing.length === 0) return { values, fetched: [], unavailable: [], reused: [] };

  // Only what the granted scopes cover is asked for (or reused); the rest is unavailable, and says why.
  const notGranted: UnavailableKey[] = [];
  const scopeProblem = grantedScopes(request);
  const reused: string[] = [];
  for (let i = missing.length - 1; i >= 0; i--) {
    const [key, query] = missing[i]!;
    const problem = scopeProblem(query);
    const kept = problem ? undefined : runAhead?.lookup(query);
    if (problem) notGranted.unshift({ key, why: `was not fetched: ${problem}`, reason: 'scope-not-granted' });
    else if (kept) {
      values[key] = kept.value;
      reused.unshift(key);
    } else continue;
    missing.splice(i, 1);
  }
  if (missing.length === 0) return { values, fetched: [], unavailable: notGranted, reused };

  if (!request.fhirServer) {
    return {
      values,
      fetched: [],
      unavailable: [...notGranted, ...missing.map(([key]) => ({ key, why: 'was not prefetched and the request names no fhirServer to fetch it from' }))],
      reused,
    };
  }
  // The request names the host we are about to call: only a server allowed for this client, so
  // the service cannot be used to reach other hosts in the hospital network.
  if (options.allowServer && !options.allowServer(request.fhirServer)) {
    throw new HttpError(403, { field: 'fhirServer', message: 'is not a FHIR server this CDS client is allowed to send the service to', code: 'forbidden' });
  }
  const signal = AbortSignal.timeout(options.timeoutMs);
  const token = request.fhirAuthorization?.access_token;
  const fetchOptions: FhirClientOptions = { ...options, ...(options.maxTotalBytes !== undefined ? { callBudget: callByteBudget(options.maxTotalBytes) } : {}) };
  const outcomes = await Promise.allSettled(missing.map(([, query]) => fetchFhir(request.fhirServer!, query, token, signal, fetchOptions)));
  const fetched: string[] = [];
  const unavailable: UnavailableKey[] = [...notGranted];
  outcomes.forEach((outcome, i) => {
    const [key, query] = missing[i]!;
    if (outcome.status === 'fulfilled') {
      values[key] = outcome.value;
      fetched.push(key);
      runAhead?.keep(query, outcome.value);
    } else unavailable.push({ key, why: `could not be fetched: ${describe(outcome.reason, options.timeoutMs)}` });
  });
  return { values, fetched, unavailable, reused };
}

/** A prefetch value the client could not satisfy (an OperationOutcome) counts as not sent. */
function usable(value: unknown): boolean {
  return !(value && typeof value === 'object' && (value as { resourceType?: string }).resourceType === 'OperationOutcome');
}

function describe(reason: unknown, timeoutMs: number): string {
  if (reason instanceof FhirFetchError) return reason.message;
  if (reason instanceof Error && (reason.name === 'TimeoutError' || reason.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  return 'the FHIR server could not be reached';
}
