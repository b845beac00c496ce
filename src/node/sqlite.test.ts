/** Group commit in the SQLite store: calls finishing together share a transaction, not a fate. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InvocationRow } from '../store/schema.ts';
import { openSqliteStore, type SqliteStore } from './sqlite.ts';

const invocation = (id: string): InvocationRow => ({
  id,
  receivedAt: Date.now(),
  serviceId: 'drug-interactions',
  hook: 'order-sign',
  hookInstance: crypto.randomUUID(),
  client: null,
  patientId: null,
  userId: null,
  encounterId: null,
  status: 200,
  outcome: 'ok',
  rulesEvaluated: [],
  rulesFired: [],
  ruleErrors: [],
  rulesSkipped: [],
  cardCount: 0,
  prefetchFetched: [],
  prefetchMs: 0,
  evaluateMs: 0,
  totalMs: 0,
});

let dir: string;
let database: SqliteStore;
afterEach(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});
const open = () => {
  dir = mkdtempSync(join(tmpdir(), 'cds-group-'));
  database = openSqliteStore(join(dir, 'cds.sqlite'));
  return database;
};

describe('group commit', () => {
  it('writes from calls finishing together all land, and each resolves once its rows are in the file', async () => {
    const { store, sqlite } = open();
    const ids = Array.from({ length: 20 }, () => crypto.randomUUID());
    await Promise.all(ids.map((id) => store.recordInvocation(invocation(id), [])));
    expect((sqlite.prepare('select count(*) n from invocations').get() as { n: number }).n).toBe(20);
  });

  it('one bad write in a group fails alone: the others still land', async () => {
    const { store, sqlite } = open();
    const taken = crypto.randomUUID();
    await store.recordInvocation(invocation(taken), []);
    const good = [crypto.randomUUID(), crypto.randomUUID()];
    const results = await Promise.allSettled([store.recordInvocation(invocation(good[0]!), []), store.recordInvocation(invocation(taken), []), store.recordInvocation(invocation(good[1]!), [])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const rows = sqlite.prepare('select id from invocations order by received_at').all() as { id: string }[];
    expect(rows.map((r) => r.id).sort()).toEqual([taken, ...good].sort());
  });
});
