import { type FhirServerUrl, isUnderBase, parseFhirServerUrl } from '../protocol/fhir-server-url.ts';
import { nestingDepth } from '../protocol/json-depth.ts';
import { maxResultsOf } from '../protocol/prefetch-template.ts';

/**
 * The FHIR fallback: fetches what the client did not prefetch from its `fhirServer`, with a
 * deadline, a response size cap, no redirects, and the access token sent only there.
 */
export interface FhirClientOptions {
  fetch: typeof fetch;
  /** Caps one response body; a larger one fails the fetch. */
  maxBytes: number;
  /** Pages of a paginated search to follow (`Bundle.link` next, same origin only). */
  maxPages: number;
  /**
   * Bytes left for the whole call, shared by all its keys and pages (see `callByteBudget`);
   * every body read takes from it. Without it only the per-response cap applies.
   */
  callBudget?: CallByteBudget;
  /** Entries a merged search Bundle may hold (all pages together). */
  maxEntries?: number;
  /**
   * How deep a response may nest (src/protocol/json-depth.ts: where the value lands in the call's
   * data, two levels below the body); deeper fails the fetch. Absent: not checked.
   */
  maxDepth?: number;
}

/** What one call may still read from the FHIR server, over all its fetches. */
export interface CallByteBudget {
  remaining: number;
  readonly total: number;
}

export const callByteBudget = (total: number): CallByteBudget => ({ remaining: total, total });

export class FhirFetchError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * The fallback data would exceed a bound of the call (its byte total over all keys and pages, or
 * the entries of one Bundle): the key counts as unavailable. Its own class so the prefetch
 * availability logic can tell it from a server failure.
 */
export class FhirFallbackCapError extends FhirFetchError {
  constructor(
    message: string,
    readonly bound: 'call-bytes' | 'bundle-entries',
  ) {
    super(message);
  }
}

/**
 * GETs `query` (relative, e.g. `MedicationRequest?patient=123`) from `baseUrl`.
 * Resolves to the resource (a search Bundle with all followed pages merged), or `null` when a
 * read finds nothing (404/410).
 */
export async function fetchFhir(
  baseUrl: string,
  query: string,
  accessToken: string | undefined,
  signal: AbortSignal,
  options: FhirClientOptions,
): Promise<unknown> {
  // The same parsed form the allowlist compared: every URL called is under it.
  const server = parseFhirServerUrl(baseUrl);
  const base = server.base;
  let url = new URL(query, base);
  if (!isUnderBase(url, server)) throw new FhirFetchError('the query does not stay under the FHIR server base');
  // `_maxresults` (CDS Hooks 3.0 ballot) caps the whole result; FHIR servers do not all know it,
  // so it is applied here: not sent, a page size no larger than it, and paging stops once reached.
  const maxResults = maxResultsOf(query);
  if (maxResults !== undefined) {
    url.searchParams.delete('_maxresults');
    if (!url.searchParams.has('_count')) url.searchParams.set('_count', String(maxResults));
  }
  let result: Record<string, unknown> | undefined;
  for (let page = 0; page < options.maxPages; page++) {
    const response = await options.fetch(url, {
      headers: { accept: 'application/fhir+json, application/json', ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}) },
      redirect: 'manual',
      signal,
    });
    if ((response.status === 404 || response.status === 410) && page === 0 && !query.includes('?')) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new FhirFetchError(`FHIR server answered ${response.status}`, response.status);
    }
    const body = await readJsonCapped(response, options.maxBytes, options.callBudget);
    if (options.maxDepth !== undefined && nestingDepth(body, options.maxDepth) > options.maxDepth) throw new FhirFetchError(`FHIR response nests deeper than ${options.maxDepth} levels`);
    if (body?.resourceType === 'OperationOutcome') throw new FhirFetchError('FHIR server answered an OperationOutcome');
    if (!result) result = body;
    else if (Array.isArray(body.entry)) result.entry = [...((result.entry as unknown[]) ?? []), ...body.entry];
    const entries = Array.isArray(result.entry) ? result.entry.length : 0;
    if (maxResults !== undefined && entries >= maxResults) {
      result.entry = (result.entry as unknown[]).slice(0, maxResults);
      break;
    }
    if (options.maxEntries !== undefined && entries > options.maxEntries) {
      throw new FhirFallbackCapError(`the FHIR search gave more than ${options.maxEntries} entries`, 'bundle-entries');
    }
    const next = nextLink(body, server);
    if (!next) break;
    url = next;
  }
  if (result && result.resourceType === 'Bundle') delete result.link;
  return result;
}

function nextLink(body: Record<string, unknown>, server: FhirServerUrl): URL | undefined {
  if (body.resourceType !== 'Bundle' || !Array.isArray(body.link)) return undefined;
  const href = (body.link as { relation?: string; url?: string }[]).find((l) => l.relation === 'next')?.url;
  if (typeof href !== 'string') return undefined;
  let next: URL;
  try {
    next = new URL(href, server.base);
  } catch {
    return undefined;
  }
  // The token belongs to this server's base: never follow a link elsewhere.
  return isUnderBase(next, server) ? next : undefined;
}

async function readJsonCapped(response: Response, maxBytes: number, budget?: CallByteBudget): Promise<Record<string, unknown>> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new FhirFetchError(`FHIR response of ${declared} bytes exceeds the ${maxBytes}-byte cap`);
  }
  const overBudget = () => new FhirFallbackCapError(`the FHIR responses of this call exceed ${budget!.total} bytes together`, 'call-bytes');
  if (budget && declared > budget.remaining) {
    await response.body?.cancel();
    throw overBudget();
  }
  const reader = response.body?.getReader();
  if (!reader) throw new FhirFetchError('FHIR response has no body');
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new FhirFetchError(`FHIR response exceeds the ${maxBytes}-byte cap`);
    }
    if (budget) {
      // Taken as it arrives: concurrent fetches of the call share what is left.
      budget.remaining -= value.byteLength;
      if (budget.remaining < 0) {
        await reader.cancel();
        throw overBudget();
      }
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw new FhirFetchError('FHIR response is not a JSON resource');
  }
}
