/**
 * Replay (backtest): recorded hook calls run again through the pure pipeline against other
 * content (the files as they are now, or another folder), to see what an edit would change
 * before it serves. It needs the payloads (CDS_STORE_PAYLOADS=true: the request, the prefetch
 * the rules saw, each card's body). Deterministic: each call's clock is its recorded receive
 * time, and its prefetch is the recorded one; replay makes no FHIR call.
 */
import { createTwoFilesPatch } from 'diff';
import { and, asc, eq, gt, gte, inArray, lt, or } from 'drizzle-orm';
import type { Card } from '../protocol/card.ts';
import { type PipelineLimits, runHook } from '../pipeline/run.ts';
import type { RuleSet } from '../rules/compile.ts';
import { tablesFor } from '../store/dialect.ts';
import type { Database } from '../store/dialect.ts';

export interface ReplayOptions {
  /** Epoch ms: calls received from then on. */
  since: number;
  /** Epoch ms, exclusive; default: no end. */
  until?: number;
  serviceId?: string;
  limits: PipelineLimits;
  newUuid?: () => string;
}

export interface CardChange {
  kind: 'added' | 'removed' | 'changed';
  hookInstance: string | null;
  invocationId: string;
  receivedAt: string;
  /** Unified diff of the card (uuids left out, `silent: true` when it was held back). */
  diff: string;
}

export interface RuleReplay {
  serviceId: string;
  ruleId: string;
  /** Replayed calls of the rule's service. */
  calls: number;
  firedBefore: number;
  firedAfter: number;
  added: number;
  removed: number;
  changed: number;
  changes: CardChange[];
}

export interface ReplayReport {
  since: string;
  until?: string;
  /** Calls replayed. */
  calls: number;
  /** Answered calls in the period without stored payloads (payload storage was off). */
  withoutPayload: number;
  /** Calls the content no longer serves (its service is gone). */
  serviceGone: number;
  /** Calls the new content refuses (e.g. it needs a prefetch key that was not recorded), by status. */
  refused: Record<string, number>;
  rules: RuleReplay[];
}

interface Recorded {
  card: Card;
  silent: boolean;
}

/** Calls read and replayed per round, to keep memory flat over a long period. */
const PAGE = 200;

