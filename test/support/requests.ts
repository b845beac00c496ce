/** Hook requests as EHRs send them, for protocol tests. */
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

export const medicationRequest = (id: string, code: string, display: string, status = 'draft') => ({
  resourceType: 'MedicationRequest',
  id,
  status,
  intent: 'order',
  subject: { reference: 'Patient/p1' },
  medicationCodeableConcept: { coding: [{ system: RXNORM, code, display }] },
});

export const bundle = (type: string, resources: unknown[]) => ({
  resourceType: 'Bundle',
  type,
  entry: resources.map((resource) => ({ resource })),
});

/** order-sign: ibuprofen ordered for a patient on warfarin, everything prefetched. */
export function warfarinIbuprofenRequest(overrides: Record<string, unknown> = {}) {
  return {
    hook: 'order-sign',
    hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
    context: {
      userId: 'Practitioner/example',
      patientId: 'p1',
      draftOrders: bundle('collection', [medicationRequest('draft-ibuprofen', '197805', 'Ibuprofen 400 MG Oral Tablet')]),
    },
    prefetch: {
      patient: { resourceType: 'Patient', id: 'p1', birthDate: '1950-03-04', gender: 'female', name: [{ family: 'Zyxwvut', given: ['Qorinna'] }] },
      activeMeds: bundle('searchset', [medicationRequest('warfarin-1', '855332', 'warfarin sodium 5 MG Oral Tablet', 'active')]),
      potassium: bundle('searchset', []),
      conditions: bundle('searchset', []),
      qtc: bundle('searchset', []),
    },
    ...overrides,
  };
}

/** patient-view for the preventive-care service. */
export function patientViewRequest(overrides: Record<string, unknown> = {}) {
  return {
    hook: 'patient-view',
    hookInstance: '0f9d5f4a-3b3c-4d4e-9f6a-1b2c3d4e5f60',
    context: { userId: 'Practitioner/example', patientId: 'p1' },
    prefetch: {
      patient: { resourceType: 'Patient', id: 'p1', birthDate: '1970-01-01', gender: 'male' },
      conditions: bundle('searchset', [
        {
          resourceType: 'Condition',
          id: 'c1',
          subject: { reference: 'Patient/p1' },
          clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
          code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006', display: 'Diabetes mellitus type 2 (disorder)' }] },
        },
      ]),
      medications: bundle('searchset', []),
      a1c: bundle('searchset', []),
      riskObservations: bundle('searchset', []),
      procedures: bundle('searchset', []),
      labs: bundle('searchset', []),
    },
    ...overrides,
  };
}

/** A draft opioid order with the dose, timing and supply unit given (for MME calls). */
export function opioidOrder(o: { id: string; code: string; display?: string; dose: Record<string, unknown>; timing: Record<string, unknown>; supplyUnit?: string }) {
  const supplyUnit = o.supplyUnit ?? 'd';
  return {
    resourceType: 'MedicationRequest',
    id: o.id,
    status: 'draft',
    intent: 'order',
    subject: { reference: 'Patient/p1' },
    authoredOn: new Date().toISOString().slice(0, 10),
    medicationCodeableConcept: { coding: [{ system: RXNORM, code: o.code, display: o.display ?? `drug ${o.id}` }] },
    dosageInstruction: [{ doseAndRate: [{ doseQuantity: o.dose }], timing: o.timing }],
    dispenseRequest: { expectedSupplyDuration: { value: 30, unit: supplyUnit, system: 'http://unitsofmeasure.org', code: supplyUnit } },
  };
}
