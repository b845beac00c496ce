/** The service's SQLite file for the read-side commands (replay, stats): `--db`, else CDS_DB_PATH, else the default. */
import { existsSync } from 'node:fs';
import { openSqliteStore, type SqliteStore } from '../node/sqlite.ts';
import { UsageError } from './args.ts';

export function openServiceDatabase(path = process.env.CDS_DB_PATH || './data/cds.sqlite'): SqliteStore {
  if (!existsSync(path)) throw new UsageError(`no database at ${path} (give --db or set CDS_DB_PATH)`);
  return openSqliteStore(path);
}
