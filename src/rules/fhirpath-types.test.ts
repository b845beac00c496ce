import { describe, expect, it } from 'vitest';
import { parseFhirPath } from './fhirpath-ast.ts';
import { conditionProblem, inferType, prefetchType, type TypeEnv } from './fhirpath-types.ts';

const env: TypeEnv = {
  typeOf: (name) =>
    ({
      patient: prefetchType('Patient/{{context.patientId}}'),
      labs: prefetchType('Observation?patient={{context.patientId}}'),
      conditions: prefetchType('Condition?patient={{context.patientId}}'),
      meds: prefetchType('MedicationRequest?patient={{context.patientId}}&_include=MedicationRequest:medication'),
    })[name],
};
const typeOf = (expression: string) => inferType(parseFhirPath(expression).root, env)?.map((t) => t.name);
const findings = (expression: string) => {
  const found: string[] = [];
  inferType(parseFhirPath(expression).root, env, (f) => found.push(f.message));
  return found;
};

describe('FHIRPath types from the R4 model', () => {
  it('follows paths from prefetch keys through bundles, choices, ofType and functions', () => {
    expect(typeOf('%patient.birthDate')).toEqual(['date']);
    expect(typeOf('%patient.name.first().family')).toEqual(['string']);
    expect(typeOf("%labs.entry.resource.where(status = 'final').sort(effective.ofType(dateTime) desc).first().value.ofType(Quantity).value")).toEqual(['decimal']);
    expect(typeOf('%labs.entry.resource.component.value.ofType(Quantity)')).toEqual(['Quantity']);
    expect(typeOf('%labs.entry.count()')).toEqual(['System.Integer']);
    expect(typeOf("iif(%labs.exists(), 'yes', 'no')")).toEqual(['System.String']);
  });

  it('does not guess: an unknown variable, an _include bundle or an unknown path has no type', () => {
    expect(typeOf('%nope.value')).toBeUndefined();
    expect(typeOf('%meds.entry.resource.status')).toBeUndefined();
    expect(typeOf('%patient.notAnElement')).toBeUndefined();
  });

  it('reports comparisons that can never be true, and only those', () => {
    expect(findings("%conditions.entry.resource.where(clinicalStatus = 'active')")).toEqual([
      'compares a CodeableConcept with a string: these types are never equal, so this is never true',
    ]);
    expect(findings('%labs.entry.resource.status > 3')).toEqual(['compares a code with an integer: these types are never ordered, so this is never true']);
    expect(findings('%conditions.entry.resource.onset.ofType(Age) > 5')).toHaveLength(1);
    expect(findings('%labs.entry.resource.effective > now() - 12 months')).toEqual([]);
    expect(findings("%patient.birthDate >= @1950-01-01 and %patient.gender = 'female' and %patient.birthDate.ageInYears() >= 18")).toEqual([]);
    expect(findings("%labs.entry.resource.value.ofType(Quantity) > 5 'mg'")).toEqual([]);
  });

  it('knows a condition that is not a yes/no', () => {
    expect(conditionProblem(inferType(parseFhirPath('%patient.birthDate').root, env))).toMatch(/but this gives a date/);
    expect(conditionProblem(inferType(parseFhirPath('%patient.active').root, env))).toBeUndefined();
    expect(conditionProblem(inferType(parseFhirPath('%nope').root, env))).toBeUndefined();
  });
});
