import { describe, expect, it } from 'vitest';
import { createFhirPathCompiler } from './fhirpath.ts';
import { daysCovered, supplyDays } from './supply.ts';
import { ValueSetIndex } from './valuesets.ts';

const rx = (authoredOn: string | undefined, value: number, code = 'd') => ({
  resourceType: 'MedicationRequest',
  ...(authoredOn ? { authoredOn } : {}),
  dispenseRequest: { expectedSupplyDuration: { value, unit: code, system: 'http://unitsofmeasure.org', code } },
});

describe('supplyDays', () => {
  it('converts the UCUM unit to days, as the IG does', () => {
    expect(supplyDays(rx('2026-01-01', 7))).toBe(7);
    expect(supplyDays(rx('2026-01-01', 1, 'mo'))).toBe(30);
    expect(supplyDays(rx('2026-01-01', 4, 'wk'))).toBe(28);
    expect(supplyDays({ dispenseRequest: { expectedSupplyDuration: { value: 2, unit: 'weeks' } } })).toBe(14);
    expect(supplyDays({ dispenseRequest: { expectedSupplyDuration: { value: 2, code: 'fortnight' } } })).toBeUndefined();
    expect(supplyDays({})).toBeUndefined();
  });
});

describe('daysCovered', () => {
  it('counts days from <= d < to covered by [authoredOn, authoredOn + supply)', () => {
    // 30 days from Jan 1 covers Jan 1 .. Jan 30
    expect(daysCovered([rx('2026-01-01', 30)], '2026-01-21', '2026-01-31')).toBe(10);
    expect(daysCovered([rx('2026-01-01', 30)], '2026-01-22', '2026-02-01')).toBe(9);
    expect(daysCovered([rx('2025-12-30', 7)], '2026-01-01', '2026-01-11')).toBe(5);
  });
  it('counts a day covered by two prescriptions once, and skips ones without date or supply', () => {
    expect(daysCovered([rx('2026-01-01', 10), rx('2026-01-05', 10), rx(undefined, 90)], '2026-01-01', '2026-02-01')).toBe(14);
    expect(daysCovered([], '2026-01-01', '2026-02-01')).toBe(0);
    expect(daysCovered([rx('2026-01-01', 10)], '2026-02-01', '2026-01-01')).toBe(0);
  });
  it('reads dateTimes by their calendar date', () => {
    expect(daysCovered([rx('2026-01-01T23:30:00Z', 2)], '2026-01-01', '2026-01-10')).toBe(2);
  });
  it('is callable from FHIRPath with date arithmetic', () => {
    const compile = createFhirPathCompiler(new ValueSetIndex());
    expect(compile('%rx.daysCovered(@2026-01-21, @2026-01-31)')({ rx: [rx('2026-01-01', 30)] })).toEqual([10]);
    expect(compile('%rx.daysCovered(@2026-01-31 - 10 days, @2026-01-31)')({ rx: [rx('2026-01-01', 30)] })).toEqual([10]);
    expect(compile('%rx.supplyDays()')({ rx: [rx('2026-01-01', 1, 'mo')] })).toEqual([30]);
  });
});
