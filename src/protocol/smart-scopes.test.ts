import { describe, expect, it } from 'vitest';
import { parseScopes, scopeProblem } from './smart-scopes.ts';

describe('SMART scopes', () => {
  it('parses v1 scopes: read is read and search, write is not, * is everything', () => {
    expect(parseScopes('patient/Observation.read user/*.read system/Patient.* patient/Condition.write')).toEqual([
      { context: 'patient', type: 'Observation', permissions: new Set(['r', 's']) },
      { context: 'user', type: '*', permissions: new Set(['r', 's']) },
      { context: 'system', type: 'Patient', permissions: new Set(['c', 'r', 'u', 'd', 's']) },
      { context: 'patient', type: 'Condition', permissions: new Set(['c', 'u', 'd']) },
    ]);
  });

  it('parses v2 scopes with their query restriction, and ignores non-resource scopes', () => {
    expect(parseScopes('openid fhirUser launch/patient offline_access patient/Observation.rs?category=laboratory user/MedicationRequest.r patient/Encounter.cruds')).toEqual([
      { context: 'patient', type: 'Observation', permissions: new Set(['r', 's']), query: [['category', 'laboratory']] },
      { context: 'user', type: 'MedicationRequest', permissions: new Set(['r']) },
      { context: 'patient', type: 'Encounter', permissions: new Set(['c', 'r', 'u', 'd', 's']) },
    ]);
  });

  it('decodes a v2 query restriction (a system|code token)', () => {
    const [scope] = parseScopes('patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category%7Claboratory');
    expect(scope!.query).toEqual([['category', 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory']]);
  });

  it('refuses v2 permissions out of order or unknown, and v1 with an unknown action', () => {
    expect(parseScopes('patient/Observation.sr patient/Observation.x patient/Observation.delete patient/observation.read')).toEqual([]);
  });

  it('covers a search with s, a read with r', () => {
    const scopes = parseScopes('patient/Observation.s patient/Patient.r');
    expect(scopeProblem(scopes, 'Observation?patient=1')).toBeUndefined();
    expect(scopeProblem(scopes, 'Patient/1')).toBeUndefined();
    expect(scopeProblem(scopes, 'Observation/9')).toBe('the granted scopes do not cover Observation (read)');
    expect(scopeProblem(scopes, 'Patient?_id=1')).toBe('the granted scopes do not cover Patient (search)');
    expect(scopeProblem(scopes, 'Condition?patient=1')).toBe('the granted scopes do not cover Condition (search)');
  });

  it('covers a search under a v2 query restriction only with that parameter and value', () => {
    const scopes = parseScopes('patient/Observation.rs?category=laboratory');
    expect(scopeProblem(scopes, 'Observation?patient=1&category=laboratory&code=4548-4')).toBeUndefined();
    expect(scopeProblem(scopes, 'Observation?patient=1&code=4548-4')).toMatch(/do not cover Observation \(search\)/);
    expect(scopeProblem(scopes, 'Observation?patient=1&category=vital-signs')).toMatch(/do not cover Observation/);
    expect(scopeProblem(scopes, 'Observation?patient=1&category=laboratory,vital-signs')).toMatch(/do not cover Observation/);
    expect(scopeProblem(scopes, 'Observation/9')).toMatch(/do not cover Observation \(read\)/);
  });

  it('needs the target of an _include', () => {
    expect(scopeProblem(parseScopes('patient/MedicationRequest.rs'), 'MedicationRequest?patient=1&_include=MedicationRequest:medication:Medication')).toBe(
      'the granted scopes do not cover Medication (_include)',
    );
    expect(scopeProblem(parseScopes('patient/MedicationRequest.rs user/Medication.r'), 'MedicationRequest?patient=1&_include=MedicationRequest:medication:Medication')).toBeUndefined();
  });

  it('a wildcard type covers every type', () => {
    expect(scopeProblem(parseScopes('user/*.read'), 'Encounter?patient=1')).toBeUndefined();
    expect(scopeProblem(parseScopes('user/*.rs'), 'Encounter/1')).toBeUndefined();
  });
});
