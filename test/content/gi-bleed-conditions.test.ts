/**
 * The warfarin + NSAID bleeding risk factors read the patient's conditions (a history of upper GI
 * bleeding, PDDI IG; issue 14 finding 11). An EHR that can give no conditions (not prefetched, no
 * FHIR server) still gets its cards: the conditions count as none on record and the card says so,
 * and the critical no-gastroprotection card, which does not read them, carries no such note.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEGRADED_EXTENSION } from '../../src/protocol/degraded.ts';
import { post, shippedRuleSet, type TestApp, testApp } from '../support/app.ts';
import { bundle, medicationRequest, warfarinIbuprofenRequest } from '../support/requests.ts';

let t: TestApp;
beforeAll(async () => {
  await shippedRuleSet();
  t = await testApp();
});
afterAll(() => t.close());

const warfarin = medicationRequest('warfarin-1', '855332', 'warfarin sodium 5 MG Oral Tablet', 'active');
const pantoprazole = medicationRequest('ppi-1', '314200', 'pantoprazole 40 MG Delayed Release Oral Tablet', 'active');
const youngPatient = { resourceType: 'Patient', id: 'p1', birthDate: '1970-03-04', gender: 'male' };
const gastricHemorrhage = {
  resourceType: 'Condition',
  id: 'ugib-1',
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved' }] },
  code: { coding: [{ system: 'http://snomed.info/sct', code: '61401005', display: 'Gastric hemorrhage' }] },
  subject: { reference: 'Patient/p1' },
};

/** Warfarin, pantoprazole and an ibuprofen order; the conditions key only as given (no FHIR server to fetch it). */
function gastroprotectedRequest(prefetch: Record<string, unknown>) {
  const base = warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() });
  const { conditions: _sentByDefault, ...rest } = base.prefetch;
  return { ...base, prefetch: { ...rest, patient: youngPatient, activeMeds: bundle('searchset', [warfarin, pantoprazole]), ...prefetch } };
}

type Body = { cards: { summary: string; indicator: string; detail?: string }[]; extension?: Record<string, unknown> };

describe('drug-interactions and the conditions prefetch', () => {
  it('a gastric hemorrhage on record raises the gastroprotected pair to a warning', async () => {
    const res = await post(t.app, '/cds-services/drug-interactions', gastroprotectedRequest({ conditions: bundle('searchset', [gastricHemorrhage]) }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Body;
    expect(body.cards.map((c) => [c.indicator, c.summary])).toEqual([
      ['warning', 'Bleeding risk: Ibuprofen 400 MG Oral Tablet with warfarin, despite gastroprotection'],
    ]);
    expect(body.cards[0]!.detail).toContain('a history of upper GI bleeding (Gastric hemorrhage)');
    expect(body.cards[0]!.detail).not.toContain('Not checked');
  });

  it('conditions the EHR cannot give count as none: the informational card, saying they were not checked', async () => {
    const res = await post(t.app, '/cds-services/drug-interactions', gastroprotectedRequest({}));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Body;
    expect(body.cards.map((c) => [c.indicator, c.summary])).toEqual([['info', 'Ibuprofen 400 MG Oral Tablet with warfarin: bleeding risk remains despite PPI']]);
    expect(body.cards[0]!.detail).toMatch(/Not checked: conditions \(the EHR could not provide it; treated as none on record\)\.$/);
    expect(body.extension?.[DEGRADED_EXTENSION]).toBeUndefined();
  });

  it('the critical card (no gastroprotection) does not read conditions and has no note', async () => {
    const res = await post(t.app, '/cds-services/drug-interactions', warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Body;
    expect(body.cards.map((c) => c.indicator)).toEqual(['critical']);
    expect(body.cards[0]!.detail).not.toContain('Not checked');
  });
});
