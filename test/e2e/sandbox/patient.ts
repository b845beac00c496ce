/**
 * The patient the CDS Hooks Sandbox test opens: a made-up adult (no real person) whose chart
 * makes our services speak on each of the sandbox's screens, with dates relative to today so
 * the chart never ages out of the rules' look-back windows. Codes are the real ones our value
 * sets hold (RxNorm, SNOMED CT), as in the rules' own example patients.
 *
 * - patient-view: type 2 diabetes with no HbA1c on record (hba1c-overdue), aged 60 with no
 *   colorectal screening on record (colorectal-screening-due, which reads Procedure).
 * - Rx View (order-select): a penicillin G allergy, so choosing amoxicillin warns.
 * - Rx Sign (order-sign): active warfarin, so signing celecoxib (an NSAID) warns.
 */
import type { Bundle } from '@medplum/fhirtypes';

export const PATIENT_ID = 'sandbox-e2e-1';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const SNOMED = 'http://snomed.info/sct';

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
const subject = { reference: `Patient/${PATIENT_ID}` };

export function sandboxPatientBundle(): Bundle {
  const resources = [
    {
      resourceType: 'Patient',
      id: PATIENT_ID,
      name: [{ family: 'Sandboxtest', given: ['Orla'] }],
      gender: 'female',
      birthDate: daysAgo(Math.round(60.4 * 365.25)),
    },
    {
      resourceType: 'Condition',
      id: `${PATIENT_ID}-diabetes`,
      subject,
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
      code: { coding: [{ system: SNOMED, code: '44054006', display: 'Diabetes mellitus type 2 (disorder)' }], text: 'Type 2 diabetes' },
      onsetDateTime: daysAgo(2000),
    },
    {
      resourceType: 'AllergyIntolerance',
      id: `${PATIENT_ID}-penicillin`,
      patient: subject,
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'confirmed' }] },
      criticality: 'high',
      code: { coding: [{ system: RXNORM, code: '7980', display: 'Penicillin G' }] },
      reaction: [{ manifestation: [{ text: 'hives' }] }],
    },
    {
      resourceType: 'MedicationRequest',
      id: `${PATIENT_ID}-warfarin`,
      status: 'active',
      intent: 'order',
      subject,
      authoredOn: daysAgo(40),
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category', code: 'community' }] }],
      medicationCodeableConcept: { coding: [{ system: RXNORM, code: '855332', display: 'Warfarin Sodium 5 MG Oral Tablet' }] },
    },
    {
      resourceType: 'Encounter',
      id: `${PATIENT_ID}-visit`,
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject,
      period: { start: `${daysAgo(40)}T09:00:00Z`, end: `${daysAgo(40)}T09:30:00Z` },
    },
  ];
  return { resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) } as Bundle;
}
