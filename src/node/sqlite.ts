/**
 * The Node store: one SQLite file through better-sqlite3 and drizzle, WAL, migrations applied at
 * open. Writes are transactions committed before the call is answered (grouped: see groupCommit),
 * so a call answered 200 has its rows on disk.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { type Atomic, createStore, type Store } from '../store/store.ts';
import { type PermissionWarning, prepareDatabaseFiles, tightenSideFiles } from './db-permissions.ts';

export const MIGRATIONS_FOLDER = migrationsFolder(dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * `src/store/<name>` beside this file; or, when this code runs bundled (the CLI's bundle lives in
 * build/), the one in the nearest folder above that has `src/store/<name>`. Also finds the
 * PostgreSQL migrations (postgres.ts).
 */
export function migrationsFolder(here: string, name: 'migrations' | 'pg-migrations'): string {
  const beside = join(here, '../store', name);
  if (existsSync(join(beside, 'meta/_journal.json'))) return beside;
  for (let dir = here; dirname(dir) !== dir; dir = dirname(dir)) {
    const candidate = join(dir, 'src/store', name);
    if (existsSync(join(candidate, 'meta/_journal.json'))) return candidate;
  }
  return beside;
}

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
 * @param migrate apply the migrations (default); a second connection to a migrated file skips it.
 */
export function openSqliteStore(
  path: string,
  { synchronous = 'FULL', warn = () => {}, migrate: applyMigrations = true }: { synchronous?: 'FULL' | 'NORMAL'; warn?: PermissionWarning; migrate?: boolean } = {},
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
  if (applyMigrations) migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  const store = createStore(db, groupCommit(sqlite), { prepared: true });
  return { store, db, sqlite, close: () => sqlite.close() };
}

/**
 * Group commit: the writes of every call that finishes in the same turn of the event loop go in
 * one transaction, so one fsync (synchronous=FULL) covers them all instead of one each; the
 * main thread, which better-sqlite3 blocks while it commits, spends that time once. Each call's
 * promise resolves only once its rows are committed, so an answer still leaves after its rows
 * are on disk. Should the shared transaction fail (one call's rows break a constraint), each
 * call's rows are committed on their own, so one bad write cannot take the others with it.
 */
function groupCommit(sqlite: Sqlite.Database): Atomic {
  type Waiting = { statements: { run(): unknown }[]; resolve(): void; reject(error: unknown): void };
  let queue: Waiting[] = [];
  const commit = (writes: Waiting[]) =>
    sqlite.transaction(() => {
      for (const write of writes) for (const statement of write.statements) statement.run();
    })();
  const flush = () => {
    const batch = queue;
    queue = [];
    try {
      commit(batch);
      for (const write of batch) write.resolve();
    } catch {
      for (const write of batch) {
        try {
          commit([write]);
          write.resolve();
        } catch (error) {
          write.reject(error);
        }
      }
    }
  };
  return (statements) =>
    new Promise<void>((resolve, reject) => {
      if (queue.push({ statements, resolve, reject }) === 1) setImmediate(flush);
    });
}
