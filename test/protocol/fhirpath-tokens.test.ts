/**
 * The CDS Hooks 3.0 ballot's prefetch tokens in the FHIR fallback, against a real FHIR server
 * process: `{{today() - N days}}` counts from the call's clock, a path into a context Bundle
 * fills a search with the values it finds, and `_maxresults` caps what a key holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileInline, post, type TestApp, testApp } from '../support/app.ts';
import { type Started, startFhirServerWith } from '../support/processes.ts';
import { bundle } from '../support/requests.ts';

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const observation = (id: string, date: string) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  subject: { reference: 'Patient/p1' },
  // 4548-4 Hemoglobin A1c/Hemoglobin.total in Blood
  code: { coding: [{ system: LOINC, code: '4548-4' }] },
  effectiveDateTime: date,
  valueQuantity: { value: 7, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
});
const rule = (service: string, id: string, when: string) => ({
  path: `rules/${service}/${id}.yaml`,
  text: `id: ${id}\ntitle: ${id}\nreferences: [{ label: T, url: "https://example.org" }]\nwhen: "${when}"\ncard: seen\n`,
});

let fhir: Started;
let t: TestApp;
beforeAll(async () => {
  fhir = await startFhirServerWith([
    { resourceType: 'Patient', id: 'p1' },
    observation('recent', '2024-09-01'),
    observation('old', '2024-01-10'),
    observation('older', '2023-05-10'),
    // 44054006 Diabetes mellitus type 2 (disorder), already on the problem list
    { resourceType: 'Condition', id: 'dm2', subject: { reference: 'Patient/p1' }, code: { coding: [{ system: SNOMED, code: '44054006' }] } },
  ]);
  t = await testApp({
    // 2024-09-13 local: the ballot's own example day.
    now: () => new Date(2024, 8, 13, 12, 0),
    config: { prefetchTimeoutMs: 15_000 },
    ruleSet: compileInline([
      { path: 'cards/seen.yaml', text: 'summary: Seen\nindicator: info\nsource:\n  label: Test\n' },
      {
        path: 'rules/recent/service.yaml',
        text: 'hook: patient-view\ntitle: Recent\ndescription: d\nprefetch:\n  a1cLastQuarter: Observation?patient={{context.patientId}}&code=4548-4&date=gt{{today() - 90 days}}\n  a1cLatest: Observation?patient={{context.patientId}}&code=4548-4&_sort=-date&_maxresults=1\n',
      },
      rule('recent', 'only-recent', "%a1cLastQuarter.entry.count() = 1 and %a1cLastQuarter.entry.resource.id = 'recent'"),
      rule('recent', 'one-latest', "%a1cLatest.entry.count() = 1 and %a1cLatest.entry.resource.id = 'recent'"),
      {
        path: 'rules/duplicate-problem/service.yaml',
        text: 'hook: problem-list-item-create\ntitle: Duplicate problem\ndescription: d\nprefetch:\n  sameCode: Condition?patient={{context.patientId}}&code={{context.conditions.entry.resource.code.coding.code}}\n',
      },
      rule('duplicate-problem', 'already-listed', '%sameCode.entry.exists()'),
    ]),
  });
});
afterAll(async () => {
  await t.close();
  await fhir.stop();
});

const call = async (service: string, hook: string, context: Record<string, unknown>) => {
  const res = await post(t.app, `/cds-services/${service}`, { hook, hookInstance: crypto.randomUUID(), fhirServer: `http://127.0.0.1:${fhir.port}`, context });
  expect(res.status).toBe(200);
  return (await res.json()) as { cards: { summary: string }[]; extension?: unknown };
};

describe('CDS Hooks 3.0 prefetch tokens in the FHIR fallback', () => {
  it('{{today() - 90 days}} counts from the call\'s clock; _maxresults=1 keeps one result', async () => {
    const body = await call('recent', 'patient-view', { userId: 'Practitioner/dr', patientId: 'p1' });
    expect(body.extension).toBeUndefined();
    expect(body.cards).toHaveLength(2);
  });

  it('a path into a context Bundle fills the search with its values: the new problem is already listed', async () => {
    const added = (code: string) => bundle('collection', [{ resourceType: 'Condition', id: 'new', subject: { reference: 'Patient/p1' }, code: { coding: [{ system: SNOMED, code }] } }]);
    expect((await call('duplicate-problem', 'problem-list-item-create', { userId: 'Practitioner/dr', patientId: 'p1', conditions: added('44054006') })).cards).toHaveLength(1);
    // 38341003 Hypertensive disorder: not on the list, no card.
    expect((await call('duplicate-problem', 'problem-list-item-create', { userId: 'Practitioner/dr', patientId: 'p1', conditions: added('38341003') })).cards).toHaveLength(0);
  });
});
