/**
 * Medications given by reference, against a real FHIR server process: a prefetch template may
 * `_include=MedicationRequest:medication` and the included Medications are used (the server
 * here refuses direct Medication reads, so nothing else could have found them); without the
 * include, the referenced Medications are read from the server in one batched search.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileInline, post, type TestApp, testApp } from '../support/app.ts';
import { type Started, startFhirServer } from '../support/processes.ts';

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const PATIENT = 'med-ref-1';

const record = {
  resourceType: 'Bundle',
  type: 'collection',
  entry: [
    { resource: { resourceType: 'Patient', id: PATIENT } },
    { resource: { resourceType: 'Medication', id: 'warfarin-5mg', code: { coding: [{ system: RXNORM, code: '855332', display: 'warfarin sodium 5 MG Oral Tablet' }] } } },
    { resource: { resourceType: 'Medication', id: 'warfarin-2mg', code: { coding: [{ system: RXNORM, code: '855302', display: 'Warfarin Sodium 2 MG Oral Tablet' }] } } },
    ...['warfarin-5mg', 'warfarin-2mg'].map((med, i) => ({
      resource: { resourceType: 'MedicationRequest', id: `mr-${i}`, status: 'active', intent: 'order', subject: { reference: `Patient/${PATIENT}` }, medicationReference: { reference: `Medication/${med}` } },
    })),
  ],
};

const content = (template: string) =>
  compileInline([
    { path: 'rules/meds/service.yaml', text: `hook: patient-view\ntitle: Meds\ndescription: Meds\nprefetch:\n  meds: ${template}\n` },
    {
      path: 'rules/meds/on-warfarin.yaml',
      text: [
        'id: on-warfarin',
        'title: On warfarin',
        'references: [{ label: Test, url: "https://example.org/test" }]',
        `when: "%meds.entry.resource.ofType(MedicationRequest).where(medication.coding.inValueSet('warfarin')).count() = 2"`,
        'card: hello',
        'with:',
        `  drugs: "%meds.entry.resource.ofType(MedicationRequest).medication.coding.display.join(' and ')"`,
      ].join('\n'),
    },
    { path: 'cards/hello.yaml', text: 'summary: "On {{drugs}}"\nindicator: info\nsource:\n  label: Test\n' },
    {
      path: 'rules/valuesets/warfarin.json',
      text: JSON.stringify({ resourceType: 'ValueSet', id: 'warfarin', expansion: { contains: [{ system: RXNORM, code: '855332' }, { system: RXNORM, code: '855302' }] } }),
    },
  ]);

let dir: string;
let noMedicationReads: Started;
let fhir: Started;
let t: TestApp;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cds-medref-'));
  const file = join(dir, 'record.json');
  writeFileSync(file, JSON.stringify(record));
  [noMedicationReads, fhir, t] = await Promise.all([
    startFhirServer({ FHIR_SYNTHEA: 'false', FHIR_BUNDLES: file, FHIR_REFUSE_TYPES: 'Medication' }),
    startFhirServer({ FHIR_SYNTHEA: 'false', FHIR_BUNDLES: file }),
    testApp(),
  ]);
});
afterAll(async () => {
  await t.close();
  await Promise.all([noMedicationReads.stop(), fhir.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const call = async (ruleSet: ReturnType<typeof content>, server: Started) => {
  const app = await testApp({ ruleSet, config: { prefetchTimeoutMs: 15_000 } });
  const res = await post(app.app, '/cds-services/meds', {
    hook: 'patient-view',
    hookInstance: crypto.randomUUID(),
    fhirServer: `http://127.0.0.1:${server.port}`,
    context: { userId: 'Practitioner/u', patientId: PATIENT },
  });
  const body = (await res.json()) as { cards: { summary: string }[] };
  await app.close();
  return { status: res.status, summaries: body.cards.map((c) => c.summary) };
};

describe('medication references', () => {
  it('uses the Medications a prefetch search _includes', async () => {
    const ruleSet = content('MedicationRequest?patient={{context.patientId}}&_include=MedicationRequest:medication');
    expect(await call(ruleSet, noMedicationReads)).toEqual({ status: 200, summaries: ['On warfarin sodium 5 MG Oral Tablet and Warfarin Sodium 2 MG Oral Tablet'] });
  });

  it('without the include, reads them from the FHIR server', async () => {
    const ruleSet = content('MedicationRequest?patient={{context.patientId}}');
    expect(await call(ruleSet, fhir)).toEqual({ status: 200, summaries: ['On warfarin sodium 5 MG Oral Tablet and Warfarin Sodium 2 MG Oral Tablet'] });
    // Where the server will not give them, the rule sees no code (and stays silent).
    expect(await call(ruleSet, noMedicationReads)).toEqual({ status: 200, summaries: [] });
  });
});
