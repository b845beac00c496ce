/**
 * The Node side of the test harness: a fresh SQLite file per app, content read from disk; in the
 * `postgres` project (vitest.config.ts) a fresh database per app on the run's PostgreSQL server,
 * through the same store the service opens with CDS_DATABASE_URL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { readContentFiles } from '../../src/node/content-files.ts';
import { openSqliteStore } from '../../src/node/sqlite.ts';
import { inject } from 'vitest';
import pg from 'pg';
import { openPostgresStore } from '../../src/node/postgres.ts';
import type { TestDatabase } from './runtime.ts';

export const name = 'node';

const postgresUrl = inject('postgresUrl');

export const contentFiles = () => readContentFiles('.');

export async function openDatabase(): Promise<TestDatabase> {
  if (postgresUrl) return openPostgresDatabase(postgresUrl);
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

let made = 0;

async function openPostgresDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `cds_test_${process.pid}_${++made}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openPostgresStore({ url: url.href, poolMax: 4, connectTimeoutMs: 5000, statementTimeoutMs: 10_000, idleTimeoutMs: 10_000 });
  return {
    store: database.store,
    // Another pool's connection: what a 200 promised must already be committed. The suite's SQL
    // is SQLite's: `?` placeholders become $n, and SQLite's insertion-order rowid is ctid (the
    // tables are fresh and never updated, so physical order is insertion order).
    async rows<T>(sql: string, ...params: unknown[]): Promise<T[]> {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`).replace(/\browid\b/g, 'ctid');
      const reader = new pg.Client({ connectionString: url.href, types: database.pool.options.types });
      await reader.connect();
      try {
        return (await reader.query(text, params)).rows as T[];
      } finally {
        await reader.end();
      }
    },
    async close() {
      await database.close();
    },
  };
}
