/**
 * Run-ahead: what an order-select call had to get (the prefetch the client sent and what the FHIR
 * fallback fetched, by expanded query) is kept for a short window, and an order-sign call for the
 * same client, FHIR server, patient and user, with the same draft orders, takes it from there
 * instead of asking the FHIR server again. The CDC opioid CDS IG adopted this after production
 * testing: order-sign, the call a clinician waits on, answers from what is already known.
 *
 * Correctness: any difference misses. The identity is (client, fhirServer, patientId, userId);
 * the orders must be the same resources (compared as canonical JSON, `meta` aside); the entry
 * must be at most `windowMs` old by the call's clock; the scope check runs before a lookup, so a
 * token that grants less at sign time is not given what select's token could read. What the
 * order-sign client sends itself always wins: only keys it did not send are looked up.
 *
 * Freshness: a reused result is at most `windowMs` old, where a fallback fetch would be new; an
 * order, result or allergy recorded in the EHR inside that window is not seen by the sign call.
 * That is the trade the window bounds (docs/architecture.md, "Run-ahead").
 *
 * In memory, per process (per worker thread in Node, per isolate on Workers), bounded in entries;
 * a miss costs what the call cost before.
 */
import type { Bundle } from '@medplum/fhirtypes';
import type { HookRequest } from '../protocol/request.ts';

/** The hook whose results are kept, and the hook that reuses them. */
const KEPT_FROM = 'order-select';
const REUSED_BY = 'order-sign';

interface Entry {
  at: number;
  orders: string;
  results: Map<string, unknown>;
}

/** A call's view of run-ahead: results to reuse, and where to keep its own. */
export interface RunAheadSession {
  /** A result kept for this query, or undefined. */
  lookup(query: string): { value: unknown } | undefined;
  /** Keeps a result this call got (order-select only). */
  keep(query: string, value: unknown): void;
}

export class RunAhead {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly windowMs: number,
    private readonly maxEntries = 200,
  ) {}

  /** The session of one call, or undefined when its hook neither keeps nor reuses. */
  session(request: HookRequest, client: string | undefined, now: Date): RunAheadSession | undefined {
    if (this.windowMs <= 0 || (request.hook !== KEPT_FROM && request.hook !== REUSED_BY)) return undefined;
    const identity = JSON.stringify([client ?? '', request.fhirServer?.replace(/\/+$/, '') ?? '', request.context.patientId, request.context.userId ?? '']);
    const orders = ordersFingerprint(request.context.draftOrders as Bundle | undefined);
    const at = now.getTime();
    if (request.hook === REUSED_BY) {
      const entry = this.entries.get(identity);
      const usable = entry && entry.orders === orders && at >= entry.at && at - entry.at <= this.windowMs;
      return {
        lookup: (query) => (usable && entry.results.has(query) ? { value: structuredClone(entry.results.get(query)) } : undefined),
        keep: () => {},
      };
    }
    // order-select: a new entry for these orders (the user picked another order: the old one is stale).
    const entry: Entry = { at, orders, results: new Map() };
    this.entries.delete(identity);
    this.entries.set(identity, entry);
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(key); // oldest first: a Map iterates in insertion order
    }
    return { lookup: () => undefined, keep: (query, value) => void entry.results.set(query, structuredClone(value)) };
  }
}

/** The draft orders as one string: each resource's canonical JSON without `meta`, sorted. */
function ordersFingerprint(bundle: Bundle | undefined): string {
  const resources = (bundle?.entry ?? []).map((e) => canonical(e.resource ?? null, true));
  return JSON.stringify(resources.sort());
}

function canonical(value: unknown, top = false): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v)).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => !(top && k === 'meta')).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
