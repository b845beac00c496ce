/** The Node side of the test harness: a fresh SQLite file per app, content read from disk. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { readContentFiles } from '../../src/node/content-files.ts';
import { openSqliteStore } from '../../src/node/sqlite.ts';
import type { TestDatabase } from './runtime.ts';

export const name = 'node';

export const contentFiles = () => readContentFiles('.');

export async function openDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'cds-test-'));
  const dbPath = join(dir, 'cds.sqlite');
  const database = openSqliteStore(dbPath);
  return {
    store: database.store,
    // A second connection: what a 200 promised must already be in the file.
    async rows<T>(sql: string, ...params: unknown[]): Promise<T[]> {
      const db = new Database(dbPath, { readonly: true });
      try {
        return db.prepare(sql).all(...params) as T[];
      } finally {
        db.close();
      }
    },
    async close() {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
