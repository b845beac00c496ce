/**
 * One normalisation pass over a call's data (the context's resources and every prefetch value)
 * before any rule sees it, so rules are written against one spelling of what FHIR lets EHRs say
 * several ways:
 *
 * - Coding systems under an older or alternative URI get the canonical one (code-systems.ts);
 *   a v2-0078 interpretation coding also gets its v3 ObservationInterpretation twin.
 * - A Quantity with only a `unit` that is itself a valid UCUM code gets `system` and `code`
 *   (`{ value: 5.4, unit: 'mmol/L' }` -> `code: 'mmol/L'`), unless the unit is all capitals
 *   and means something else in lower case (`MG` is UCUM megagram; an EHR means milligram).
 * - A medication given by reference (`medicationReference` of a MedicationRequest,
 *   MedicationDispense, MedicationStatement or MedicationAdministration) is replaced by the
 *   referenced Medication's `code` as `medicationCodeableConcept`: found contained (`#id`), in
 *   any prefetch Bundle or draftOrders (by `Medication/id`, absolute URL or fullUrl), or read
 *   from the FHIR server beforehand (medications.ts). Rules and value-set tests then see the code
 *   wherever they look at `medication`. One that cannot be found is left as it is.
 *
 * Copy on write: the request's own objects are never changed (they may be stored as sent);
 * only the objects on the way to a change are copied, the rest is shared.
 */
import ucum from '@lhncbc/ucum-lhc';
import { inheritsEnumerableKeys } from '../protocol/json-depth.ts';
import { canonicalSystem, INTERPRETATION_SAME_CODES, UCUM, V2_0078, V3_OBSERVATION_INTERPRETATION } from './code-systems.ts';

type Json = Record<string, unknown>;

/** Resource types whose `medication[x]` may be a reference to a Medication. */
export const MEDICATION_USERS: ReadonlySet<string> = new Set(['MedicationRequest', 'MedicationDispense', 'MedicationStatement', 'MedicationAdministration']);

/** Medications by every name a reference may use: `Medication/id`, an absolute URL, a fullUrl. */
export class MedicationIndex {
  private readonly byRef = new Map<string, Json>();

  add(medication: Json, fullUrl?: string): void {
    if (typeof medication.id === 'string') this.byRef.set(`Medication/${medication.id}`, medication);
    if (fullUrl) this.byRef.set(fullUrl, medication);
  }

  /** Every Medication in a value (a resource or a Bundle, entries and their `contained` aside). */
  addFrom(value: unknown): void {
    if (!isObject(value)) return;
    if (value.resourceType === 'Medication') this.add(value);
    if (value.resourceType === 'Bundle' && Array.isArray(value.entry)) {
      for (const entry of value.entry) {
        if (isObject(entry) && isObject(entry.resource) && entry.resource.resourceType === 'Medication') {
          this.add(entry.resource, typeof entry.fullUrl === 'string' ? entry.fullUrl : undefined);
        }
      }
    }
  }

  /** The Medication a (non-contained) reference names, if known. */
  find(reference: string): Json | undefined {
    return this.byRef.get(reference) ?? this.byRef.get(relativeMedicationReference(reference) ?? '');
  }
}

/** `Medication/id` for `Medication/id`, `https://x/fhir/Medication/id` or `.../Medication/id/_history/2`. */
export function relativeMedicationReference(reference: string): string | undefined {
  const match = /(?:^|\/)Medication\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference);
  return match ? `Medication/${match[1]}` : undefined;
}

/** The normalised view of one value; the same object when nothing in it needed a change. */
export function normalise<T>(value: T, medications: MedicationIndex): T {
  return walk(value, medications, inheritsEnumerableKeys()) as T;
}

// What an object's keys call for: each rewrite below reads a key of its own, so an object is
// only handed to the ones whose key the loop over it met. Most objects of a record (references,
// periods, narrative, identifiers) meet none; a Coding meets one.
const SYSTEM = 1;
const CODING = 2;
const UNIT = 4;
const MEDICATION_REFERENCE = 8;

