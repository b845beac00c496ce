/**
 * Audit rows are append-only: no update path in the code, the database refuses updates, and the
 * retention purge (six years by default) is the one way rows leave.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.ts';
import { purgeExpired } from '../../src/node/retention.ts';
import { invocationRow } from '../support/rows.ts';
import { type TestApp, testApp } from '../support/node-app.ts';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.parse('2026-11-26T10:00:00Z');

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(() => t.close());

const invocation = (id: string, receivedAt: number) => invocationRow(id, receivedAt, { rulesFired: ['warfarin-nsaid'], cardCount: 1 });

async function seed(id: string, ageDays: number) {
  const receivedAt = NOW - ageDays * DAY;
  await t.database.store.recordInvocation(invocation(id, receivedAt), [
    { cardUuid: `${id}-card`, invocationId: id, serviceId: 'drug-interactions', ruleId: 'warfarin-nsaid', indicator: 'warning', suggestionUuids: [] },
  ]);
  await t.database.store.recordFeedback([
    { receivedAt, serviceId: 'drug-interactions', cardUuid: `${id}-card`, outcome: 'overridden', outcomeTimestamp: '2020-01-01T00:00:00Z', client: null },
  ]);
}

const count = (table: string) => (t.database.sqlite.prepare(`select count(*) n from ${table}`).get() as { n: number }).n;

describe('retention', () => {
  it('the purge removes rows older than six years (default), with their cards and feedback, and nothing younger', async () => {
    await seed('seven-years', 7 * 365);
    await seed('six-years-and-a-week', 6 * 365 + 2 + 7);
    await seed('five-years', 5 * 365);
    await seed('today', 0);
    await purgeExpired(t.database.store, 2192, silentLogger, NOW);
    const ids = (t.database.sqlite.prepare('select id from invocations order by received_at').all() as { id: string }[]).map((r) => r.id);
    expect(ids).toEqual(['five-years', 'today']);
    expect(count('invocation_cards')).toBe(2);
    expect((t.database.sqlite.prepare('select card_uuid from feedback order by received_at').all() as { card_uuid: string }[]).map((r) => r.card_uuid)).toEqual([
      'five-years-card',
      'today-card',
    ]);
  });

  it('a shorter configured period purges more; it reports what it removed', async () => {
    expect(await t.database.store.purgeOlderThan(NOW - 365 * DAY)).toEqual({ invocations: 1, feedback: 1 });
    expect(count('invocations')).toBe(1);
  });
});

describe('append-only', () => {
  it.each(['invocations', 'invocation_cards', 'feedback'])('the database refuses an UPDATE of %s', (table) => {
    const column = table === 'feedback' ? 'outcome' : table === 'invocations' ? 'outcome' : 'indicator';
    expect(() => t.database.sqlite.prepare(`update ${table} set ${column} = 'changed'`).run()).toThrow(/append-only/);
  });

  it("the application has no update path, and deletes only in each store's purge (SQLite/D1 and PostgreSQL)", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : []));
    const sources = files('src').map((path) => ({ path, text: readFileSync(path, 'utf8') }));
    expect(sources.filter((s) => /\.update\(|\bUPDATE\s+\w+\s+SET\b/i.test(s.text)).map((s) => s.path)).toEqual([]);
    // Besides the stores' purges (SQLite/D1 and PostgreSQL), only in-memory deletes: run-ahead's
    // Map, a URL's query parameter, the invocation writer's maps of call ids on both sides.
    expect(sources.filter((s) => /\.delete\(|\bDELETE\s+FROM\b/i.test(s.text)).map((s) => s.path).sort()).toEqual([
      'src/node/invocation-writer.ts',
      'src/node/sqlite-writer.ts',
      'src/pipeline/fhir-client.ts',
      'src/pipeline/run-ahead.ts',
      'src/store/pg-store.ts',
      'src/store/store.ts',
    ]);
    expect(sources.filter((s) => /\bDELETE\s+FROM\b|\bdb\.delete\(/i.test(s.text)).map((s) => s.path).sort()).toEqual(['src/store/pg-store.ts', 'src/store/store.ts']);
  });
});
