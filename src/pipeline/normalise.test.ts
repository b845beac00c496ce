import { describe, expect, it } from 'vitest';
import { canonicalSystem, SYSTEM_ALIASES } from './code-systems.ts';
import { isUnambiguousUcum, MedicationIndex, normalise, relativeMedicationReference } from './normalise.ts';

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

describe('canonicalSystem', () => {
  it.each([
    ['http://hl7.org/fhir/v2/0078', 'http://terminology.hl7.org/CodeSystem/v2-0078'],
    ['http://hl7.org/fhir/v3/ObservationInterpretation', 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation'],
    ['http://hl7.org/fhir/v3/ActCode', 'http://terminology.hl7.org/CodeSystem/v3-ActCode'],
    ['urn:oid:2.16.840.1.113883.6.88', RXNORM],
    ['urn:oid:2.16.840.1.113883.6.96', 'http://snomed.info/sct'],
    ['http://snomed.info/sct/', 'http://snomed.info/sct'],
    ['urn:oid:2.16.840.1.113883.6.1', 'http://loinc.org'],
    ['https://loinc.org', 'http://loinc.org'],
    ['urn:oid:2.16.840.1.113883.6.90', 'http://hl7.org/fhir/sid/icd-10-cm'],
    ['urn:oid:2.16.840.1.113883.6.8', 'http://unitsofmeasure.org'],
  ])('%s -> %s', (alias, canonical) => expect(canonicalSystem(alias)).toBe(canonical));

  it('leaves canonical and unknown systems alone, and never reads inherited properties', () => {
    for (const canonical of new Set(Object.values(SYSTEM_ALIASES))) expect(canonicalSystem(canonical)).toBe(canonical);
    expect(canonicalSystem('http://example.org/local')).toBe('http://example.org/local');
    expect(canonicalSystem('constructor')).toBe('constructor');
  });
});

describe('normalise', () => {
  const none = new MedicationIndex();

  it('rewrites coding systems and adds the v3 twin of a v2-0078 interpretation, without touching the input', () => {
    const observation = {
      resourceType: 'Observation',
      code: { coding: [{ system: 'urn:oid:2.16.840.1.113883.6.1', code: '3936-2' }] },
      interpretation: [{ coding: [{ system: 'http://hl7.org/fhir/v2/0078', code: 'POS' }] }],
      subject: { reference: 'Patient/p1' },
    };
    const before = JSON.stringify(observation);
    const out = normalise(observation, none);
    expect(JSON.stringify(observation)).toBe(before);
    expect(out.code.coding).toEqual([{ system: 'http://loinc.org', code: '3936-2' }]);
    expect(out.interpretation[0]!.coding).toEqual([
      { system: 'http://terminology.hl7.org/CodeSystem/v2-0078', code: 'POS' },
      { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'POS' },
    ]);
    // What did not change is shared, not copied.
    expect(out.subject).toBe(observation.subject);
  });

  it('reads only own keys, also once something has added an enumerable property to Object.prototype', () => {
    const observation = { resourceType: 'Observation', valueQuantity: { value: 5.4, unit: 'mmol/L' }, subject: { reference: 'Patient/p1' } };
    let out: typeof observation;
    Object.defineProperty(Object.prototype, 'polluted', { value: { system: 'urn:oid:2.16.840.1.113883.6.1', code: 'x' }, enumerable: true, configurable: true, writable: true });
    try {
      out = normalise(observation, none);
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
    expect(Object.keys(out)).toEqual(['resourceType', 'valueQuantity', 'subject']);
    expect(Object.keys(out.valueQuantity)).toEqual(['value', 'unit', 'system', 'code']);
    expect(out.subject).toBe(observation.subject);
  });

  it('returns the very same object when nothing needs a change', () => {
    const bundle = { resourceType: 'Bundle', entry: [{ resource: { resourceType: 'Condition', code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] } } }] };
    expect(normalise(bundle, none)).toBe(bundle);
  });

  it('gives a unit-only UCUM quantity its system and code, and only then', () => {
    expect(normalise({ value: 5.4, unit: 'mmol/L' }, none)).toEqual({ value: 5.4, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' });
    for (const quantity of [{ value: 30, unit: 'days' }, { value: 1, unit: 'MG' }, { value: 1, unit: 'mg', code: 'mg' }, { value: 1, unit: 'mg', system: 'http://example.org/units' }]) {
      expect(normalise(quantity, none)).toBe(quantity);
    }
  });

  it('judges units as UCUM does, and refuses capitals that mean something else in lower case', () => {
    expect(['mg/dL', 'mmol/L', '%', 'mL/min/{1.73_m2}', 'mm[Hg]', 'd'].filter(isUnambiguousUcum)).toHaveLength(6);
    expect(['MG', 'ML', 'tablet', 'days', ''].filter(isUnambiguousUcum)).toEqual([]);
  });

  it('resolves medicationReference from contained, from a Bundle by id or fullUrl, and leaves an unknown one', () => {
    const code = { coding: [{ system: 'urn:oid:2.16.840.1.113883.6.88', code: '855332' }] };
    const index = new MedicationIndex();
    index.addFrom({ resourceType: 'Bundle', entry: [{ fullUrl: 'urn:uuid:7a1c', resource: { resourceType: 'Medication', id: 'w5', code } }] });
    const request = (reference: string, extra = {}): Record<string, unknown> => ({ resourceType: 'MedicationRequest', medicationReference: { reference }, ...extra });
    const resolved = { coding: [{ system: RXNORM, code: '855332' }] };
    expect(normalise(request('#m', { contained: [{ resourceType: 'Medication', id: 'm', code }] }), none).medicationCodeableConcept).toEqual(resolved);
    expect(normalise(request('Medication/w5'), index).medicationCodeableConcept).toEqual(resolved);
    expect(normalise(request('https://ehr.example.org/fhir/Medication/w5/_history/3'), index).medicationCodeableConcept).toEqual(resolved);
    expect(normalise(request('urn:uuid:7a1c'), index).medicationCodeableConcept).toEqual(resolved);
    const unknown = request('Medication/nope');
    expect(normalise(unknown, index)).toBe(unknown);
    expect('medicationReference' in normalise(request('Medication/w5'), index)).toBe(false);
  });

  it('names the Medication a reference points at', () => {
    expect(relativeMedicationReference('Medication/a-1')).toBe('Medication/a-1');
    expect(relativeMedicationReference('http://x/fhir/Medication/a-1')).toBe('Medication/a-1');
    expect(relativeMedicationReference('Substance/a-1')).toBeUndefined();
  });
});