// Plain loops, no callbacks or entry arrays: this visits every object of the call's data.
function walk(value: unknown, medications: MedicationIndex, checkOwn: boolean): unknown {
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === null || typeof item !== 'object') continue;
      const next = walk(item, medications, checkOwn);
      if (next !== item) (copy ??= [...value])[i] = next;
    }
    return copy ?? value;
  }
  if (!isObject(value)) return value;
  let copy: Json | undefined;
  let met = 0;
  for (const key in value) {
    if (checkOwn && !Object.hasOwn(value, key)) continue;
    if (key === 'system') met |= SYSTEM;
    else if (key === 'coding') met |= CODING;
    else if (key === 'unit') met |= UNIT;
    else if (key === 'medicationReference') met |= MEDICATION_REFERENCE;
    const child = value[key];
    if (child === null || typeof child !== 'object') continue;
    const next = walk(child, medications, checkOwn);
    if (next !== child) (copy ??= { ...value })[key] = next;
  }
  let out = copy ?? value;
  if (met === 0) return out;
  if (met & MEDICATION_REFERENCE) out = withMedicationResolved(out, medications, checkOwn);
  if (met & SYSTEM) out = withCanonicalSystem(out);
  if (met & CODING) out = withInterpretationTwins(out);
  if (met & UNIT) out = withUcumCode(out);
  return out;
}

function withMedicationResolved(value: Json, medications: MedicationIndex, checkOwn: boolean): Json {
  if (typeof value.resourceType !== 'string' || !MEDICATION_USERS.has(value.resourceType) || value.medicationCodeableConcept !== undefined) return value;
  const reference = isObject(value.medicationReference) ? value.medicationReference.reference : undefined;
  if (typeof reference !== 'string') return value;
  const medication = reference.startsWith('#') ? containedMedication(value, reference.slice(1)) : medications.find(reference);
  if (!medication || !isObject(medication.code)) return value;
  // Its code gets the same normalisation as everything else (a contained one already had it).
  const code = walk(medication.code, medications, checkOwn) as Json;
  const display = (value.medicationReference as Json).display;
  const { medicationReference: _reference, ...rest } = value;
  return { ...rest, medicationCodeableConcept: code.text === undefined && typeof display === 'string' ? { ...code, text: display } : code };
}

function containedMedication(resource: Json, id: string): Json | undefined {
  if (!Array.isArray(resource.contained)) return undefined;
  return resource.contained.find((c): c is Json => isObject(c) && c.resourceType === 'Medication' && c.id === id);
}

/** A Coding's system in canonical form (its codings' systems were made canonical on the way down). */
function withCanonicalSystem(value: Json): Json {
  if (typeof value.system !== 'string' || typeof value.code !== 'string') return value;
  const system = canonicalSystemOf(value.system);
  return system === value.system ? value : { ...value, system };
}

/** A CodeableConcept with each v2-0078 interpretation coding also given as its v3 twin. */
function withInterpretationTwins(value: Json): Json {
  if (!Array.isArray(value.coding)) return value;
  const codings = value.coding as unknown[];
  if (!codings.some((c) => isObject(c) && c.system === V2_0078)) return value;
  const twins = codings.filter((c): c is Json => isObject(c) && c.system === V2_0078 && typeof c.code === 'string' && INTERPRETATION_SAME_CODES.has(c.code));
  const missing = twins.filter((t) => !codings.some((c) => isObject(c) && c.system === V3_OBSERVATION_INTERPRETATION && c.code === t.code));
  return missing.length === 0 ? value : { ...value, coding: [...codings, ...missing.map((t) => ({ ...t, system: V3_OBSERVATION_INTERPRETATION }))] };
}

/**
 * `answer` remembered for the first 10,000 strings it is asked about, for the life of the
 * process: EHRs send few distinct systems and units, each thousands of times a call.
 */
function remembered<T extends NonNullable<unknown>>(answer: (key: string) => T): (key: string) => T {
  const known = new Map<string, T>();
  return (key) => {
    // One lookup per Coding of the call (the answers are never undefined).
    const had = known.get(key);
    if (had !== undefined) return had;
    const value = answer(key);
    if (known.size < 10_000) known.set(key, value);
    return value;
  };
}

const canonicalSystemOf = remembered(canonicalSystem);

const ucumUtils = ucum.UcumLhcUtils.getInstance();
const validUcum = (unit: string) => ucumUtils.validateUnitString(unit, false).status === 'valid';

/** Whether a unit string can be taken as its UCUM code. */
export const isUnambiguousUcum = remembered((unit) => {
  const shouting = /[A-Z]/.test(unit) && unit === unit.toUpperCase() && unit !== unit.toLowerCase();
  return unit.length > 0 && unit.length <= 64 && validUcum(unit) && !(shouting && validUcum(unit.toLowerCase()));
});

function withUcumCode(value: Json): Json {
  if (typeof value.value !== 'number' || typeof value.unit !== 'string' || value.code !== undefined) return value;
  if (value.system !== undefined && value.system !== UCUM) return value;
  return isUnambiguousUcum(value.unit) ? { ...value, system: UCUM, code: value.unit } : value;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
