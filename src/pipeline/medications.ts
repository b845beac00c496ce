/**
 * Medications the call's data names by reference but does not carry: found neither contained,
 * nor in any prefetch Bundle (an `_include=MedicationRequest:medication` search brings them),
 * nor in draftOrders. They are read from the request's FHIR server in one batched search
 * (`Medication?_id=a,b,...`), with the same token, allowlist, size cap and the rest of the
 * prefetch deadline as the prefetch itself. A reference to another server is never followed.
 */
import { normalizeUrl } from '../auth/clients.ts';
import { grantedScopes } from './granted.ts';
import type { HookRequest } from '../protocol/request.ts';
import { fetchFhir, type FhirClientOptions } from './fhir-client.ts';
import { MEDICATION_USERS, MedicationIndex, relativeMedicationReference } from './normalise.ts';

type Json = Record<string, unknown>;

/** At most this many ids per search (URL length stays well under server limits). */
const IDS_PER_SEARCH = 50;
/** At most this many distinct missing Medications are fetched for one call. */
const MAX_IDS = 200;

export interface MedicationLookup extends FhirClientOptions {
  /** Milliseconds left of the prefetch deadline. */
  timeoutMs: number;
  allowServer?: (url: string) => boolean;
}

/** The Medications of the call's data, read from the FHIR server where only referenced. */
export async function collectMedications(request: HookRequest, prefetch: Record<string, unknown>, lookup: MedicationLookup): Promise<{ index: MedicationIndex; fetched: number }> {
  const index = new MedicationIndex();
  // Every context field that holds resources (draftOrders, medication-refill's medications, ...).
  const values = [...Object.values(request.context).filter((v) => typeof v === 'object' && v !== null), ...Object.values(prefetch)];
  for (const value of values) index.addFrom(value);

  const missing = new Set<string>();
  for (const resource of values.flatMap(resourcesOf)) {
    if (!MEDICATION_USERS.has(resource.resourceType as string) || resource.medicationCodeableConcept !== undefined) continue;
    const reference = (resource.medicationReference as Json | undefined)?.reference;
    if (typeof reference !== 'string' || reference.startsWith('#') || index.find(reference)) continue;
    const relative = relativeMedicationReference(reference);
    if (relative && onServer(reference, request.fhirServer) && missing.size < MAX_IDS) missing.add(relative.slice('Medication/'.length));
  }
  const server = request.fhirServer;
  if (missing.size === 0 || !server || lookup.timeoutMs <= 0 || (lookup.allowServer && !lookup.allowServer(server))) return { index, fetched: 0 };
  // Not granted Medication searches: the references stay unresolved, as when the server refuses.
  if (grantedScopes(request)('Medication?_id=x')) return { index, fetched: 0 };

  const ids = [...missing];
  const signal = AbortSignal.timeout(Math.ceil(lookup.timeoutMs));
  const batches = Array.from({ length: Math.ceil(ids.length / IDS_PER_SEARCH) }, (_, i) => ids.slice(i * IDS_PER_SEARCH, (i + 1) * IDS_PER_SEARCH));
  const results = await Promise.allSettled(
    batches.map((batch) => fetchFhir(server, `Medication?_id=${batch.map(encodeURIComponent).join(',')}`, request.fhirAuthorization?.access_token, signal, lookup)),
  );
  let fetched = 0;
  for (const result of results) {
    if (result.status !== 'fulfilled') continue;
    for (const resource of resourcesOf(result.value)) {
      if (resource.resourceType === 'Medication') {
        index.add(resource);
        fetched++;
      }
    }
  }
  return { index, fetched };
}

/** A relative reference, or an absolute one under the request's own FHIR server. */
function onServer(reference: string, fhirServer: string | undefined): boolean {
  if (!/^[a-z]+:/i.test(reference)) return true;
  if (!fhirServer) return false;
  try {
    const base = normalizeUrl(fhirServer);
    return normalizeUrl(reference).startsWith(`${base}/`);
  } catch {
    return false;
  }
}

function resourcesOf(value: unknown): Json[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  const v = value as Json;
  if (v.resourceType === 'Bundle') {
    return Array.isArray(v.entry) ? v.entry.flatMap((e) => (e && typeof e === 'object' && (e as Json).resource && typeof (e as Json).resource === 'object' ? [(e as Json).resource as Json] : [])) : [];
  }
  return typeof v.resourceType === 'string' ? [v] : [];
}
