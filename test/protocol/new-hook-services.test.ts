/**
 * The two shipped services on hooks beyond the original three, called as an EHR calls them:
 * discharge-medication-review (encounter-discharge) and visit-preparation (appointment-book),
 * each with a patient that fires and one that must stay quiet, prefetch sent by the client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, type TestApp, testApp } from '../support/app.ts';
import { bundle } from '../support/requests.ts';

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const NOW = new Date('2026-03-10T09:00:00Z');
const med = (id: string, code: string, display: string) => ({
  resourceType: 'MedicationRequest',
  id,
  status: 'active',
  intent: 'order',
  subject: { reference: 'Patient/p1' },
  medicationCodeableConcept: { coding: [{ system: RXNORM, code, display }] },
});
const patient = { resourceType: 'Patient', id: 'p1', birthDate: '1960-05-01', gender: 'female' };

let t: TestApp;
beforeAll(async () => {
  t = await testApp({ now: () => NOW });
});
afterAll(() => t.close());

type Body = { cards: { summary: string; indicator: string; suggestions?: { label: string; actions: { resource: Record<string, unknown> }[] }[] }[] };

describe('discharge-medication-review at encounter-discharge', () => {
  const discharge = (meds: unknown[], context: Record<string, unknown> = {}) =>
    post(t.app, '/cds-services/discharge-medication-review', {
      hook: 'encounter-discharge',
      hookInstance: crypto.randomUUID(),
      context: { userId: 'PractitionerRole/hospitalist', patientId: 'p1', encounterId: 'enc-42', ...context },
      prefetch: { patient, activeMeds: bundle('searchset', meds) },
    });

  it('warns about going home on an opioid and a benzodiazepine, and offers naloxone for this encounter', async () => {
    const res = await discharge([med('m1', '1049621', 'oxycodone hydrochloride 5 MG Oral Tablet'), med('m2', '308048', 'alprazolam 0.5 MG Oral Tablet')]);
    expect(res.status).toBe(200);
    const { cards } = (await res.json()) as Body;
    expect(cards.map((c) => [c.indicator, c.summary])).toEqual([['warning', 'Going home on oxycodone hydrochloride 5 MG Oral Tablet with alprazolam 0.5 MG Oral Tablet']]);
    const naloxone = cards[0]!.suggestions![0]!;
    expect(naloxone.label).toBe('Prescribe naloxone nasal spray');
    expect(naloxone.actions[0]!.resource.encounter).toEqual({ reference: 'Encounter/enc-42' });
  });

  it('stays quiet for an opioid alone', async () => {
    const res = await discharge([med('m1', '1049621', 'oxycodone hydrochloride 5 MG Oral Tablet')]);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Body).cards).toEqual([]);
  });

  it('refuses a discharge call without the encounter being ended (400 naming context.encounterId)', async () => {
    const { encounterId: _, ...context } = { userId: 'PractitionerRole/hospitalist', patientId: 'p1', encounterId: 'x' };
    const res = await post(t.app, '/cds-services/discharge-medication-review', { hook: 'encounter-discharge', hookInstance: crypto.randomUUID(), context });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { issue: { expression: string[] }[] }).issue[0]!.expression).toEqual(['context.encounterId']);
  });
});

describe('visit-preparation at appointment-book', () => {
  const diabetes = {
    resourceType: 'Condition',
    id: 'c1',
    subject: { reference: 'Patient/p1' },
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    // 44054006 Diabetes mellitus type 2 (disorder)
    code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] },
  };
  const a1c = (date: string) => ({
    resourceType: 'Observation',
    id: `a1c-${date}`,
    status: 'final',
    subject: { reference: 'Patient/p1' },
    code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
    effectiveDateTime: date,
    valueQuantity: { value: 7.1, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
  });
  const book = (start: string, observations: unknown[]) =>
    post(t.app, '/cds-services/visit-preparation', {
      hook: 'appointment-book',
      hookInstance: crypto.randomUUID(),
      context: {
        userId: 'Patient/p1',
        patientId: 'p1',
        appointments: bundle('collection', [{ resourceType: 'Appointment', id: 'apt-1', status: 'proposed', start, participant: [{ actor: { reference: 'Patient/p1' }, status: 'accepted' }] }]),
      },
      prefetch: { conditions: bundle('searchset', [diabetes]), a1c: bundle('searchset', observations) },
    });

  it('asks for an HbA1c before a visit by which the last one is over 6 months old', async () => {
    // Last HbA1c 2025-10-01; the visit 2026-05-20 is more than 6 months later.
    const res = await book('2026-05-20T14:00:00Z', [a1c('2025-10-01')]);
    expect(res.status).toBe(200);
    const { cards } = (await res.json()) as Body;
    expect(cards.map((c) => c.summary)).toEqual(['Order an HbA1c before the visit on 2026-05-20']);
    expect(cards[0]!.suggestions![0]!.actions[0]!.resource.occurrenceDateTime).toBe('2026-05-20');
  });

  it('stays quiet when the last HbA1c will still be current at the visit', async () => {
    const res = await book('2026-03-20T14:00:00Z', [a1c('2025-10-01')]);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Body).cards).toEqual([]);
  });
});
