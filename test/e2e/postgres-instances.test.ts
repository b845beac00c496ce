/**
 * Two service processes on one PostgreSQL database, as two instances behind a load balancer:
 * a JWT replayed across them is accepted once, feedback sent to one is tied to the card the other
 * made, and a SIGKILL of one under load loses no answered row while the other keeps answering.
 * Real processes (`npm start`'s entry), a real PostgreSQL server (test/support/postgres-server.ts),
 * a real JWKS server.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwks, type JwksServer, type SigningKey, signingKey, signToken, startJwksServer } from '../support/jwt.ts';
import { type PostgresServer, startPostgres } from '../support/postgres-server.ts';
import { jsonPort, runToEnd, type Started, startProcess } from '../support/processes.ts';
import { warfarinIbuprofenRequest } from '../support/requests.ts';

const PG_MIGRATIONS = (JSON.parse(readFileSync(new URL('../../src/store/pg-migrations/meta/_journal.json', import.meta.url), 'utf8')) as { entries: unknown[] }).entries.length;

const ISS = 'https://ehr.example.org';
const PUBLIC = 'https://cds.example.org';
const HOOK = '/cds-services/drug-interactions';
const ADMIN_TOKEN = 'admin-token-for-the-test';

let server: PostgresServer;
let url: string;
let keys: JwksServer;
let key: SigningKey;
let a: Started;
let b: Started;
let reader: pg.Client;

const startInstance = () =>
  startProcess(
    'src/node/main.ts',
    {
      PORT: '0',
      HOST: '127.0.0.1',
      CDS_DATABASE_URL: url,
      CDS_TRUSTED_CLIENTS: JSON.stringify([{ iss: ISS, jwksUrl: `${keys.base}/jwks.json` }]),
      CDS_PUBLIC_URL: PUBLIC,
      CDS_WORKERS: '1',
      CDS_WATCH_CONTENT: 'false',
      CDS_ADMIN_TOKENS: JSON.stringify([{ name: 'ops', role: 'viewer', sha256: createHash('sha256').update(ADMIN_TOKEN).digest('hex') }]),
    },
    jsonPort('port'),
    60_000,
  );

beforeAll(async () => {
  [server, keys, key] = await Promise.all([startPostgres(), startJwksServer(), signingKey('ES384', 'ehr-1')]);
  keys.set('/jwks.json', jwks(key));
  url = await server.createDatabase();
  // Started together on an empty database: the migrations run once, under the advisory lock.
  [a, b] = await Promise.all([startInstance(), startInstance()]);
  reader = new pg.Client({ connectionString: url });
  await reader.connect();
}, 120_000);
afterAll(async () => {
  await reader?.end();
  await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL'), keys?.close()]);
  await server?.close();
});

const token = (path: string) => signToken(key, { iss: ISS, aud: `${PUBLIC}${path}` });

function post(instance: Started, path: string, body: unknown, jwt: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${instance.port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` },
    body: JSON.stringify(body),
  });
}

async function hookCall(instance: Started, hookInstance = crypto.randomUUID()) {
  const res = await post(instance, HOOK, warfarinIbuprofenRequest({ hookInstance }), await token(HOOK));
  return { res, hookInstance };
}

/** warfarin-nsaid's accepted cards in instance A's admin figures. */
async function acceptedOnA(): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${a.port}/admin/stats?since=1d&service=drug-interactions`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  const { rules } = (await res.json()) as { rules: { ruleId: string; accepted: number }[] };
  return rules.find((r) => r.ruleId === 'warfarin-nsaid')?.accepted ?? 0;
}

describe('two instances, one database', () => {
  it('started together, both migrated and both answer from the same tables', async () => {
    const [first, second] = await Promise.all([hookCall(a), hookCall(b)]);
    expect([first.res.status, second.res.status]).toEqual([200, 200]);
    const { rows } = await reader.query('select count(*)::int n from invocations where hook_instance = any($1)', [[first.hookInstance, second.hookInstance]]);
    expect(rows[0].n).toBe(2);
    const health = (await (await fetch(`http://127.0.0.1:${b.port}/health`)).json()) as { database: string };
    expect(health.database).toBe('postgres');
    // Each migration once, though both instances ran the migrator.
    const { rows: applied } = await reader.query('select count(*)::int n from drizzle.__drizzle_migrations');
    expect(applied[0].n).toBe(PG_MIGRATIONS);
  });

  it('a token accepted by one instance is refused by the other, and of the same token sent to both at once exactly one is accepted', async () => {
    const jwt = await token(HOOK);
    const body = warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() });
    expect((await post(a, HOOK, body, jwt)).status).toBe(200);
    const replay = await post(b, HOOK, body, jwt);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'login' }] });

    for (let i = 0; i < 10; i++) {
      const racing = await token(HOOK);
      const answers = await Promise.all([a, b].map((instance) => post(instance, HOOK, warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() }), racing)));
      expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
    }
  });

  it('feedback sent to one instance is tied to the card the other made, checked against it, and counted by the first', async () => {
    const acceptedBefore = await acceptedOnA();
    const { res } = await hookCall(a);
    const { cards } = (await res.json()) as { cards: { uuid: string; suggestions: { uuid: string }[] }[] };
    const card = cards[0]!;
    const path = `${HOOK}/feedback`;
    // B knows A's card: a suggestion that is not the card's is refused, naming the field.
    const wrong = await post(b, path, { feedback: [{ card: card.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: crypto.randomUUID() }], outcomeTimestamp: '2026-11-26T10:00:00Z' }] }, await token(path));
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(await wrong.json())).toContain('acceptedSuggestions');
    const right = await post(b, path, { feedback: [{ card: card.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: card.suggestions[0]!.uuid }], outcomeTimestamp: '2026-11-26T10:00:00Z' }] }, await token(path));
    expect(right.status).toBe(200);
    const { rows } = await reader.query('select f.rule_id, f.outcome, i.hook_instance is not null as linked from feedback f join invocations i on i.id = f.invocation_id where f.card_uuid = $1', [card.uuid]);
    expect(rows).toEqual([{ rule_id: 'warfarin-nsaid', outcome: 'accepted', linked: true }]);
    // A's figures count what B received, and so does `cds-rules stats` over the same database.
    expect(await acceptedOnA()).toBe(acceptedBefore + 1);
    const cli = await runToEnd(['bin/cds-rules.mjs', 'stats', '--since', '1d', '--service', 'drug-interactions', '--db', url, '--json'], { NO_COLOR: '1' });
    expect(cli.code).toBe(0);
    const report = JSON.parse(cli.stdout) as { rules: { ruleId: string; accepted: number }[] };
    expect(report.rules.find((r) => r.ruleId === 'warfarin-nsaid')?.accepted).toBe(acceptedBefore + 1);
  }, 60_000);

  it('SIGKILL of one instance under load: every answered call of both is in the database, and the other keeps answering', async () => {
    const answered: string[] = [];
    const feedbackCards: string[] = [];
    const fromB: number[] = [];
    let cutOff = 0;
    const stop = { a: false, all: false };
    const loop = async (instance: Started, isA: boolean) => {
      while (!stop.all && !(isA && stop.a)) {
        const hookInstance = crypto.randomUUID();
        let reachedA = isA;
        try {
          const { res } = await hookCall(instance, hookInstance);
          if (res.status !== 200) throw new Error(`answered ${res.status}: ${await res.text()}`);
          const { cards } = (await res.json()) as { cards: { uuid: string }[] };
          answered.push(hookInstance);
          // Feedback on that card, sent to the other instance half of the time.
          const path = `${HOOK}/feedback`;
          const to = Math.random() < 0.5 || (!isA && stop.a) ? instance : isA ? b : a;
          reachedA ||= to === a;
          const fb = await post(to, path, { feedback: [{ card: cards[0]!.uuid, outcome: 'overridden', outcomeTimestamp: '2026-11-26T10:00:00Z' }] }, await token(path));
          if (fb.status !== 200) throw new Error(`feedback answered ${fb.status}: ${await fb.text()}`);
          await fb.json();
          feedbackCards.push(cards[0]!.uuid);
          if (!isA) fromB.push(Date.now());
        } catch (error) {
          // Only what involved A after its kill may fail.
          if (!(reachedA && stop.a)) throw error;
          cutOff++;
        }
      }
    };
    const running = Promise.all([...[1, 2, 3, 4].map(() => loop(a, true)), ...[1, 2, 3, 4].map(() => loop(b, false))]);
    await new Promise((r) => setTimeout(r, 1500));
    stop.a = true;
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await a.stop();
    // B goes on answering after A is gone.
    await new Promise((r) => setTimeout(r, 1500));
    stop.all = true;
    await running;
    expect(cutOff).toBeGreaterThan(0);
    expect(fromB.filter((t) => t > killedAt).length).toBeGreaterThan(0);
    const { rows } = await reader.query('select hook_instance from invocations where status = 200 and hook_instance = any($1)', [answered]);
    const stored = new Set(rows.map((r: { hook_instance: string }) => r.hook_instance));
    expect(answered.filter((h) => !stored.has(h))).toEqual([]);
    // Every feedback item answered 200 is stored and tied to its card's invocation.
    const { rows: linked } = await reader.query('select card_uuid from feedback where invocation_id is not null and card_uuid = any($1)', [feedbackCards]);
    const withFeedback = new Set(linked.map((r: { card_uuid: string }) => r.card_uuid));
    expect(feedbackCards.filter((c) => !withFeedback.has(c))).toEqual([]);
    console.log(`postgres instances: A killed under load; ${answered.length} calls and ${feedbackCards.length} feedback items answered 200 by both, all stored; ${fromB.filter((t) => t > killedAt).length} answered by B after the kill; ${cutOff} cut off`);
  }, 60_000);
});
