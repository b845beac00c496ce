import { describe, expect, it } from 'vitest';
import { createFhirPathCompiler } from './fhirpath.ts';
import { CLOCK, wholeMonthsSince } from './functions.ts';
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

  it('ageInYears turns a birthday into whole years on the day of the call', () => {
    const now = new Date('2026-03-01T08:00:00Z');
    const age = compile('%p.birthDate.ageInYears()');
    const at = (p: unknown, clock: Date = now) => age({ p, [CLOCK]: clock } as Record<string, unknown>);
    expect(at({ resourceType: 'Patient', birthDate: '1986-03-01' })).toEqual([40]);
    expect(at({ resourceType: 'Patient', birthDate: '1986-03-02' })).toEqual([39]);
    // The call's clock, not the machine's: the same patient a day earlier is still 39.
    expect(at({ resourceType: 'Patient', birthDate: '1986-03-01' }, new Date('2026-02-28T23:59:00Z'))).toEqual([39]);
    expect(at({ resourceType: 'Patient' })).toEqual([]);
    expect(() => at({ resourceType: 'Patient', birthDate: 'unknown' })).toThrow(/expects a date/);
  });

  it('ageInYears without the call clock is an error, not a silent second clock', () => {
    expect(() => compile('%p.birthDate.ageInYears()')({ p: { resourceType: 'Patient', birthDate: '1986-03-01' } })).toThrow(/needs the call's clock/);
  });
});

describe("FHIRPath's clock functions", () => {
  it('now(), today() and timeOfDay() read the call clock, in the form fhirpath.js writes them', () => {
    const clock = { [CLOCK]: new Date(2026, 2, 1, 8, 30, 5, 250) } as Record<string, unknown>;
    const offset = -new Date(2026, 2, 1).getTimezoneOffset();
    const zone = `${offset > 0 ? '+' : '-'}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}:${String(Math.abs(offset) % 60).padStart(2, '0')}`;
    expect(compile('now()')(clock)).toEqual([`2026-03-01T08:30:05.250${zone}`]);
    expect(compile('today()')(clock)).toEqual(['2026-03-01']);
    expect(compile('timeOfDay()')(clock)).toEqual(['08:30:05.250']);
    expect(compile('today() - 1 year')(clock)).toEqual(['2025-03-01']);
    expect(compile('@2025-10-01T00:00:00Z < now() - 6 months')(clock)).toEqual([false]);
    expect(compile('@2025-08-01T00:00:00Z < now() - 6 months')(clock)).toEqual([true]);
  });
});
