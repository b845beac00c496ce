import { describe, expect, it } from 'vitest';
import { expandTemplate, tokenProblem, tokensOf } from './prefetch-template.ts';

describe('prefetch templates', () => {
  it('fills context tokens, URL-encoded', () => {
    expect(expandTemplate('Observation?patient={{context.patientId}}&encounter={{ context.encounterId }}', { patientId: 'p 1', encounterId: 'e1' })).toBe(
      'Observation?patient=p%201&encounter=e1',
    );
  });

  it('keeps the slash of a reference token: {{context.userId}} is a read of that resource (CDS Hooks 2.0 example)', () => {
    expect(expandTemplate('{{context.userId}}', { userId: 'Practitioner/123' })).toBe('Practitioner/123');
  });

  it('expands a list token (order-dispatch dispatchedOrders) comma-separated, each item encoded', () => {
    expect(expandTemplate('Task?focus={{context.dispatchedOrders}}', { dispatchedOrders: ['ServiceRequest/a', 'ServiceRequest/b c'] })).toBe('Task?focus=ServiceRequest/a,ServiceRequest/b%20c');
    expect(expandTemplate('Task?focus={{context.dispatchedOrders}}', { dispatchedOrders: [] })).toBeUndefined();
  });

  it('derives the user tokens from userId by resource type', () => {
    const context = { userId: 'PractitionerRole/r9' };
    expect(expandTemplate('PractitionerRole/{{userPractitionerRoleId}}', context)).toBe('PractitionerRole/r9');
    expect(expandTemplate('Practitioner/{{userPractitionerId}}', context)).toBeUndefined();
  });

  it('gives undefined when an optional token has no value in this call', () => {
    expect(expandTemplate('Encounter/{{context.encounterId}}', { patientId: 'p1' })).toBeUndefined();
  });

  it('lists tokens with their offsets', () => {
    expect(tokensOf('Patient/{{context.patientId}}')).toEqual([{ name: 'context.patientId', offset: 8 }]);
  });

  it('allows only root-level id fields of the hook and the user tokens', () => {
    expect(tokenProblem('context.patientId', 'patient-view')).toBeUndefined();
    expect(tokenProblem('userPatientId', 'patient-view')).toBeUndefined();
    expect(tokenProblem('context.draftOrders', 'order-sign')).toMatch(/cannot be used as a prefetch token/);
    expect(tokenProblem('context.selections', 'patient-view')).toMatch(/has no context field 'selections'/);
    expect(tokenProblem('today()', 'patient-view')).toMatch(/unknown prefetch token/);
  });
});
