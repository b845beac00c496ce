/**
 * The code system URIs a rule compares against, and the other spellings of the same systems
 * that EHRs still send: DSTU2/STU3-era HL7 URIs, OIDs, https or a trailing slash. A short,
 * explicit table (no guessing beyond it); each entry is a published identifier of the system:
 * - HL7 v2 tables and v3 code systems moved from http://hl7.org/fhir/v2/NNNN and
 *   http://hl7.org/fhir/v3/Name to http://terminology.hl7.org/CodeSystem/v2-NNNN and v3-Name in
 *   R4 (HL7 Terminology, THO); both patterns are mapped, for every table.
 * - OIDs: RxNorm 2.16.840.1.113883.6.88, SNOMED CT 2.16.840.1.113883.6.96, LOINC
 *   2.16.840.1.113883.6.1, ICD-10-CM 2.16.840.1.113883.6.90, UCUM 2.16.840.1.113883.6.8, as the
 *   FHIR R4 terminology page lists them (http://hl7.org/fhir/R4/terminologies-systems.html).
 */
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const SNOMED_CT = 'http://snomed.info/sct';
export const LOINC = 'http://loinc.org';
export const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
export const UCUM = 'http://unitsofmeasure.org';
export const V3_OBSERVATION_INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
export const V2_0078 = 'http://terminology.hl7.org/CodeSystem/v2-0078';

/** Exact alias -> canonical URI. */
export const SYSTEM_ALIASES: Readonly<Record<string, string>> = {
  'urn:oid:2.16.840.1.113883.6.88': RXNORM,
  'https://www.nlm.nih.gov/research/umls/rxnorm': RXNORM,
  'http://www.nlm.nih.gov/research/umls/rxnorm/': RXNORM,
  'urn:oid:2.16.840.1.113883.6.96': SNOMED_CT,
  'https://snomed.info/sct': SNOMED_CT,
  'http://snomed.info/sct/': SNOMED_CT,
  'urn:oid:2.16.840.1.113883.6.1': LOINC,
  'https://loinc.org': LOINC,
  'http://loinc.org/': LOINC,
  'urn:oid:2.16.840.1.113883.6.90': ICD10CM,
  'https://hl7.org/fhir/sid/icd-10-cm': ICD10CM,
  'urn:oid:2.16.840.1.113883.6.8': UCUM,
  'https://unitsofmeasure.org': UCUM,
  'urn:oid:2.16.840.1.113883.5.83': V3_OBSERVATION_INTERPRETATION,
  'urn:oid:2.16.840.1.113883.12.78': V2_0078,
};

/**
 * v2 table 0078 codes that v3 ObservationInterpretation defines with the same code and meaning
 * (HL7 v2-to-FHIR ConceptMap table-hl70078-to-v3-observationinterpretation): a coding in one
 * is also given in the other, so a rule written against either matches.
 */
export const INTERPRETATION_SAME_CODES: ReadonlySet<string> = new Set(['N', 'A', 'AA', 'H', 'HH', 'L', 'LL', 'POS', 'NEG', 'IND', 'S', 'R', 'I']);

/** The canonical URI for a system, or the system itself when it is canonical or unknown. */
export function canonicalSystem(system: string): string {
  const exact = SYSTEM_ALIASES[system];
  if (exact !== undefined && Object.hasOwn(SYSTEM_ALIASES, system)) return exact;
  const old = /^https?:\/\/hl7\.org\/fhir\/(v2|v3)\/([A-Za-z0-9-]+)\/?$/.exec(system);
  if (old) return `http://terminology.hl7.org/CodeSystem/${old[1]}-${old[2]}`;
  return system;
}
