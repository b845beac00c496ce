/**
 * What the PostgreSQL store promises beyond the shared protocol suite (which runs over it in the
 * `postgres` vitest project): the database refuses changes to audit rows, two instances racing
 * on one JWT id or on the retention purge get one winner, and a database that accepts the
 * connection but never answers costs a bounded wait and a 503, not a hang.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drizzle } from 'drizzle-orm/node-postgres';
import { createPool, openPostgresStore, type PostgresOptions, type PostgresStore } from '../../src/node/postgres.ts';
import { HttpError } from '../../src/protocol/errors.ts';
import { createPgStore, RETENTION_LOCK } from '../../src/store/pg-store.ts';
import { type PostgresServer, startPostgres } from '../support/postgres-server.ts';
import { invocationRow } from '../support/rows.ts';

let server: PostgresServer;
let one: PostgresStore;
let two: PostgresStore;
const options = (url: string): PostgresOptions => ({ url, poolMax: 4, connectTimeoutMs: 1000, statementTimeoutMs: 2000, idleTimeoutMs: 10_000 });

beforeAll(async () => {
  server = await startPostgres();
  const url = await server.createDatabase();
  [one, two] = await Promise.all([openPostgresStore(options(url)), openPostgresStore(options(url))]);
}, 60_000);
afterAll(async () => {
  await one?.close();
  await two?.close();
  await server?.close();
});

const invocation = (id: string, receivedAt = Date.now()) => invocationRow(id, receivedAt, { rulesEvaluated: ['a'] });

describe('PostgreSQL store', () => {
  it('refuses UPDATE of audit rows and TRUNCATE of audit tables (triggers), as SQLite refuses updates', async () => {
    const id = crypto.randomUUID();
    await one.store.recordInvocation(invocation(id), []);
    await expect(one.pool.query("update invocations set outcome = 'rejected' where id = $1", [id])).rejects.toThrow('invocations is append-only');
    await expect(one.pool.query('truncate invocation_cards, invocations')).rejects.toThrow('append-only');
    await one.store.recordAccess({ receivedAt: Date.now(), kind: 'admin', method: 'GET', path: '/admin/stats', status: 200, principal: 'x', role: 'viewer' });
    await expect(one.pool.query('update access_audit set status = 500')).rejects.toThrow('access_audit is append-only');
    const { rows } = await two.pool.query('select outcome from invocations where id = $1', [id]);
    expect(rows).toEqual([{ outcome: 'ok' }]);
  });

  it('of 20 instances-worth of concurrent claims on one JWT id, exactly one wins', async () => {
    const jti = crypto.randomUUID();
    const now = Date.now();
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).store.claimJti('https://ehr', jti, now + 60_000, now)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    // An expired claim is taken over by a new acceptance (that token is refused on its own anyway).
    const old = crypto.randomUUID();
    expect(await one.store.claimJti('https://ehr', old, now - 1, now - 10)).toBe(true);
    expect(await two.store.claimJti('https://ehr', old, now + 60_000, now)).toBe(true);
  });

  it('runs the retention purge in one instance at a time: the other skips while the lock is held', async () => {
    const old = crypto.randomUUID();
    await one.store.recordInvocation(invocation(old, 1000), []);
    const holder = await one.pool.connect();
    try {
      await holder.query('begin');
      await holder.query('select pg_advisory_xact_lock($1)', [RETENTION_LOCK]);
      expect(await two.store.purgeOlderThan(2000)).toEqual({ invocations: 0, feedback: 0, skipped: true });
      await holder.query('commit');
    } finally {
      holder.release();
    }
    expect(await two.store.purgeOlderThan(2000)).toEqual({ invocations: 1, feedback: 0 });
    expect((await one.pool.query('select id from invocations where id = $1', [old])).rows).toEqual([]);
  });

  it('against a server that accepts connections and never answers: a 503 within the connect timeout, not a hang', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const pool = createPool(options(`postgres://cds@127.0.0.1:${port}/none`));
    try {
      const store = createPgStore(drizzle(pool));
      const started = Date.now();
      const error = await store.recordInvocation(invocation(crypto.randomUUID()), []).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).status).toBe(503);
      expect(Date.now() - started).toBeLessThan(5000);
      await expect(store.probeWritable(Date.now())).rejects.toMatchObject({ status: 503 });
    } finally {
      await pool.end().catch(() => {});
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});
