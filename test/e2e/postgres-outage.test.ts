/**
 * The database goes away under a running service (PostgreSQL stopped), then comes back: calls
 * get a 503 OperationOutcome saying the database is unavailable, quickly (no hang) and without
 * the process dying; /readyz says not ready; when the server is back, the same process answers
 * 200 again and records the calls, without a restart, and SIGTERM still ends it cleanly.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../support/postgres-server.ts';
import { jsonPort, runToEnd, type Started, startProcess } from '../support/processes.ts';
import { warfarinIbuprofenRequest } from '../support/requests.ts';

let server: PostgresServer;
let url: string;
let service: Started;
const ADMIN_TOKEN = 'outage-admin-token';

beforeAll(async () => {
  server = await startPostgres();
  url = await server.createDatabase();
  service = await startProcess(
    'src/node/main.ts',
    { PORT: '0', HOST: '127.0.0.1', CDS_DATABASE_URL: url, CDS_WORKERS: '1', CDS_WATCH_CONTENT: 'false', CDS_DB_CONNECT_TIMEOUT_MS: '2000', CDS_DB_STATEMENT_TIMEOUT_MS: '3000',
      CDS_ADMIN_TOKENS: JSON.stringify([{ name: 'ops', role: 'viewer', sha256: createHash('sha256').update(ADMIN_TOKEN).digest('hex') }]) },
    jsonPort('port'),
    60_000,
  );
}, 120_000);
afterAll(async () => {
  await service?.stop('SIGKILL');
  await server?.close();
});

const base = () => `http://127.0.0.1:${service.port}`;
const hookCall = (hookInstance = crypto.randomUUID()) =>
  fetch(`${base()}/cds-services/drug-interactions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(warfarinIbuprofenRequest({ hookInstance })) });

describe('the database goes away and comes back', () => {
  it('answers 503 with a clear OperationOutcome while it is away, reports not ready, and recovers on its own', async () => {
    expect((await hookCall()).status).toBe(200);
    expect((await fetch(`${base()}/readyz`)).status).toBe(200);

    await server.stop();
    const started = Date.now();
    const down = await hookCall();
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toContain('application/json');
    expect(down.headers.get('retry-after')).toBe('5');
    expect(await down.json()).toEqual({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'transient', diagnostics: 'the database is unavailable; nothing was recorded and the call was not answered: retry shortly' }],
    });
    // Bounded by the connect timeout (2 s here), not a hang.
    expect(Date.now() - started).toBeLessThan(10_000);
    const feedback = await fetch(`${base()}/cds-services/drug-interactions/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ feedback: [{ card: crypto.randomUUID(), outcome: 'overridden', outcomeTimestamp: '2026-11-26T10:00:00Z' }] }),
    });
    expect(feedback.status).toBe(503);
    // The admin figures too: 503, not a 500.
    const stats = await fetch(`${base()}/admin/stats`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(stats.status).toBe(503);
    expect(await stats.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'transient' }] });
    const ready = await fetch(`${base()}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not ready', checks: { database: 'not writable' } });
    // Still alive, and still answering what needs no database.
    expect(service.child.exitCode).toBeNull();
    expect((await fetch(`${base()}/healthz`)).status).toBe(200);
    expect((await fetch(`${base()}/cds-services`)).status).toBe(200);

    await server.start();
    const hookInstance = crypto.randomUUID();
    const back = await hookCall(hookInstance);
    expect(back.status).toBe(200);
    expect((await fetch(`${base()}/readyz`)).status).toBe(200);
    const reader = new pg.Client({ connectionString: url });
    await reader.connect();
    try {
      const { rows } = await reader.query('select status from invocations where hook_instance = $1', [hookInstance]);
      expect(rows).toEqual([{ status: 200 }]);
    } finally {
      await reader.end();
    }
    expect(service.output.join('\n')).not.toContain('unhandled error');
    // And it shuts down cleanly: the pool is ended, exit 0.
    expect(await service.stop('SIGTERM')).toBe(0);
  }, 60_000);
});

describe('a database that cannot be had at start', () => {
  it('stops start-up with exit 1 and a message naming CDS_DATABASE_URL, without echoing its password', async () => {
    // A port nothing listens on: one the kernel hands out, closed again.
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const unreachable = await runToEnd(['--import', 'tsx', 'src/node/main.ts'], { PORT: '0', CDS_DATABASE_URL: `postgres://cds:hunter2-secret@127.0.0.1:${closed}/cds`, CDS_DB_CONNECT_TIMEOUT_MS: '1000', CDS_WATCH_CONTENT: 'false' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('database error: PostgreSQL at CDS_DATABASE_URL could not be opened or migrated');
    expect(unreachable.stdout + unreachable.stderr).not.toContain('hunter2-secret');

    const malformed = await runToEnd(['--import', 'tsx', 'src/node/main.ts'], { PORT: '0', CDS_DATABASE_URL: 'mysql://cds:hunter2-secret@db/cds' });
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('configuration error: CDS_DATABASE_URL: expected a postgres:// or postgresql:// URL, got mysql://...');
    expect(malformed.stderr).not.toContain('hunter2-secret');
  }, 60_000);
});
