import { type FhirServerUrl, isUnderBase, parseFhirServerUrl } from '../protocol/fhir-server-url.ts';

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
}

export class FhirFetchError extends Error {
  constructor(
    message: string,
    readonly status?: number,
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
    const body = await readJsonCapped(response, options.maxBytes);
    if (body?.resourceType === 'OperationOutcome') throw new FhirFetchError('FHIR server answered an OperationOutcome');
    if (!result) result = body;
    else if (Array.isArray(body.entry)) result.entry = [...((result.entry as unknown[]) ?? []), ...body.entry];
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

async function readJsonCapped(response: Response, maxBytes: number): Promise<Record<string, unknown>> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new FhirFetchError(`FHIR response of ${declared} bytes exceeds the ${maxBytes}-byte cap`);
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
