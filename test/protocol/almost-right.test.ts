/**
 * Requests that are almost right (docs/architecture.md, "Almost-right requests"): each leniency
 * gives the same answer as the right request would, each refusal names the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, type TestApp, testApp } from '../support/app.ts';
import { medicationRequest, warfarinIbuprofenRequest } from '../support/requests.ts';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(() => t.close());

const ibuprofen = medicationRequest('draft-ibuprofen', '197805', 'Ibuprofen 400 MG Oral Tablet');
const summaries = async (res: Response) => ((await res.json()) as { cards: { summary: string }[] }).cards.map((c) => c.summary);

describe('draftOrders', () => {
  it('a bare order resource is read as a Bundle holding it', async () => {
    const base = warfarinIbuprofenRequest();
    const res = await post(t.app, '/cds-services/drug-interactions', { ...base, context: { ...base.context, draftOrders: ibuprofen } });
    expect(res.status).toBe(200);
    expect(await summaries(res)).toEqual(['Bleeding risk: Ibuprofen 400 MG Oral Tablet with warfarin']);
  });

  it('a Bundle without a type (as the CDS Hooks Sandbox sends) is accepted', async () => {
    const base = warfarinIbuprofenRequest();
    const res = await post(t.app, '/cds-services/drug-interactions', { ...base, context: { ...base.context, draftOrders: { resourceType: 'Bundle', entry: [{ resource: ibuprofen }] } } });
    expect(res.status).toBe(200);
    expect(await summaries(res)).toEqual(['Bleeding risk: Ibuprofen 400 MG Oral Tablet with warfarin']);
  });

  it('order-select: selections may name the bare order', async () => {
    const res = await post(t.app, '/cds-services/allergy-check', {
      hook: 'order-select',
      hookInstance: crypto.randomUUID(),
      context: { userId: 'Practitioner/u', patientId: 'p1', selections: ['MedicationRequest/amox'], draftOrders: medicationRequest('amox', '308191', 'amoxicillin 500 MG Oral Capsule') },
      prefetch: { allergies: { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { resourceType: 'AllergyIntolerance', id: 'a1', patient: { reference: 'Patient/p1' }, code: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '723', display: 'Amoxicillin' }] } } }] } },
    });
    expect(res.status).toBe(200);
    expect(await summaries(res)).toEqual(['Penicillin allergy on record: amoxicillin 500 MG Oral Capsule selected']);
  });

  it.each([
    ['a list of orders', [ibuprofen], 'context.draftOrders'],
    ['a resource that is not an order', { resourceType: 'Patient', id: 'p1' }, 'context.draftOrders.resourceType'],
  ])('%s is refused, naming the field', async (_what, draftOrders, field) => {
    const base = warfarinIbuprofenRequest();
    const res = await post(t.app, '/cds-services/drug-interactions', { ...base, context: { ...base.context, draftOrders } });
    expect(res.status).toBe(400);
    const outcome = (await res.json()) as { issue: { expression?: string[] }[] };
    expect(outcome.issue.flatMap((i) => i.expression ?? [])).toContain(field);
  });
});
