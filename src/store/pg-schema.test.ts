/**
 * The two dialects of the schema stay in step: every table has the same columns (name, SQL
 * nullability, default or not), primary keys, indexes and foreign keys in schema.ts (SQLite,
 * D1) and pg-schema.ts (PostgreSQL). A column added to one and not the other fails here.
 */
import { getTableConfig as pgConfig } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteConfig } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as pg from './pg-schema.ts';
import * as sqlite from './schema.ts';

type Config = ReturnType<typeof sqliteConfig> | ReturnType<typeof pgConfig>;

function shape(config: Config) {
  const composite = config.primaryKeys.flatMap((k) => k.columns.map((c) => c.name));
  return {
    name: config.name,
    // A SQLite integer primary key is the rowid and always "has a default"; keys are compared as keys.
    columns: config.columns.map((c) => ({ name: c.name, notNull: c.notNull, hasDefault: c.primary ? 'key' : c.hasDefault, primary: c.primary || composite.includes(c.name) })).sort((a, b) => a.name.localeCompare(b.name)),
    indexes: config.indexes.map((i) => ({ name: String(i.config.name), on: i.config.columns.map((c) => (c as { name: string }).name) })).sort((a, b) => a.name.localeCompare(b.name)),
    foreignKeys: config.foreignKeys.map((f) => f.reference().columns.map((c) => c.name)),
  };
}

const tableNames = Object.keys(sqlite).filter((k) => typeof (sqlite as Record<string, unknown>)[k] === 'object') as (keyof typeof sqlite & keyof typeof pg)[];

describe('the PostgreSQL schema mirrors the SQLite schema', () => {
  it('has the same tables', () => {
    const tables = (module: object) => Object.entries(module).filter(([, v]) => typeof v === 'object').map(([k]) => k).sort();
    expect(tables(pg)).toEqual(tables(sqlite));
  });

  it.each(tableNames)('%s: same columns, keys, indexes', (table) => {
    expect(shape(pgConfig(pg[table] as never))).toEqual(shape(sqliteConfig(sqlite[table] as never)));
  });
});