export async function replay(db: Database, ruleSet: RuleSet, options: ReplayOptions): Promise<ReplayReport> {
  const { invocationCards, invocations } = tablesFor(db);
  const inPeriod = and(
    eq(invocations.status, 200),
    gte(invocations.receivedAt, options.since),
    options.until !== undefined ? lt(invocations.receivedAt, options.until) : undefined,
    options.serviceId ? eq(invocations.serviceId, options.serviceId) : undefined,
  );
  const report: ReplayReport = {
    since: new Date(options.since).toISOString(),
    ...(options.until !== undefined ? { until: new Date(options.until).toISOString() } : {}),
    calls: 0,
    withoutPayload: 0,
    serviceGone: 0,
    refused: {},
    rules: [],
  };
  const rules = new Map<string, RuleReplay>();
  const ruleOf = (serviceId: string, ruleId: string) => {
    const key = `${serviceId}\u0000${ruleId}`;
    let entry = rules.get(key);
    if (!entry) rules.set(key, (entry = { serviceId, ruleId, calls: 0, firedBefore: 0, firedAfter: 0, added: 0, removed: 0, changed: 0, changes: [] }));
    return entry;
  };

  let cursor: { receivedAt: number; id: string } | undefined;
  for (;;) {
    const page = await db
      .select()
      .from(invocations)
      .where(
        and(
          inPeriod,
          cursor
            ? or(gt(invocations.receivedAt, cursor.receivedAt), and(eq(invocations.receivedAt, cursor.receivedAt), gt(invocations.id, cursor.id)))
            : undefined,
        ),
      )
      .orderBy(asc(invocations.receivedAt), asc(invocations.id))
      .limit(PAGE);
    if (page.length === 0) break;
    const last = page[page.length - 1]!;
    cursor = { receivedAt: last.receivedAt, id: last.id };
    const cardRows = await db
      .select({ invocationId: invocationCards.invocationId, cardUuid: invocationCards.cardUuid, ruleId: invocationCards.ruleId, silent: invocationCards.silent, cardBody: invocationCards.cardBody })
      .from(invocationCards)
      .where(inArray(invocationCards.invocationId, page.map((p) => p.id)));

    for (const row of page) {
      if (row.requestBody === null) {
        report.withoutPayload++;
        continue;
      }
      const service = ruleSet.services.get(row.serviceId);
      if (!service) {
        report.serviceGone++;
        continue;
      }
      const before = recordedCards(row.responseBody, cardRows.filter((c) => c.invocationId === row.id));
      const body = JSON.parse(row.requestBody) as Record<string, unknown>;
      // The prefetch the rules saw, fetched keys included; no FHIR server to go back to.
      body.prefetch = { ...(body.prefetch as object | undefined), ...(row.prefetchBody ? JSON.parse(row.prefetchBody) : {}) };
      delete body.fhirServer;
      delete body.fhirAuthorization;
      const result = await runHook(
        { fetch: noFetch, now: () => new Date(row.receivedAt), newUuid: options.newUuid ?? (() => crypto.randomUUID()), limits: options.limits },
        service,
        body,
      );
      if (result.rejected) {
        report.refused[result.rejected.status] = (report.refused[result.rejected.status] ?? 0) + 1;
        continue;
      }
      report.calls++;
      const afterCards = new Map(result.cards.map((c) => [c.ruleId, { card: c.card, silent: c.silent }]));
      const firedAfter = new Set(result.rules.filter((r) => r.result === 'fired').map((r) => r.ruleId));
      const firedBefore = new Set([...row.rulesFired, ...row.rulesSilent, ...before.keys()]);
      const ruleIds = new Set([...service.rules.filter((r) => r.enabled).map((r) => r.id), ...row.rulesEvaluated]);
      const where = { hookInstance: row.hookInstance, invocationId: row.id, receivedAt: new Date(row.receivedAt).toISOString() };
      for (const ruleId of ruleIds) {
        const entry = ruleOf(row.serviceId, ruleId);
        entry.calls++;
        if (firedBefore.has(ruleId)) entry.firedBefore++;
        if (firedAfter.has(ruleId)) entry.firedAfter++;
        const change = compare(before.get(ruleId), afterCards.get(ruleId));
        if (change) {
          entry[change.kind]++;
          entry.changes.push({ kind: change.kind, ...where, diff: change.diff });
        }
      }
    }
    if (page.length < PAGE) break;
  }
  report.rules = [...rules.values()].sort((a, b) => a.serviceId.localeCompare(b.serviceId) || a.ruleId.localeCompare(b.ruleId));
  return report;
}

const noFetch: typeof fetch = () => Promise.reject(new Error('replay makes no FHIR calls'));

/** The cards a call made, by rule: from the stored card bodies, or from the stored response. */
function recordedCards(responseBody: string | null, rows: { cardUuid: string; ruleId: string; silent: boolean; cardBody: string | null }[]): Map<string, Recorded> {
  const returned = new Map<string, Card>();
  if (responseBody) for (const card of (JSON.parse(responseBody) as { cards?: Card[] }).cards ?? []) if (card.uuid) returned.set(card.uuid, card);
  const out = new Map<string, Recorded>();
  for (const row of rows) {
    const card = row.cardBody ? (JSON.parse(row.cardBody) as Card) : returned.get(row.cardUuid);
    if (card) out.set(row.ruleId, { card, silent: row.silent });
  }
  return out;
}

/** What differs between a rule's recorded card and its replayed one, if anything. */
function compare(before: Recorded | undefined, after: Recorded | undefined): { kind: CardChange['kind']; diff: string } | undefined {
  if (!before && !after) return undefined;
  const a = before ? cardText(before) : '';
  const b = after ? cardText(after) : '';
  if (a === b) return undefined;
  const kind = !before ? 'added' : !after ? 'removed' : 'changed';
  const patch = createTwoFilesPatch('recorded', 'replayed', a, b, undefined, undefined, { context: 2 }).split('\n');
  // The hunks only: the file headers name nothing the report does not already say.
  return { kind, diff: patch.slice(patch.findIndex((l) => l.startsWith('@@'))).join('\n') };
}

/** The card as text to compare: fresh uuids left out (they differ on every call). */
function cardText({ card, silent }: Recorded): string {
  const { uuid: _uuid, suggestions, ...rest } = card;
  const plain = {
    ...(silent ? { silent: true } : {}),
    ...rest,
    ...(suggestions ? { suggestions: suggestions.map(({ uuid: _u, ...s }) => s) } : {}),
  };
  return `${JSON.stringify(plain, null, 2)}\n`;
}
