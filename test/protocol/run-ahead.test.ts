/**
 * Run-ahead: an order-select call's prefetch results are reused by the order-sign call that
 * follows for the same client, FHIR server, patient, user and unchanged draft orders, within the
 * window; anything that differs fetches again. Against a real FHIR server process (Synthea);
 * what was fetched is read back from the stored invocation row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileInline, post, type TestApp, testApp } from '../support/app.ts';
import { type Started, startFhirServer } from '../support/processes.ts';
import { bundle, medicationRequest } from '../support/requests.ts';

/** Cher186 Crooks415 (Synthea): an active hydrocodone/acetaminophen prescription. */
const CHER = '1818afec-ef81-4c14-9ecf-0541f2ee9b22';
/** Adolfo777 Braun514 (Synthea): no active prescription. */
const ADOLFO = '321bd4b5-e591-4f69-b081-e1bf98cda29f';
const WINDOW = 60_000;

const order = (dose = 1) => bundle('collection', [{ ...medicationRequest('draft-alprazolam', '308048', 'alprazolam 0.5 MG Oral Tablet'), dosageInstruction: [{ doseAndRate: [{ doseQuantity: { value: dose } }] }] }]);
const meds = 'MedicationRequest?patient={{context.patientId}}&status=active';
const service = (id: string, hook: string) => [
  { path: `rules/${id}/service.yaml`, text: `hook: ${hook}\ntitle: ${id}\ndescription: d\nprefetch:\n  meds: ${meds}\n` },
  { path: `rules/${id}/r.yaml`, text: `id: ${id}-r\ntitle: r\nreferences: [{ label: T, url: "https://example.org" }]\nwhen: "%meds.entry.resource.ofType(MedicationRequest).exists()"\ncard: on-meds\n` },
];

let fhir: Started;
let other: Started;
let t: TestApp;
let clock = Date.parse('2026-06-01T10:00:00Z');
beforeAll(async () => {
  [fhir, other, t] = await Promise.all([
    startFhirServer(),
    startFhirServer(),
    testApp({
      now: () => new Date(clock),
      config: { prefetchTimeoutMs: 15_000, runAheadWindowMs: WINDOW },
      ruleSet: compileInline([{ path: 'cards/on-meds.yaml', text: 'summary: Has active medications\nindicator: info\nsource:\n  label: Test\n' }, ...service('select', 'order-select'), ...service('sign', 'order-sign')]),
    }),
  ]);
});
afterAll(async () => {
  await t.close();
  await Promise.all([fhir.stop(), other.stop()]);
});

interface Call {
  patientId?: string;
  userId?: string;
  orders?: ReturnType<typeof order>;
  server?: Started;
  scope?: string;
  prefetch?: Record<string, unknown>;
}
const body = (hook: string, c: Call) => ({
  hook,
  hookInstance: crypto.randomUUID(),
  fhirServer: `http://127.0.0.1:${(c.server ?? fhir).port}`,
  ...(c.scope ? { fhirAuthorization: { access_token: 'x', token_type: 'Bearer', scope: c.scope, subject: 'cds' } } : {}),
  context: {
    userId: c.userId ?? 'Practitioner/dr-a',
    patientId: c.patientId ?? CHER,
    ...(hook === 'order-select' ? { selections: ['MedicationRequest/draft-alprazolam'] } : {}),
    draftOrders: c.orders ?? order(),
  },
  ...(c.prefetch ? { prefetch: c.prefetch } : {}),
});
async function call(hook: 'order-select' | 'order-sign', c: Call = {}) {
  const request = body(hook, c);
  const res = await post(t.app, `/cds-services/${hook === 'order-select' ? 'select' : 'sign'}`, request);
  expect(res.status).toBe(200);
  const json = (await res.json()) as { cards: { summary: string }[]; extension?: Record<string, { skipped: unknown[] }> };
  const [row] = await t.rows<{ prefetch_fetched: string }>('select prefetch_fetched from invocations where hook_instance = ?', request.hookInstance);
  return { cards: json.cards.map((x) => x.summary), fetched: JSON.parse(row!.prefetch_fetched) as string[], skipped: json.extension?.['org.cds-rules.degraded']?.skipped ?? [] };
}
/** An order-select, then `later` ms on, an order-sign as `sign` says. */
async function selectThenSign(sign: Call = {}, later = 5_000, select: Call = {}) {
  clock += 10 * WINDOW; // far from any earlier test's entries
  const selected = await call('order-select', select);
  expect(selected.fetched).toEqual(['meds']);
  clock += later;
  return call('order-sign', sign);
}

