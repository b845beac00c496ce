/**
 * Which dialect a store's database speaks, for the code that reads it directly (the governance
 * figures, replay, the admin API). Those take a `Database`; a PostgreSQL store registers its
 * drizzle database here with pg-schema's tables, which have the same names, columns and JS
 * shapes as schema.ts's (by design, see pg-schema.ts), so the same query builders run over
 * either. A registry rather than an import, so that the Worker, which only ever has D1, never
 * bundles the PostgreSQL dialect.
 */
import type { SQL } from 'drizzle-orm';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import * as sqliteTables from './schema.ts';

/** A store's drizzle database: SQLite's (better-sqlite3, sync; D1, async), or PostgreSQL's registered below. */
// biome-ignore lint: drizzle's database type is generic over sync (better-sqlite3) and async (D1).
export type Database = BaseSQLiteDatabase<'sync' | 'async', any, any>;

export type Tables = Pick<typeof sqliteTables, 'invocations' | 'invocationCards' | 'feedback' | 'jwtReplay' | 'ruleVersions' | 'contentTexts' | 'accessAudit' | 'healthProbe'>;

interface Postgres {
  tables: Tables;
  /** Rows of a raw query (node-postgres answers `execute` with a result object). */
  all(query: SQL): Promise<unknown[]>;
}

const postgres = new WeakMap<object, Postgres>();

/** Called by the PostgreSQL store for its database (pg-store.ts). */
export function registerPostgres(db: object, dialect: Postgres): Database {
  postgres.set(db, dialect);
  return db as Database;
}

export const isPostgres = (db: Database): boolean => postgres.has(db);

export const tablesFor = (db: Database): Tables => postgres.get(db)?.tables ?? sqliteTables;

/** Rows of a raw SELECT on either dialect. */
export async function allRows<T>(db: Database, query: SQL): Promise<T[]> {
  const pg = postgres.get(db);
  return (pg ? await pg.all(query) : await db.all(query)) as T[];
}
