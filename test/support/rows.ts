/** Rows written straight to a store by tests that seed the database (retention, store tests). */
import type { InvocationRow } from '../../src/store/schema.ts';

/** An answered drug-interactions call received at `receivedAt`; `extra` overrides any field. */
export const invocationRow = (id: string, receivedAt: number, extra: Partial<InvocationRow> = {}): InvocationRow => ({
  id,
  receivedAt,
  serviceId: 'drug-interactions',
  hook: 'order-sign',
  hookInstance: crypto.randomUUID(),
  status: 200,
  outcome: 'ok',
  rulesEvaluated: [],
  rulesFired: [],
  ruleErrors: [],
  cardCount: 0,
  prefetchFetched: [],
  totalMs: 1,
  ...extra,
});