describe('run-ahead: order-select results reused at order-sign', () => {
  it('hit: same patient, user, orders and server within the window; nothing fetched, the same card', async () => {
    const signed = await selectThenSign();
    expect(signed).toEqual({ cards: ['Has active medications'], fetched: [], skipped: [] });
  });

  it('a refused order-select keeps nothing: a sent value too deep is 400 before run-ahead copies it, and the order-sign fetches its own', async () => {
    clock += 10 * WINDOW;
    // Built as text: JSON.stringify cannot write 10,000 levels (nor could run-ahead's structuredClone copy them).
    const deep = `${'{"a":['.repeat(5000)}1${']}'.repeat(5000)}`;
    const text = JSON.stringify(body('order-select', { prefetch: { meds: '__deep__' } })).replace('"__deep__"', deep);
    const refused = await post(t.app, '/cds-services/select', text);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { issue: { diagnostics: string }[] }).issue[0]!.diagnostics).toBe('the request body nests deeper than 64 levels');
    clock += 1_000;
    expect(await call('order-sign')).toEqual({ cards: ['Has active medications'], fetched: ['meds'], skipped: [] });
  });

  it('hit at the edge of the window (exactly 60 s later)', async () => {
    expect((await selectThenSign({}, WINDOW)).fetched).toEqual([]);
  });

  it('miss: past the window (60.001 s later), fetched again', async () => {
    expect(await selectThenSign({}, WINDOW + 1)).toEqual({ cards: ['Has active medications'], fetched: ['meds'], skipped: [] });
  });

  it('miss: another patient, whose own data is fetched (and gives no card)', async () => {
    expect(await selectThenSign({ patientId: ADOLFO })).toEqual({ cards: [], fetched: ['meds'], skipped: [] });
  });

  it('miss: another user', async () => {
    expect((await selectThenSign({ userId: 'Practitioner/dr-b' })).fetched).toEqual(['meds']);
  });

  it('miss: the orders changed between select and sign (a different dose)', async () => {
    expect((await selectThenSign({ orders: order(2) })).fetched).toEqual(['meds']);
  });

  it('miss: another FHIR server', async () => {
    expect((await selectThenSign({ server: other })).fetched).toEqual(['meds']);
  });

  it('miss: an order-sign with no order-select before it', async () => {
    clock += 10 * WINDOW;
    expect((await call('order-sign')).fetched).toEqual(['meds']);
  });

  it('no reuse of what the sign-time scopes do not grant: the key is unavailable (412, its only rule needs it)', async () => {
    clock += 10 * WINDOW;
    await call('order-select');
    clock += 1_000;
    const res = await post(t.app, '/cds-services/sign', body('order-sign', { scope: 'patient/Patient.read' }));
    expect(res.status).toBe(412);
    const outcome = (await res.json()) as { issue: { diagnostics: string; expression: string[] }[] };
    expect(outcome.issue.map((i) => [i.expression[0], i.diagnostics])).toEqual([
      ['prefetch.meds', expect.stringContaining('the granted scopes do not cover MedicationRequest (search)')],
    ]);
  });

  it('what the order-sign client sends itself wins over a kept result', async () => {
    const signed = await selectThenSign({ prefetch: { meds: bundle('searchset', []) } });
    expect(signed).toEqual({ cards: [], fetched: [], skipped: [] });
  });

  it('a second order-select for other orders replaces the kept results: sign with the first orders misses', async () => {
    clock += 10 * WINDOW;
    await call('order-select', { orders: order(1) });
    await call('order-select', { orders: order(3) });
    clock += 1_000;
    expect((await call('order-sign', { orders: order(1) })).fetched).toEqual(['meds']);
  });
});
