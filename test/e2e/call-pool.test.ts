/**
 * The evaluation worker pool (src/node/call-pool.ts) with real worker threads: a call whose one
 * expression would run for minutes is answered at its hard deadline with the cards of the rules
 * that finished and the cut ones named,
 * its worker is terminated and replaced, and the next call is evaluated as usual.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ServiceConfig } from '../../src/config.ts';
import type { Observation } from '../../src/node/call-messages.ts';
import { CallPool } from '../../src/node/call-pool.ts';
import { HttpError } from '../../src/protocol/errors.ts';
import { startInvocationWriter } from '../../src/node/invocation-writer.ts';
import { openSqliteStore } from '../../src/node/sqlite.ts';
import { compileContent, type RuleSet } from '../../src/rules/compile.ts';
import type { SourceFile } from '../../src/rules/source.ts';
import type { Store } from '../../src/store/store.ts';
import { type Started, startFhirServerWith } from '../support/processes.ts';

const files: SourceFile[] = [
  { path: 'rules/slow/service.yaml', text: 'hook: patient-view\ntitle: Slow\ndescription: One quick rule, one that can be made to run for minutes\nprefetch:\n  obs: Observation?patient={{context.patientId}}\n' },
  {
    path: 'rules/slow/early.yaml',
    text: 'id: early\ntitle: Early\nreferences: [{ label: Test, url: "https://example.org" }]\nwhen: "%obs.entry.exists()"\ncard: quick\n',
  },
  {
    // Cubic in the number of observations: 400 of them are 64 million nodes, minutes of work.
    path: 'rules/slow/stuck.yaml',
    text: 'id: stuck\ntitle: Stuck\nreferences: [{ label: Test, url: "https://example.org" }]\nwhen: "%obs.entry.select(%obs.entry.select(%obs.entry)).count() > 0"\ncard: quick\n',
  },
  { path: 'cards/quick.yaml', text: 'summary: "Observations on file"\nindicator: info\nsource:\n  label: Test\n' },
];
const compiled = compileContent(files);
const ruleSet = compiled.ruleSet as RuleSet;
const service = ruleSet.services.get('slow')!;

const body = (observations: number) =>
  new TextEncoder().encode(
    JSON.stringify({
      hook: 'patient-view',
      hookInstance: crypto.randomUUID(),
      context: { userId: 'Practitioner/example', patientId: 'p1' },
      prefetch: {
        obs: {
          resourceType: 'Bundle',
          type: 'searchset',
          entry: Array.from({ length: observations }, (_, i) => ({ resource: { resourceType: 'Observation', id: `o${i}`, status: 'final', code: { text: 'x' } } })),
        },
      },
    }),
  ).buffer as ArrayBuffer;

const config: ServiceConfig = { ...DEFAULT_CONFIG, evaluationBudgetMs: 100 };
const log = { debug() {}, info() {}, warn() {}, error() {} };
let pool: CallPool;
beforeAll(async () => {
  pool = new CallPool({ size: 1, config, marginMs: 1000, log, filesOf: (r) => (r === ruleSet ? files : undefined) });
  await pool.start(ruleSet);
});
afterAll(() => pool.close());

describe('evaluation workers with a hard deadline', () => {
  it('a call with a quick input is evaluated in the worker: cards, and the row to record', async () => {
    const { result, records } = await pool.run(ruleSet, service, body(3), 'application/json', {});
    expect(result.status).toBe(200);
    expect(JSON.parse(result.json)).toMatchObject({ cards: [{ summary: 'Observations on file' }, { summary: 'Observations on file' }] });
    expect(records).toHaveLength(1);
    expect(records[0]![0]).toMatchObject({ serviceId: 'slow', status: 200, outcome: 'ok', rulesFired: ['early', 'stuck'] });
    expect(records[0]![1]).toHaveLength(2);
  });

  it('a call stuck in one expression is answered at budget + margin (not minutes later) with the cards of the rules that finished and the cut one named, and recorded degraded', async () => {
    const started = performance.now();
    const request = body(400);
    const hookInstance = JSON.parse(new TextDecoder().decode(request)).hookInstance;
    const { result, records } = await pool.run(ruleSet, service, request, 'application/json', {});
    const ms = performance.now() - started;
    expect(result.status).toBe(200);
    expect(JSON.parse(result.json)).toEqual({
      cards: [expect.objectContaining({ summary: 'Observations on file', indicator: 'info' })],
      extension: { 'org.cds-rules.degraded': { skipped: [{ rule: 'stuck', reason: 'deadline' }], failed: [] } },
    });
    // Budget 100 + margin 1000, with room for a loaded machine; the expression alone takes minutes.
    expect(ms).toBeLessThan(5000);
    expect(pool.replaced).toBe(1);
    expect(records).toEqual([
      [
        expect.objectContaining({ hookInstance, status: 200, outcome: 'degraded', rulesEvaluated: ['early'], rulesFired: ['early'], rulesSkipped: ['stuck'], cardCount: 1 }),
        [expect.objectContaining({ ruleId: 'early', cardUuid: (JSON.parse(result.json) as { cards: { uuid: string }[] }).cards[0]!.uuid })],
        // The rules that ran, whose versions the main thread records (it holds the content).
        ['early'],
      ],
    ]);
  });

  it('a cut call is stored with the versions of the rules that ran, and counted like any other call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'call-pool-'));
    const database = openSqliteStore(join(dir, 'cds.sqlite'));
    // A pool of its own with a wider margin: on a loaded machine the quick rule must be done
    // (and the body parsed) well before the cut, or there is nothing to record but a 503.
    const counted: Observation[] = [];
    const roomy = new CallPool({ size: 1, config, marginMs: 3000, log, filesOf: (r) => (r === ruleSet ? files : undefined), observe: (o) => counted.push(o) });
    await roomy.start(ruleSet);
    try {
      const request = new Request('http://service/cds-services/slow', { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(400) });
      const answer = await roomy.call(ruleSet, service, request, {}, database.store);
      expect(answer.status).toBe(200);
      const early = service.rules.find((r) => r.id === 'early')!;
      expect(database.sqlite.prepare('select version, rule_id as ruleId from rule_versions').all()).toEqual([{ version: early.version, ruleId: 'early' }]);
      expect(database.sqlite.prepare('select rule_id as ruleId, rule_version as ruleVersion, silent from invocation_cards').all()).toEqual([{ ruleId: 'early', ruleVersion: early.version, silent: 0 }]);
      expect(database.sqlite.prepare('select outcome, service_version as serviceVersion from invocations').all()).toEqual([{ outcome: 'degraded', serviceVersion: service.version }]);
      expect(counted).toEqual([
        { kind: 'answered', result: { skipped: [{ rule: 'stuck', reason: 'deadline' }], failed: [] } },
        {
          kind: 'metric',
          figures: expect.objectContaining({ service: 'slow', status: 200, outcome: 'degraded', cards: [{ rule: 'early', version: early.version, silent: false }], skipped: [{ rule: 'stuck', reason: 'deadline' }] }),
        },
      ]);
    } finally {
      await roomy.close();
      database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the terminated worker is replaced: the next call is evaluated as usual', async () => {
    const { result } = await pool.run(ruleSet, service, body(2), 'application/json', {});
    expect(result.status).toBe(200);
    expect((JSON.parse(result.json) as { cards: unknown[] }).cards).toHaveLength(2);
  });

  it('a body that is not JSON is answered 400 by the worker, as on the main thread', async () => {
    const { result, records } = await pool.run(ruleSet, service, new TextEncoder().encode('{not json').buffer as ArrayBuffer, 'application/json', {});
    expect(result.status).toBe(400);
    expect(records[0]![0]).toMatchObject({ status: 400, outcome: 'rejected' });
  });
});

describe('a call that goes to the FHIR server', () => {
  let fhir: Started;
  beforeAll(async () => {
    const observation = (id: string) => ({ resourceType: 'Observation', id, status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' } });
    // 1.5 s for each answer, against a budget + margin of 0.4 s.
    fhir = await startFhirServerWith([{ resourceType: 'Patient', id: 'p1' }, observation('o1'), observation('o2'), observation('o3')], { FHIR_DELAY_MS: '1500' });
  });
  afterAll(() => fhir.stop());

  it('has the prefetch timeout on top of its budget: a server slower than budget + margin does not get it cut', async () => {
    const pool = new CallPool({ size: 1, config: { ...config, evaluationBudgetMs: 100, prefetchTimeoutMs: 5000, allowPrivateFhirServers: true }, marginMs: 300, log, filesOf: (r) => (r === ruleSet ? files : undefined) });
    await pool.start(ruleSet);
    try {
      const request = { hook: 'patient-view', hookInstance: crypto.randomUUID(), fhirServer: `http://127.0.0.1:${fhir.port}`, context: { userId: 'Practitioner/example', patientId: 'p1' } };
      const started = performance.now();
      const { result } = await pool.run(ruleSet, service, new TextEncoder().encode(JSON.stringify(request)).buffer as ArrayBuffer, 'application/json', {});
      expect(performance.now() - started).toBeGreaterThanOrEqual(1500);
      expect(result.status).toBe(200);
      const answer = JSON.parse(result.json) as { cards: unknown[]; extension?: unknown };
      expect(answer.extension).toBeUndefined();
      // Both rules ran over the three observations the server sent.
      expect(answer.cards).toHaveLength(2);
      expect(pool.replaced).toBe(0);
    } finally {
      await pool.close();
    }
  });
});

describe('a cut call whose finished rules do not fit on the worker\'s board', () => {
  // 300 rules that fire, each card with 1 KB of detail (about 350 KB of cards: the board holds
  // 256 KB, the rest come as messages), then the stuck rule.
  const many: SourceFile[] = [
    { path: 'rules/many/service.yaml', text: 'hook: patient-view\ntitle: Many\ndescription: Many quick rules, then one that runs for minutes\nprefetch:\n  obs: Observation?patient={{context.patientId}}\n' },
    ...Array.from({ length: 300 }, (_, i): SourceFile => ({
      path: `rules/many/r${String(i).padStart(3, '0')}.yaml`,
      text: `id: r${String(i).padStart(3, '0')}\ntitle: Rule ${i}\nreferences: [{ label: Test, url: "https://example.org" }]\nwhen: "%obs.entry.exists()"\ncard: long\n`,
    })),
    { path: 'rules/many/stuck.yaml', text: 'id: stuck\ntitle: Stuck\nreferences: [{ label: Test, url: "https://example.org" }]\nwhen: "%obs.entry.select(%obs.entry.select(%obs.entry)).count() > 0"\ncard: long\n' },
    { path: 'cards/long.yaml', text: `summary: "Observations on file"\ndetail: "${'x'.repeat(1000)}"\nindicator: info\nsource:\n  label: Test\n` },
  ];
  const manySet = compileContent(many).ruleSet as RuleSet;
  const manyService = manySet.services.get('many')!;

  it('answers with every card of the rules that finished, in rule order, and names the cut one', async () => {
    const roomy = new CallPool({ size: 1, config: { ...config, evaluationBudgetMs: 3000 }, marginMs: 1000, log, filesOf: (r) => (r === manySet ? many : undefined) });
    await roomy.start(manySet);
    try {
      const { result, records } = await roomy.run(manySet, manyService, body(400), 'application/json', {});
      const answer = JSON.parse(result.json) as { cards: { summary: string; detail: string }[]; extension: unknown };
      expect(result.status).toBe(200);
      expect(answer.cards).toHaveLength(300);
      expect(answer.cards.every((c) => c.detail.length === 1000)).toBe(true);
      expect(answer.extension).toEqual({ 'org.cds-rules.degraded': { skipped: [{ rule: 'stuck', reason: 'deadline' }], failed: [] } });
      const expected = Array.from({ length: 300 }, (_, i) => `r${String(i).padStart(3, '0')}`);
      expect(records[0]![0].rulesFired).toEqual(expected);
      expect(records[0]![1].map((c) => c.ruleId)).toEqual(expected);
    } finally {
      await roomy.close();
    }
  });
});

describe('evaluation workers with the SQLite invocation writer', () => {
  const request = (observations: number) => new Request('http://service/cds-services/slow', { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(observations) });
  // The rows must go from the worker to the writer, not through this store.
  const unused = { recordInvocation: () => Promise.reject(new Error('recorded through the main thread')) } as unknown as Store;

  it("sends a call's rows (and the rule versions, once) from the worker to the writer, committed before the answer", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'call-pool-writer-'));
    const path = join(dir, 'cds.sqlite');
    const database = openSqliteStore(path);
    const writer = await startInvocationWriter(path, 'FULL');
    const direct = new CallPool({ size: 1, config, marginMs: 1000, log, filesOf: (r) => (r === ruleSet ? files : undefined), writer });
    await direct.start(ruleSet);
    try {
      const answer = await direct.call(ruleSet, service, request(3), {}, unused);
      expect(answer.status).toBe(200);
      const cards = (JSON.parse(answer.json) as { cards: { uuid: string }[] }).cards;
      const count = (table: string) => (database.sqlite.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
      expect(database.sqlite.prepare('select outcome, rules_fired as fired from invocations').all()).toEqual([{ outcome: 'ok', fired: '["early","stuck"]' }]);
      expect((database.sqlite.prepare('select card_uuid as uuid from invocation_cards order by rowid').all() as { uuid: string }[]).map((r) => r.uuid)).toEqual(cards.map((c) => c.uuid));
      expect(database.sqlite.prepare('select rule_id as ruleId from rule_versions order by rule_id').all()).toEqual([{ ruleId: 'early' }, { ruleId: 'stuck' }]);
      const texts = count('content_texts');
      expect(texts).toBeGreaterThan(0);
      await direct.call(ruleSet, service, request(2), {}, unused);
      expect([count('invocations'), count('invocation_cards'), count('rule_versions'), count('content_texts')]).toEqual([2, 4, 2, texts]);
    } finally {
      await direct.close();
      await writer.close();
      database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes an invocation that arrives twice (a worker cut just after it sent its rows) once, and acknowledges both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'call-pool-writer-'));
    const path = join(dir, 'cds.sqlite');
    const database = openSqliteStore(path);
    const writer = await startInvocationWriter(path, 'FULL');
    try {
      const row = {
        id: crypto.randomUUID(), receivedAt: Date.now(), serviceId: 'slow', hook: 'patient-view', client: null, hookInstance: crypto.randomUUID(), patientId: 'p1',
        userId: null, encounterId: null, status: 200, outcome: 'ok', rulesEvaluated: ['early'], rulesFired: [], ruleErrors: [], cardCount: 0, prefetchFetched: [], prefetchMs: 0, evaluateMs: 1, totalMs: 2,
      };
      await expect(Promise.all([writer.recordInvocation(row, []), writer.recordInvocation({ ...row, outcome: 'degraded' }, [])])).resolves.toEqual([undefined, undefined]);
      expect(database.sqlite.prepare('select id, outcome from invocations').all()).toEqual([{ id: row.id, outcome: 'ok' }]);
      // A different call is written as usual.
      await writer.recordInvocation({ ...row, id: crypto.randomUUID() }, []);
      expect((database.sqlite.prepare('select count(*) as n from invocations').get() as { n: number }).n).toBe(2);
    } finally {
      await writer.close();
      database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a pool that is closing', () => {
  it('refuses a call still queued at close, and any call after it, with a 503 the client may retry (not an unhandled error)', async () => {
    const closing = new CallPool({ size: 1, config, marginMs: 60_000, log, filesOf: (r) => (r === ruleSet ? files : undefined) });
    await closing.start(ruleSet);
    // The one worker is busy with a stuck call (its deadline is a minute away), so the next waits in the queue.
    const stuck = closing.run(ruleSet, service, body(400), 'application/json', {}).catch((error: unknown) => error);
    const queued = closing.run(ruleSet, service, body(2), 'application/json', {}).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await closing.close();
    for (const refused of [await queued, await closing.run(ruleSet, service, body(2), 'application/json', {}).catch((error: unknown) => error)]) {
      expect(refused).toBeInstanceOf(HttpError);
      expect((refused as HttpError).status).toBe(503);
      expect((refused as HttpError).problems).toEqual([{ message: 'the service is shutting down; try the call again', code: 'transient' }]);
    }
    void stuck;
  });
});
