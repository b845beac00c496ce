import { describe, expect, it } from 'vitest';
import { createFhirPathCompiler } from './fhirpath.ts';
import { wholeMonthsSince } from './functions.ts';
import { ValueSetIndex } from './valuesets.ts';

const valueSets = new ValueSetIndex();
valueSets.add('warfarin', [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '855332' }]);
const compile = createFhirPathCompiler(valueSets);

describe('clinical functions', () => {
  it('inValueSet matches Codings and CodeableConcepts by system and code', () => {
    const med = { resourceType: 'MedicationRequest', medicationCodeableConcept: { coding: [{ system: 'x', code: '1' }, { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '855332' }] } };
    expect(compile("%m.medication.coding.inValueSet('warfarin')")({ m: med })).toEqual([true]);
    expect(compile("%m.medication.inValueSet('warfarin')")({ m: med })).toEqual([true]);
    expect(compile("%m.medication.coding.where(system = 'x').inValueSet('warfarin')")({ m: med })).toEqual([false]);
  });

  it('wholeMonthsSince counts calendar months, not 30-day blocks', () => {
    const now = new Date('2026-11-26T10:00:00Z');
    expect(wholeMonthsSince('2026-05-26', now)).toEqual([6]);
    expect(wholeMonthsSince('2026-05-27', now)).toEqual([5]);
    expect(wholeMonthsSince(undefined, now)).toEqual([]);
  });

  it('ageInYears turns a birthday into whole years on the day', () => {
    const today = new Date();
    const iso = (years: number, days = 0) => {
      const d = new Date(Date.UTC(today.getUTCFullYear() - years, today.getUTCMonth(), today.getUTCDate() + days));
      return d.toISOString().slice(0, 10);
    };
    const age = compile('%p.birthDate.ageInYears()');
    expect(age({ p: { resourceType: 'Patient', birthDate: iso(40) } })).toEqual([40]);
    expect(age({ p: { resourceType: 'Patient', birthDate: iso(40, 1) } })).toEqual([39]);
    expect(age({ p: { resourceType: 'Patient' } })).toEqual([]);
    expect(() => age({ p: { resourceType: 'Patient', birthDate: 'unknown' } })).toThrow(/expects a date/);
  });
});
