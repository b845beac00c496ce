import { describe, expect, it } from 'vitest';
import { expandTemplate, maxResultsOf, queryProblem, tokenProblem, tokensOf } from './prefetch-template.ts';

const NOW = new Date(2024, 8, 13, 10, 0); // 2024-09-13 local, the ballot's own example day

describe('prefetch templates', () => {
  it('fills context tokens, URL-encoded', () => {
    expect(expandTemplate('Observation?patient={{context.patientId}}&encounter={{ context.encounterId }}', { patientId: 'p 1', encounterId: 'e1' }, NOW)).toBe(
      'Observation?patient=p%201&encounter=e1',
    );
  });

  it('keeps the slash of a reference token: {{context.userId}} is a read of that resource (CDS Hooks 2.0 example)', () => {
    expect(expandTemplate('{{context.userId}}', { userId: 'Practitioner/123' }, NOW)).toBe('Practitioner/123');
  });

  it('expands a list token (order-dispatch dispatchedOrders) comma-separated, each item encoded', () => {
    expect(expandTemplate('Task?focus={{context.dispatchedOrders}}', { dispatchedOrders: ['ServiceRequest/a', 'ServiceRequest/b c'] }, NOW)).toBe('Task?focus=ServiceRequest/a,ServiceRequest/b%20c');
    expect(expandTemplate('Task?focus={{context.dispatchedOrders}}', { dispatchedOrders: [] }, NOW)).toBeUndefined();
  });

  it('derives the user tokens from userId by resource type', () => {
    const context = { userId: 'PractitionerRole/r9' };
    expect(expandTemplate('PractitionerRole/{{userPractitionerRoleId}}', context, NOW)).toBe('PractitionerRole/r9');
    expect(expandTemplate('Practitioner/{{userPractitionerId}}', context, NOW)).toBeUndefined();
  });

  it('gives undefined when an optional token has no value in this call', () => {
    expect(expandTemplate('Encounter/{{context.encounterId}}', { patientId: 'p1' }, NOW)).toBeUndefined();
  });

  it('lists tokens with their offsets', () => {
    expect(tokensOf('Patient/{{context.patientId}}')).toEqual([{ name: 'context.patientId', offset: 8 }]);
  });

  it('allows only root-level id fields of the hook and the user tokens', () => {
    expect(tokenProblem('context.patientId', 'patient-view')).toBeUndefined();
    expect(tokenProblem('userPatientId', 'patient-view')).toBeUndefined();
    expect(tokenProblem('context.draftOrders', 'order-sign')).toMatch(/cannot be used as a prefetch token/);
    expect(tokenProblem('context.selections', 'patient-view')).toMatch(/has no context field 'selections'/);
    expect(tokenProblem('yesterday()', 'patient-view')).toMatch(/unknown prefetch token/);
  });
});

describe('CDS Hooks 3.0 FHIRPath tokens', () => {
  it("fills today() and today() ± N days from the call's clock (the ballot's example: 2024-09-13 - 90 days)", () => {
    expect(expandTemplate('Observation?patient={{context.patientId}}&category=laboratory&date=gt{{today() - 90 days}}', { patientId: '1288992' }, NOW)).toBe(
      'Observation?patient=1288992&category=laboratory&date=gt2024-06-15',
    );
    expect(expandTemplate('Appointment?date=gt{{today()}}&date=lt{{today() + 365 days}}', {}, NOW)).toBe('Appointment?date=gt2024-09-13&date=lt2025-09-13');
    expect(expandTemplate('Observation?date=ge{{today()-1 day}}', {}, NOW)).toBe('Observation?date=ge2024-09-12');
  });

  it('fills a path into a context Bundle with the values it finds, comma-separated and deduplicated', () => {
    const draftOrders = {
      resourceType: 'Bundle',
      entry: [
        { resource: { resourceType: 'MedicationRequest', id: 'a', medicationReference: { reference: 'Medication/m1' } } },
        { resource: { resourceType: 'ServiceRequest', id: 's' } },
        { resource: { resourceType: 'MedicationRequest', id: 'b', medicationReference: { reference: 'Medication/m1' } } },
      ],
    };
    expect(expandTemplate('MedicationRequest?_id={{context.draftOrders.entry.resource.ofType(MedicationRequest).id}}', { draftOrders }, NOW)).toBe('MedicationRequest?_id=a,b');
    expect(expandTemplate('Medication?_id={{context.draftOrders.entry.resource.medicationReference.reference}}', { draftOrders }, NOW)).toBe('Medication?_id=Medication/m1');
    // Nothing found: the query cannot be made.
    expect(expandTemplate('X?_id={{context.draftOrders.entry.resource.ofType(NutritionOrder).id}}', { draftOrders }, NOW)).toBeUndefined();
  });

  it('accepts the new forms for the hooks whose fields they read, and refuses the rest naming why', () => {
    expect(tokenProblem('today() - 90 days', 'patient-view')).toBeUndefined();
    expect(tokenProblem('today()', 'order-dispatch')).toBeUndefined();
    expect(tokenProblem('context.draftOrders.entry.resource.ofType(MedicationRequest).id', 'order-sign')).toBeUndefined();
    expect(tokenProblem('context.allergyIntolerance.code.coding.code', 'allergyintolerance-create')).toBeUndefined();
    expect(tokenProblem('today() - 3 months', 'patient-view')).toMatch(/^only days can be added to or subtracted from today\(\)/);
    expect(tokenProblem('context.draftOrders.entry.resource.ofType(Medicationrequest).id', 'order-sign')).toMatch(/'Medicationrequest' is not a FHIR R4 resource type/);
    expect(tokenProblem('context.draftOrders.entry.resource.medication.resolve().id', 'order-sign')).toMatch(/'resolve\(\)' .* is not an element name or ofType/);
    expect(tokenProblem('%meds.entry.resource.id', 'order-sign')).toMatch(/may not read another prefetch result/);
    expect(tokenProblem('context.patientId.id', 'patient-view')).toMatch(/context.patientId holds no resources to traverse into/);
    expect(tokenProblem('context.draftOrders', 'order-sign')).toMatch(/a path into it can, e.g. \{\{context.draftOrders.entry.resource.id\}\}/);
    expect(tokenProblem('context.draftOrders.entry.resource.id', 'patient-view')).toMatch(/has no context field 'draftOrders'/);
  });

  it('checks _maxresults: a positive whole number, once', () => {
    expect(queryProblem('Observation?patient={{context.patientId}}&_maxresults=5')).toBeUndefined();
    expect(queryProblem('Observation?_maxresults=0')).toBe("_maxresults must be a positive whole number, not '0'");
    expect(queryProblem('Observation?_maxresults=ten')).toBe("_maxresults must be a positive whole number, not 'ten'");
    expect(queryProblem('Observation?_maxresults=1&_maxresults=2')).toBe('_maxresults is given more than once');
    expect(maxResultsOf('Observation?patient=1&_maxresults=3')).toBe(3);
    expect(maxResultsOf('Observation?patient=1')).toBeUndefined();
  });
});
