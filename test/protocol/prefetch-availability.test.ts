/**
 * Prefetch availability per key and per rule, against a real FHIR server process that refuses
 * some types (404, as servers that do not support a type answer): the rules that do not need the
 * missing data still answer, those that do are named in the org.cds-rules.degraded extension,
 * the call is recorded and counted as degraded; a key the author marks `fail` gives 412, as does
 * a call where no rule can run; `empty` runs the rules on "none on record" and their cards say
 * what was not checked. An OperationOutcome in place of a prefetch value is not data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEGRADED_EXTENSION } from '../../src/protocol/degraded.ts';
import { compileInline, post, type TestApp, testApp } from '../support/app.ts';
import { type Started, startFhirServer } from '../support/processes.ts';
import { bundle, medicationRequest } from '../support/requests.ts';

/** Cher186 Crooks415 (Synthea): an active hydrocodone/acetaminophen prescription. */
const CHER = '1818afec-ef81-4c14-9ecf-0541f2ee9b22';

let noObservations: Started;
let t: TestApp;
beforeAll(async () => {
  [noObservations, t] = await Promise.all([startFhirServer({ FHIR_REFUSE_TYPES: 'Observation' }), testApp({ config: { prefetchTimeoutMs: 15_000 } })]);
});
afterAll(async () => {
  await t.close();
  await noObservations.stop();
});

const alprazolamOrder = (fhirServer: string) => ({
  hook: 'order-sign',
  hookInstance: crypto.randomUUID(),
  fhirServer,
  context: {
    userId: 'Practitioner/example',
    patientId: CHER,
    draftOrders: bundle('collection', [medicationRequest('draft-alprazolam', '308048', 'alprazolam 0.5 MG Oral Tablet')]),
  },
});

describe('a FHIR server that refuses a type', () => {
  it('still fires the rules that do not need it, names the skipped ones, records and counts the call as degraded', async () => {
    const request = alprazolamOrder(`http://127.0.0.1:${noObservations.port}`);
    const res = await post(t.app, '/cds-services/drug-interactions', request);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { cards: { summary: string }[]; extension: Record<string, unknown> };
    expect(body.cards.map((c) => c.summary)).toEqual([
      'Avoid prescribing Acetaminophen 300 MG / HYDROcodone Bitartrate 5 MG Oral Tablet with alprazolam 0.5 MG Oral Tablet',
    ]);
    expect(body.extension).toEqual({
      [DEGRADED_EXTENSION]: {
        skipped: [
          { rule: 'potassium-sparing-raas-hyperkalemia', reason: 'prefetch-unavailable', prefetch: ['potassium'] },
          { rule: 'qt-drug-qtc-over-500', reason: 'prefetch-unavailable', prefetch: ['qtc'] },
        ],
        failed: [],
      },
    });

    const [row] = await t.rows('select * from invocations where hook_instance = ?', request.hookInstance);
    expect(row).toMatchObject({ status: 200, outcome: 'degraded' });
    expect(JSON.parse(row!.prefetch_unavailable).sort()).toEqual(['potassium', 'qtc']);
    expect(JSON.parse(row!.rules_skipped)).toEqual(['potassium-sparing-raas-hyperkalemia', 'qt-drug-qtc-over-500']);
    expect(JSON.parse(row!.degraded_reasons)).toEqual(body.extension[DEGRADED_EXTENSION]);
    expect(JSON.parse(row!.prefetch_fetched).sort()).toEqual(['activeMeds', 'conditions', 'patient']);

    const log = t.logs.find((l) => l.includes('"prefetch unavailable"') && l.includes(request.hookInstance))!;
    const logged = JSON.parse(log) as { keys: string[]; skipped: string[] };
    expect(logged.keys.sort()).toEqual(['potassium could not be fetched: FHIR server answered 404', 'qtc could not be fetched: FHIR server answered 404']);
    expect(logged.skipped).toEqual(['potassium-sparing-raas-hyperkalemia', 'qt-drug-qtc-over-500']);
    const health = (await (await t.app.request('/health')).json()) as { calls: { degraded: number; degradedBy: Record<string, number> } };
    expect(health.calls.degraded).toBeGreaterThanOrEqual(1);
    expect(health.calls.degradedBy['prefetch-unavailable']).toBeGreaterThanOrEqual(1);
  });
});

