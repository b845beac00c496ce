/** Group commit in the SQLite store: calls finishing together share a transaction, not a fate. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import * as sqliteTables from '../store/schema.ts';
import type { InvocationRow } from '../store/schema.ts';
import { retryOfFirstCall } from '../store/store.ts';
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

describe('the retry lookup of each recorded call', () => {
  it('is one index seek, not a walk over the service history', async () => {
    const { store, db, sqlite } = open();
    const first = invocation(crypto.randomUUID());
    await store.recordInvocation(first, []);
    const retry = { ...invocation(crypto.randomUUID()), hookInstance: first.hookInstance };
    await store.recordInvocation(retry, []);
    // The same lookup every write runs (store.ts), as SQLite plans it.
    const lookup = retryOfFirstCall(sqliteTables, invocation('x'))!;
    const plan = (db.all(sql`explain query plan select ${lookup}`) as { detail: string }[]).map((r) => r.detail);
    expect(plan.join('\n')).toMatch(/USING (COVERING )?INDEX invocations_hook_instance \(service_id=\? AND hook_instance=\? AND retry_of=\?\)/);
    expect(plan.join('\n')).not.toMatch(/invocations_service|TEMP B-TREE/);
    // And it still finds the first call.
    const rows = sqlite.prepare('select id, retry_of from invocations order by received_at, rowid').all() as { id: string; retry_of: string | null }[];
    expect(rows).toEqual([
      { id: first.id, retry_of: null },
      { id: retry.id, retry_of: first.id },
    ]);
  });
});
