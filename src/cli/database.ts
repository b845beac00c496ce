/**
 * The service's database for the read-side commands (replay, stats): `--db` (a SQLite file or a
 * postgres:// URL), else CDS_DATABASE_URL (PostgreSQL, as the service reads it), else
 * CDS_DB_PATH, else the default SQLite file.
 */
import { existsSync } from 'node:fs';
import { openPostgresStore } from '../node/postgres.ts';
import { openSqliteStore } from '../node/sqlite.ts';
import type { Database } from '../store/dialect.ts';
import { UsageError } from './args.ts';

export interface ServiceDatabase {
  db: Database;
  close(): void | Promise<void>;
}

const isPostgresUrl = (value: string) => /^postgres(ql)?:\/\//i.test(value);

export async function openServiceDatabase(given?: string): Promise<ServiceDatabase> {
  const target = given ?? (process.env.CDS_DATABASE_URL || process.env.CDS_DB_PATH || './data/cds.sqlite');
  if (isPostgresUrl(target)) {
    try {
      const { store, close } = await openPostgresStore({ url: target, poolMax: 2, connectTimeoutMs: 5000, statementTimeoutMs: 300_000, idleTimeoutMs: 10_000 });
      return { db: store.db, close };
    } catch (error) {
      // The URL is not echoed: it may hold a password.
      throw new UsageError(`the PostgreSQL database could not be opened: ${(error as Error).message}`);
    }
  }
  if (!existsSync(target)) throw new UsageError(`no database at ${target} (give --db or set CDS_DB_PATH or CDS_DATABASE_URL)`);
  return openSqliteStore(target);
}