const service = (extra = '') => ({
  path: 'rules/demo/service.yaml',
  text: `hook: patient-view\ntitle: Demo\ndescription: Demo\nprefetch:\n  patient: Patient/{{context.patientId}}\n  labs: Observation?patient={{context.patientId}}\n${extra}`,
});
const rule = (id: string, when: string) => ({
  path: `rules/demo/${id}.yaml`,
  text: [`id: ${id}`, `title: ${id}`, 'references: [{ label: Test, url: "https://example.org/test" }]', `when: ${JSON.stringify(when)}`, 'card: hello'].join('\n'),
});
const card = { path: 'cards/hello.yaml', text: 'summary: Hello\ndetail: Body.\nindicator: info\nsource:\n  label: Demo\n' };
const patientView = (fhirServer?: string, prefetch: Record<string, unknown> = {}) => ({
  hook: 'patient-view',
  hookInstance: crypto.randomUUID(),
  ...(fhirServer ? { fhirServer } : {}),
  context: { userId: 'Practitioner/u', patientId: CHER },
  prefetch: { patient: { resourceType: 'Patient', id: CHER }, ...prefetch },
});

describe('ifUnavailable', () => {
  const content = (extra: string) => compileInline([service(extra), rule('needs-labs', '%labs.entry.empty()'), rule('needs-patient', '%patient.exists()'), card]);

  it('fail: the call is answered 412 naming the key', async () => {
    const app = await testApp({ ruleSet: content('ifUnavailable:\n  labs: fail\n'), config: { prefetchTimeoutMs: 15_000 } });
    const res = await post(app.app, '/cds-services/demo', patientView(`http://127.0.0.1:${noObservations.port}`));
    expect(res.status).toBe(412);
    const outcome = (await res.json()) as { issue: { expression: string[]; diagnostics: string; code: string }[] };
    expect(outcome.issue).toEqual([
      { severity: 'error', code: 'incomplete', expression: ['prefetch.labs'], diagnostics: 'prefetch.labs: could not be fetched: FHIR server answered 404, and is required by this service' },
    ]);
    await app.close();
  });

  it('empty: the rules run on "none on record" and the card says what was not checked', async () => {
    const app = await testApp({ ruleSet: content('ifUnavailable:\n  labs: empty\n'), config: { prefetchTimeoutMs: 15_000 } });
    const res = await post(app.app, '/cds-services/demo', patientView(`http://127.0.0.1:${noObservations.port}`));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { cards: { summary: string; detail: string }[]; extension?: unknown };
    expect(body.extension).toBeUndefined();
    expect(body.cards.map((c) => c.detail).sort()).toEqual(['Body.', 'Body.\n\nNot checked: labs (the EHR could not provide it; treated as none on record).']);
    await app.close();
  });

  it('skip (default), with no fhirServer to ask: an OperationOutcome sent in place of the value is not data', async () => {
    const app = await testApp({ ruleSet: content('') });
    const res = await post(app.app, '/cds-services/demo', patientView(undefined, { labs: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden' }] } }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { cards: unknown[]; extension: Record<string, unknown> };
    expect(body.cards).toHaveLength(1);
    expect(body.extension[DEGRADED_EXTENSION]).toEqual({ skipped: [{ rule: 'needs-labs', reason: 'prefetch-unavailable', prefetch: ['labs'] }], failed: [] });
    await app.close();
  });

  it('412 when no rule is left to run', async () => {
    const app = await testApp({ ruleSet: compileInline([service(), rule('needs-labs', '%labs.entry.empty()'), card]) });
    const res = await post(app.app, '/cds-services/demo', patientView());
    expect(res.status).toBe(412);
    const outcome = (await res.json()) as { issue: { expression: string[]; diagnostics: string }[] };
    expect(outcome.issue.map((i) => i.diagnostics)).toEqual([
      'prefetch.labs: was not prefetched and the request names no fhirServer to fetch it from, and is needed by every rule of this service',
    ]);
    await app.close();
  });
});

describe('every rule of a call fails', () => {
  it('the answer says so in the degraded extension, not a bare {"cards":[]}', async () => {
    const app = await testApp({ ruleSet: compileInline([service(), rule('age-a', '%patient.birthDate.ageInYears() > 1'), rule('age-b', '%patient.birthDate.ageInYears() < 100'), card]) });
    const res = await post(app.app, '/cds-services/demo', patientView(undefined, { patient: { resourceType: 'Patient', id: CHER, birthDate: 'not-a-date' }, labs: bundle('searchset', []) }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { cards: unknown[]; extension: Record<string, { failed: { rule: string; error: string }[] }> };
    expect(body.cards).toEqual([]);
    expect(body.extension[DEGRADED_EXTENSION]!.failed.map((f) => f.rule)).toEqual(['age-a', 'age-b']);
    expect(body.extension[DEGRADED_EXTENSION]!.failed.every((f) => typeof f.error === 'string' && !f.error.includes('not-a-date'))).toBe(true);
    await app.close();
  });
});
