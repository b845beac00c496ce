/**
 * The Node store on PostgreSQL (CDS_DATABASE_URL): a bounded node-postgres pool, drizzle over it,
 * the PostgreSQL migrations applied at open under an advisory lock, so instances starting
 * together apply them once, one after the other, instead of racing on the same DDL.
 *
 * Every wait is bounded: taking a connection (connectTimeoutMs), a statement on the server
 * (statement_timeout) and on the client (query_timeout, for a server that vanished mid-answer
 * and will never say so). A database that goes away costs the calls of that moment a 503
 * (pg-store.ts), never a hang or a crash: a pooled connection that dies while idle is dropped
 * from the pool (its 'error' event is handled here), and the pool connects afresh when the
 * database is back.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { createPgStore, type PgDb } from '../store/pg-store.ts';
import type { Store } from '../store/store.ts';
import { migrationsFolder } from './sqlite.ts';

export interface PostgresOptions {
  url: string;
  /** Connections at most, per instance. */
  poolMax: number;
  /** How long a call may wait for a connection (or a new connection for its handshake). */
  connectTimeoutMs: number;
  /** How long one statement may run, on the server and on the client. */
  statementTimeoutMs: number;
  /** An idle connection is closed after this long. */
  idleTimeoutMs: number;
}

export interface PostgresStore {
  store: Store;
  db: PgDb;
  pool: pg.Pool;
  close(): Promise<void>;
}

/** Migrations of concurrently starting instances exclude each other on this advisory lock key. */
export const MIGRATION_LOCK = 0x63646d67; // 'cdmg'

export const PG_MIGRATIONS_FOLDER = migrationsFolder(dirname(fileURLToPath(import.meta.url)), 'pg-migrations');

/**
 * bigint (int8) columns hold epoch milliseconds and counts, well inside 2^53: read as numbers,
 * so a row reads as it does from SQLite. Set on this pool only, not on pg's global parsers.
 */
const types = {
  getTypeParser: ((oid: number, format?: string) => (oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};

export function createPool(options: PostgresOptions, onIdleError: (error: Error) => void = () => {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: options.idleTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    // The client's own limit: a bit longer, so the server's clearer error wins when it can answer.
    query_timeout: options.statementTimeoutMs + 1000,
    keepAlive: true,
    application_name: 'cds-rules',
    types,
  });
  // Without a listener, a pooled connection the server closes (restart, failover) would crash
  // the process; the pool has already dropped it.
  pool.on('error', onIdleError);
  return pool;
}

/**
 * Applies the PostgreSQL migrations, holding the advisory lock meanwhile. On a connection of its
 * own, without the pool's statement and query timeouts: waiting for another instance's
 * migration, or building an index on a large table, may take longer than a call may.
 */
export async function migratePostgres(options: PostgresOptions): Promise<void> {
  const client = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: options.connectTimeoutMs, application_name: 'cds-rules migrations' });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    // Closing the connection releases the lock too, should the migration fail.
    await migrate(drizzle(client), { migrationsFolder: PG_MIGRATIONS_FOLDER });
  } finally {
    await client.end();
  }
}

export async function openPostgresStore(options: PostgresOptions, { onIdleError }: { onIdleError?: (error: Error) => void } = {}): Promise<PostgresStore> {
  await migratePostgres(options);
  const pool = createPool(options, onIdleError);
  const db = drizzle(pool);
  return { store: createPgStore(db), db, pool, close: () => pool.end() };
}
