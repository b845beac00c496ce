/**
 * The Worker's store: the same drizzle schema and store as SQLite, over a D1 binding. D1 has no
 * interactive transactions, so "all or none" is a D1 batch (one implicit transaction on the
 * database); the store awaits it before the answer leaves, so nothing acknowledged is lost.
 */
import type { D1Database } from '@cloudflare/workers-types';
import { drizzle } from 'drizzle-orm/d1';
import { createStore, type Store } from '../store/store.ts';

export function openD1Store(binding: D1Database): Store {
  const db = drizzle(binding);
  return createStore(db, async (statements) => {
    if (statements.length === 0) return;
    // The store hands over drizzle insert builders of this same database; batch takes a non-empty tuple of them.
    await db.batch(statements as unknown as Parameters<typeof db.batch>[0]);
  });
}
