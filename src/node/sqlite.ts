/**
 * The Node store: one SQLite file through better-sqlite3 and drizzle, WAL, migrations applied at
 * open. Writes are synchronous transactions, so a call answered 200 has its rows on disk.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { createStore, type Store } from '../store/store.ts';
import { type PermissionWarning, prepareDatabaseFiles, tightenSideFiles } from './db-permissions.ts';

export const MIGRATIONS_FOLDER = join(dirname(fileURLToPath(import.meta.url)), '../store/migrations');

export interface SqliteStore {
  store: Store;
  db: ReturnType<typeof drizzle>;
  sqlite: Sqlite.Database;
  close(): void;
}

/**
 * @param synchronous `FULL` (default) fsyncs every commit, surviving power loss; `NORMAL` survives
 *   process crashes only, and is faster.
 * @param warn told about an existing database file other users may read (db-permissions.ts).
 */
export function openSqliteStore(
  path: string,
  { synchronous = 'FULL', warn = () => {} }: { synchronous?: 'FULL' | 'NORMAL'; warn?: PermissionWarning } = {},
): SqliteStore {
  const onDisk = path !== ':memory:';
  if (onDisk) prepareDatabaseFiles(path, warn);
  const sqlite = new Sqlite(path);
  sqlite.pragma('journal_mode = WAL');
  if (onDisk) tightenSideFiles(path);
  sqlite.pragma(`synchronous = ${synchronous}`);
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = drizzle(sqlite);
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  const store = createStore(db, async (statements) => {
    sqlite.transaction(() => {
      for (const statement of statements) statement.run();
    })();
  });
  return { store, db, sqlite, close: () => sqlite.close() };
}
