/**
 * Worker-only: the real Worker entry (wrangler.toml `main`, called in process) over the real
 * local D1 binding. Rows are read back through the binding itself, not through the app's store.
 */
import type { D1Database } from '@cloudflare/workers-types';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { openD1Store } from '../../src/worker/d1.ts';
import { testApp } from '../support/app.ts';
import { warfarinIbuprofenRequest } from '../support/requests.ts';

const worker = exports.default;
const DB = env.DB as D1Database;
const postJson = (path: string, body: unknown) =>
  worker.fetch(`https://cds.example.org${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function d1Rows<T = Record<string, any>>(sql: string, ...params: unknown[]): Promise<T[]> {
  return (await DB.prepare(sql).bind(...params).all<T>()).results;
}

describe('the shared protocol suite runs here on workerd and D1', () => {
  it('the harness picked the workerd runtime', async () => {
    expect(navigator.userAgent).toBe('Cloudflare-Workers');
    const t = await testApp();
    expect(t.runtime).toBe('workerd');
    await t.close();
  });
});

describe('the Worker entry with D1', () => {
  it('serves the bundled content and says it stores to D1', async () => {
    const res = await worker.fetch('https://cds.example.org/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ok',
      content: { services: expect.any(Number), rules: expect.any(Number), cards: expect.any(Number), valueSets: expect.any(Number), libraries: expect.any(Number), dataTables: expect.any(Number) },
      database: 'd1',
      calls: expect.objectContaining({ ok: expect.any(Number), degraded: expect.any(Number), rejected: expect.any(Number) }),
      auth: 'open',
      // The Worker's content is fixed by its build; the build's time says which content it is.
      reload: { watching: false, status: 'ok', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), problems: [] },
    });
  });

  it('writes a hook call and its card to D1, and feedback linked to them, read back through the binding', async () => {
    const hookInstance = crypto.randomUUID();
    const res = await postJson('/cds-services/drug-interactions', warfarinIbuprofenRequest({ hookInstance }));
    expect(res.status).toBe(200);
    const { cards } = (await res.json()) as { cards: { uuid: string; suggestions: { uuid: string }[] }[] };
    expect(cards).toHaveLength(1);

    const [invocation] = await d1Rows('select * from invocations where hook_instance = ?', hookInstance);
    expect(invocation).toMatchObject({ service_id: 'drug-interactions', hook: 'order-sign', status: 200, outcome: 'ok', card_count: 1, request_body: null });
    expect(JSON.parse(invocation!.rules_fired)).toEqual(['warfarin-nsaid']);
    expect(await d1Rows('select card_uuid, rule_id, indicator from invocation_cards where invocation_id = ?', invocation!.id)).toEqual([
      { card_uuid: cards[0]!.uuid, rule_id: 'warfarin-nsaid', indicator: 'critical' },
    ]);

    const feedback = await postJson('/cds-services/drug-interactions/feedback', {
      feedback: [{ card: cards[0]!.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: cards[0]!.suggestions[0]!.uuid }], outcomeTimestamp: '2026-11-26T10:05:31Z' }],
    });
    expect(await feedback.json()).toEqual({ stored: 1, unknownCards: 0 });
    expect(await d1Rows('select invocation_id, rule_id, outcome from feedback where card_uuid = ?', cards[0]!.uuid)).toEqual([
      { invocation_id: invocation!.id, rule_id: 'warfarin-nsaid', outcome: 'accepted' },
    ]);
  });

  it('a bad request gets a 4xx naming the field and is recorded as rejected', async () => {
    const hookInstance = crypto.randomUUID();
    const request = warfarinIbuprofenRequest({ hookInstance });
    const res = await postJson('/cds-services/drug-interactions', { ...request, context: { ...request.context, patientId: 'not an id' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { issue: { expression: string[] }[] }).issue[0]!.expression).toEqual(['context.patientId']);
    expect(await d1Rows('select status, outcome, error from invocations where hook_instance = ?', hookInstance)).toEqual([
      { status: 400, outcome: 'rejected', error: 'context.patientId' },
    ]);
  });
});

describe('the D1 store writes all or nothing (a batch, D1 has no interactive transactions)', () => {
  const invocation = (id: string) => ({
    id,
    receivedAt: Date.now(),
    serviceId: 'drug-interactions',
    hook: 'order-sign',
    status: 200,
    outcome: 'ok',
    rulesEvaluated: [],
    rulesFired: [],
    ruleErrors: [],
    cardCount: 2,
    prefetchFetched: [],
    totalMs: 1,
  });
  const card = (cardUuid: string, invocationId: string) => ({ cardUuid, invocationId, serviceId: 'drug-interactions', ruleId: 'r', indicator: 'info', suggestionUuids: [] });

  it('a failing card insert leaves no invocation behind', async () => {
    const store = openD1Store(DB);
    const id = crypto.randomUUID();
    const dup = crypto.randomUUID();
    await expect(store.recordInvocation(invocation(id), [card(dup, id), card(dup, id)])).rejects.toThrow(/UNIQUE|constraint/i);
    expect(await d1Rows('select id from invocations where id = ?', id)).toEqual([]);
    expect(await d1Rows('select card_uuid from invocation_cards where card_uuid = ?', dup)).toEqual([]);
  });

  it('more cards than one statement may bind (100 parameters on D1) land together', async () => {
    const store = openD1Store(DB);
    const id = crypto.randomUUID();
    const cards = Array.from({ length: 40 }, () => card(crypto.randomUUID(), id));
    await store.recordInvocation({ ...invocation(id), cardCount: cards.length }, cards);
    expect(await d1Rows('select count(*) n from invocation_cards where invocation_id = ?', id)).toEqual([{ n: 40 }]);
  });
});
