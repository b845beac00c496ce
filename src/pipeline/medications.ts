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

  // One look at each resource (this runs on every call, over every prefetched resource): only a
  // medication user with a reference and no code can need a read.
  const missing = new Set<string>();
  const consider = (resource: Json) => {
    if (resource.medicationReference === undefined || resource.medicationCodeableConcept !== undefined || !MEDICATION_USERS.has(resource.resourceType as string)) return;
    const reference = (resource.medicationReference as Json | null)?.reference;
    if (typeof reference !== 'string' || reference.startsWith('#') || index.find(reference)) return;
    const relative = relativeMedicationReference(reference);
    if (relative && onServer(reference, request.fhirServer) && missing.size < MAX_IDS) missing.add(relative.slice('Medication/'.length));
  };
  for (const value of values) forEachResource(value, consider);
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
    forEachResource(result.value, (resource) => {
      if (resource.resourceType === 'Medication') {
        index.add(resource);
        fetched++;
      }
    });
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

/** A value's resources: a Bundle's entries, or the value itself when it is a resource. */
function forEachResource(value: unknown, visit: (resource: Json) => void): void {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return;
  const v = value as Json;
  if (v.resourceType === 'Bundle') {
    if (!Array.isArray(v.entry)) return;
    for (const entry of v.entry as unknown[]) {
      const resource = entry && typeof entry === 'object' ? (entry as Json).resource : undefined;
      if (resource && typeof resource === 'object' && !Array.isArray(resource)) visit(resource as Json);
    }
  } else if (typeof v.resourceType === 'string') visit(v);
}
