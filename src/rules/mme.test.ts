/**
 * MME/day: the worked examples of the CDC opioid IG's own tests (opioid-mme-r4 MMECalculatorTests
 * and OMTKLogicTests), recomputed with the CDC
 * 2022 factors where they differ, and the edge cases this implementation decides on purpose.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createFhirPathCompiler } from './fhirpath.ts';
import { dataTableProblem, dosesPerDay, mmeOfRequest, mmeTables, totalMme } from './mme.ts';
import { ValueSetIndex } from './valuesets.ts';

const data = new Map<string, unknown>(
  ['opioid-drug-strengths', 'mme-conversion-factors'].map((name) => [name, JSON.parse(readFileSync(`rules/data/${name}.json`, 'utf8'))]),
);
const tables = mmeTables(data)!;
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const UCUM = 'http://unitsofmeasure.org';

type Json = Record<string, unknown>;
const unit = (value: number, code: string) => ({ value, unit: code, system: UCUM, code });
const every = (frequency: number, period: number, periodUnit: string) => ({ repeat: { frequency, period, periodUnit } });
function rx(code: string, dose: Json | undefined, timing?: Json, extra: Json = {}): Json {
  return {
    resourceType: 'MedicationRequest',
    medicationCodeableConcept: { coding: [{ system: RXNORM, code }] },
    dosageInstruction: [{ ...(dose ? { doseAndRate: [dose] } : {}), ...(timing ? { timing } : {}) }],
    ...extra,
  };
}
const mme = (r: Json) => mmeOfRequest(r, tables);

describe('mme: the IG worked examples', () => {
  it('fentanyl 75 mcg/hr patch, 1 patch every 3 days -> 180 (2.4 per mcg/hr)', () => {
    expect(mme(rx('197696', { doseQuantity: unit(1, '{patch}') }, every(1, 3, 'd')))).toBe(180);
  });
  it('a patch counts by rate, not change interval: daily or every 3 days alike', () => {
    expect(mme(rx('197696', { doseQuantity: unit(1, '{patch}') }, every(1, 1, 'd')))).toBe(180);
    expect(mme(rx('245134', { doseQuantity: unit(1, '{patch}') }, every(1, 3, 'd')))).toBe(60);
    expect(mme(rx('1603495', { doseQuantity: unit(1, '{patch}') }, every(1, 3, 'd')))).toBe(90);
  });
  it('0.2 of a 75 mcg/hr patch every 12 days -> 36', () => {
    expect(mme(rx('197696', { doseQuantity: unit(0.2, '{patch}') }, every(1, 12, 'd')))).toBe(36);
  });
  it('oxycodone ER 60 mg product, 10 mg every 12 h -> 30 (the ordered mass, strength ignored)', () => {
    expect(mme(rx('1049593', { doseQuantity: unit(10, 'mg') }, every(1, 12, 'h')))).toBe(30);
  });
  it('the same with timeOfDay twice a day and no frequency -> 30', () => {
    expect(mme(rx('1049593', { doseQuantity: unit(10, 'mg') }, { repeat: { timeOfDay: ['10:00:00', '22:00:00'] } }))).toBe(30);
  });
  it('oxycodone 10 mg tablet, 1 tablet 4 times a day -> 60', () => {
    expect(mme(rx('1049683', { doseQuantity: unit(1, '{tab}') }, every(4, 1, 'd')))).toBe(60);
  });
  it('oxycodone ER 30 mg, 1 tablet twice a day -> 90', () => {
    expect(mme(rx('1049574', { doseQuantity: unit(1, '{tab}') }, every(2, 1, 'd')))).toBe(90);
  });
  it('methadone 10 mg, 2 tablets 3 times a day -> 60 mg x 4.7 = 282 (the IG tiers gave 600)', () => {
    expect(mme(rx('864706', { doseQuantity: unit(2, '{tab}') }, every(3, 1, 'd')))).toBe(282);
  });
  it('first RxNorm code found in the table wins; ATC and ingredient codes are skipped -> morphine ER 20 mg once = 20', () => {
    const r = rx('x', { doseQuantity: unit(20, 'mg') }, { repeat: { timeOfDay: ['10:00:00'] } });
    r.medicationCodeableConcept = {
      coding: [
        { system: 'http://www.whocc.no/atc', code: 'N02AA01' },
        { system: RXNORM, code: '7052' },
        { system: RXNORM, code: '892596' },
        { system: RXNORM, code: '892598' },
      ],
    };
    expect(mme(r)).toBe(20);
  });
  it('a product not in the table (fentanyl/ropivacaine injection) -> empty', () => {
    expect(mme(rx('1244687', { doseQuantity: unit(1, '{injection}') }, every(1, 1, 'd')))).toBeUndefined();
    expect(mme(rx('892495', { doseQuantity: { value: 1, unit: 'TAB', system: 'http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm', code: 'TAB' } }, every(1, 1, 'd')))).toBeUndefined();
  });
});

describe('mme: CDC 2022 factors where the IG differs', () => {
  it('hydromorphone 5 (IG 4): 2 mg tablet, 1 every 4 h -> 12 mg x 5 = 60', () => {
    expect(mme(rx('897696', { doseQuantity: unit(1, '{tab}') }, every(1, 4, 'h')))).toBe(60);
  });
  it('tramadol 0.2 (IG: not counted): 50 mg, 2 tablets 4 times a day -> 80', () => {
    expect(mme(rx('835603', { doseQuantity: unit(2, '{tab}') }, every(4, 1, 'd')))).toBe(80);
  });
  it('APAP/tramadol 37.5 mg, 1-2 tablets every 4 h: the range high end -> 2 x 6 x 37.5 x 0.2 = 90', () => {
    expect(mme(rx('836397', { doseRange: { low: unit(1, '{tab}'), high: unit(2, '{tab}') } }, every(1, 4, 'h')))).toBe(90);
  });
  it('buprenorphine and non-patch fentanyl have no factor -> empty', () => {
    expect(mme(rx('1115577', { doseQuantity: unit(1, '{actuat}') }, every(3, 1, 'd')))).toBeUndefined();
    expect(mme(rx('1666831', { doseQuantity: unit(1, '{actuat}') }, every(1, 1, 'd')))).toBeUndefined(); // Ionsys
  });
});

describe('mme: doses and units', () => {
  it('a liquid in mL: mg/mL x mL (oxycodone 1 mg/mL, 10 mL 4 times a day -> 40 mg x 1.5 = 60)', () => {
    expect(mme(rx('1049604', { doseQuantity: unit(10, 'mL') }, every(4, 1, 'd')))).toBe(60);
  });
  it('a liquid in teaspoons, or tablets of a liquid, is not computable', () => {
    expect(mme(rx('1049604', { doseQuantity: unit(2, '[tsp_us]') }, every(4, 1, 'd')))).toBeUndefined();
    expect(mme(rx('1049604', { doseQuantity: unit(1, '{tab}') }, every(4, 1, 'd')))).toBeUndefined();
  });
  it('ug is converted to mg (oxycodone 15000 ug twice a day -> 30 mg x 1.5 = 45)', () => {
    expect(mme(rx('1049621', { doseQuantity: unit(15000, 'ug') }, every(2, 1, 'd')))).toBe(45);
  });
  it('a dose of another code system is unusable', () => {
    expect(mme(rx('1049621', { doseQuantity: { value: 1, system: 'http://snomed.info/sct', code: '428673006' } }, every(2, 1, 'd')))).toBeUndefined();
  });
  it('only the ordered doseAndRate entry counts', () => {
    const r = rx('1049621', undefined, every(2, 1, 'd'));
    (r.dosageInstruction as Json[])[0]!.doseAndRate = [
      { type: { text: 'calculated' }, doseQuantity: unit(10, 'mg') },
      { type: { text: 'ordered' }, doseQuantity: unit(1, '{tab}') },
    ];
    expect(mme(r)).toBe(15);
  });
  it('a contained Medication is resolved', () => {
    const r = rx('x', { doseQuantity: unit(1, '{tab}') }, every(2, 1, 'd'));
    delete r.medicationCodeableConcept;
    r.medicationReference = { reference: '#med' };
    r.contained = [{ resourceType: 'Medication', id: 'med', code: { coding: [{ system: RXNORM, code: '1049621' }] } }];
    expect(mme(r)).toBe(15);
  });
  it('two salts of oxycodone in one tablet add their strengths', () => {
    // 637540: aspirin / oxycodone HCl 4.5 MG / oxycodone terephthalate 0.38 MG
    expect(mme(rx('637540', { doseQuantity: unit(1, '{tab}') }, every(1, 1, 'd')))).toBe(7.3);
  });
});

describe('dosesPerDay', () => {
  it('matches the IG ToDaily tests', () => {
    expect(dosesPerDay(every(2, 4, 'h'))).toBe(12);
    expect(dosesPerDay(every(1, 30, 'min'))).toBe(48);
    expect(dosesPerDay(every(1, 30, 's'))).toBe(2880);
    expect(dosesPerDay(every(4, 1, 'd'))).toBe(4);
    expect(dosesPerDay(every(2, 1, 'wk'))).toBeCloseTo(0.28571428, 7);
    expect(dosesPerDay(every(10, 1, 'mo'))).toBeCloseTo(0.33333333, 7);
    expect(dosesPerDay(every(10, 1, 'a'))).toBeCloseTo(0.02739726, 7);
    expect(dosesPerDay(every(1, 1, 'mg'))).toBeUndefined();
  });
  it('uses frequencyMax (a PRN order at its most), a period alone as once per period, timing codes, and 1 a day without timing', () => {
    expect(dosesPerDay({ repeat: { frequency: 1, frequencyMax: 2, period: 4, periodUnit: 'h' } })).toBe(12);
    expect(dosesPerDay({ repeat: { period: 6, periodUnit: 'h' } })).toBe(4);
    expect(dosesPerDay({ code: { coding: [{ code: 'BID' }] } })).toBe(2);
    expect(dosesPerDay(undefined)).toBe(1);
    expect(dosesPerDay({})).toBe(1);
  });
  it('no timing at all counts one dose a day (documented fallback)', () => {
    expect(mme(rx('1049683', { doseQuantity: unit(1, '{tab}') }))).toBe(15);
  });
});

describe('totals and the FHIRPath function', () => {
  const compile = createFhirPathCompiler(new ValueSetIndex(), data);
  const patch = rx('197696', { doseQuantity: unit(1, '{patch}') }, every(1, 3, 'd'));
  const oxy = rx('1049683', { doseQuantity: unit(1, '{tab}') }, every(4, 1, 'd'));
  const unknown = rx('1244687', { doseQuantity: unit(1, '{injection}') }, every(1, 1, 'd'));

  it('sums the computable requests and skips the rest; empty when none is computable', () => {
    expect(totalMme([patch, oxy, unknown], tables)).toBe(240);
    expect(totalMme([unknown], tables)).toBeUndefined();
    expect(totalMme([], tables)).toBeUndefined();
  });
  it('mme() on a collection gives the total, select(mme()) each one, and empty when not computable', () => {
    expect(compile('%rx.mme()')({ rx: [patch, oxy, unknown] })).toEqual([240]);
    expect(compile('%rx.select(mme())')({ rx: [patch, oxy] })).toEqual([180, 60]);
    expect(compile('%rx.mme()')({ rx: [unknown] })).toEqual([]);
    expect(compile('%rx.mme() >= 50')({ rx: [unknown] })).toEqual([]);
  });
  it('mme() without the data tables fails loudly', () => {
    expect(() => createFhirPathCompiler(new ValueSetIndex())('%rx.mme()')({ rx: [oxy] })).toThrow(/needs rules\/data\/opioid-drug-strengths\.json/);
  });
  it('the tables are checked for the shape the calculator reads', () => {
    expect(dataTableProblem('opioid-drug-strengths', { drugs: [{ code: '1' }] })).toMatch(/drugs\[0\]/);
    expect(dataTableProblem('mme-conversion-factors', { factors: [] })).toMatch(/transdermalFentanyl/);
    expect(dataTableProblem('something-else', {})).toBeUndefined();
  });
});
