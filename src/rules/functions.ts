/**
 * The clinical function library: functions rules call from FHIRPath as if they were built in.
 * Each one is small, synchronous and tested; the library grows by review, not rule by rule.
 *
 * | function | input | result |
 * |---|---|---|
 * | `inValueSet('id')` | Codings or CodeableConcepts | true when any coding is in the value set |
 * | `ageInYears()` | a date or dateTime (e.g. `birthDate`) | whole years from it to today |
 * | `ageInMonths()` | a date or dateTime | whole months from it to today |
 * | `pooledCohortRisk(sex, black, age, totalChol, hdl, systolic, bpTreated, diabetic, smoker)` | (none) | 10-year ASCVD risk in percent (2013 ACC/AHA); empty if any argument is empty or out of range |
 * | `mme()` | MedicationRequests | total MME/day (CDC 2022 factors, one decimal); empty when none is computable (mme.ts) |
 * | `supplyDays()` | a MedicationRequest | its expected supply duration in days (`1 mo` = 30); empty when absent |
 * | `daysCovered(from, to)` | MedicationRequests | days d, from <= d < to, covered by [authoredOn, authoredOn + supply) of any (supply.ts) |
 * | `hasIngredient('rxcui')` | Codings or CodeableConcepts | true when an RxNorm coding is that ingredient or a product (SCD, SBD, GPCK, BPCK) containing it, by rules/data/rxnorm-products.json (rxnorm.ts) |
 *
 * `mme()` reads the data tables rules/data/opioid-drug-strengths.json and
 * rules/data/mme-conversion-factors.json; the compiler reports a rule that calls it without them.
 */
import { localDate } from '../protocol/calendar.ts';
import fhirpath, { type UserInvocationTable } from 'fhirpath';
import { pooledCohortRisk } from './pooled-cohort.ts';
import { codeKey, ValueSetIndex } from './valuesets.ts';
import { CONVERSION_FACTORS_TABLE, DRUG_STRENGTHS_TABLE, mmeTables, totalMme } from './mme.ts';
import { daysCovered, supplyDays } from './supply.ts';
import { RXNORM_PRODUCTS_TABLE, rxnormIndex } from './rxnorm.ts';


/**
 * The variable under which a call hands its clock to the functions (a symbol, so no FHIRPath
 * `%name`, define or prefetch key can reach or shadow it). `ageInYears()` counts to this
 * instant, so one call sees one "today", the one its caller chose (rule tests pin it).
 */
export const CLOCK = Symbol('cds-rules.clock');

/** The data tables (rules/data/<name>.json) a function cannot work without. */
export const FUNCTION_DATA_TABLES: Readonly<Record<string, readonly string[]>> = {
  mme: [DRUG_STRENGTHS_TABLE, CONVERSION_FACTORS_TABLE],
  hasIngredient: [RXNORM_PRODUCTS_TABLE],
};

/** Data tables from rules/data/, by file name (JSON, read by the functions that need them). */
export type DataTables = ReadonlyMap<string, unknown>;

/**
 * The functions that are true when any coding of their input is one of a set of codes
 * (`codeKey(system, code)`): `inValueSet('vs')`, `hasIngredient('rxcui')`. fhirpath.js calls them
 * per item; the fast paths (fast-paths.ts) look the same sets up against a list's code index.
 * `undefined`: the function cannot run (no such value set, or no RxNorm table).
 */
export interface CodeTests {
  inValueSet(valueSet: string): ReadonlySet<string> | undefined;
  hasIngredient(rxcui: string): ReadonlySet<string> | undefined;
}

export function codeTests(valueSets: ValueSetIndex, data: DataTables = new Map()): CodeTests {
  // Indexed once per content load, not per call; an ingredient's codes once, when first asked.
  const rxnorm = rxnormIndex(data);
  const byIngredient = new Map<string, ReadonlySet<string>>();
  return {
    inValueSet: (valueSet) => valueSets.codes(valueSet),
    hasIngredient: (rxcui) => {
      if (!rxnorm) return undefined;
      let codes = byIngredient.get(rxcui);
      if (!codes) byIngredient.set(rxcui, (codes = new Set(rxnorm.codesWithIngredient(rxcui).map((code) => codeKey(RXNORM_SYSTEM, code)))));
      return codes;
    },
  };
}

/** True when any coding of the inputs is one of the codes (asked for only once there is a coding). */
function anyCoding(inputs: unknown[], codesOf: () => ReadonlySet<string>): boolean {
  let codes: ReadonlySet<string> | undefined;
  return inputs.some((item) => codingsOf(item).some((c) => (codes ??= codesOf()).has(codeKey(c.system, c.code))));
}

export function clinicalFunctions(valueSets: ValueSetIndex, data: DataTables = new Map(), tests: CodeTests = codeTests(valueSets, data)): UserInvocationTable {
  // Indexed once per content load, not per call.
  const tables = mmeTables(data);
  return {
    ...CLOCK_FUNCTIONS,
    inValueSet: {
      fn: (inputs: unknown[], id: unknown) =>
        anyCoding(inputs, () => {
          const codes = tests.inValueSet(String(id));
          if (!codes) throw new Error(`unknown value set '${String(id)}'`);
          return codes;
        }),
      arity: { 1: ['String'] },
    },
    ageInYears: {
      fn(this: FhirPathContext, inputs: unknown[]) {
        return wholeMonthsSince(singleDate(inputs, 'ageInYears'), callClock(this, 'ageInYears')).map((m) => Math.floor(m / 12));
      },
      arity: { 0: [] },
      // fhirpath.js passes its evaluation context (and so the call's variables) only to these.
      internalStructures: true,
    },
    pooledCohortRisk: {
      fn: (_inputs: unknown[], ...args: unknown[]) => {
        const [sex, black, age, totalCholesterol, hdl, systolic, treatedForHypertension, diabetic, smoker] = args.map(unwrap);
        if (sex !== 'female' && sex !== 'male') return [];
        const risk = pooledCohortRisk({
          sex,
          black: black === true,
          age: Number(age),
          totalCholesterol: Number(totalCholesterol),
          hdl: Number(hdl),
          systolic: Number(systolic),
          treatedForHypertension: treatedForHypertension === true,
          diabetic: diabetic === true,
          smoker: smoker === true,
        });
        return risk === undefined ? [] : [risk];
      },
      arity: { 9: ['String', 'Boolean', 'Number', 'Number', 'Number', 'Number', 'Boolean', 'Boolean', 'Boolean'] },
    },
    ageInMonths: {
      fn(this: FhirPathContext, inputs: unknown[]) {
        return wholeMonthsSince(singleDate(inputs, 'ageInMonths'), callClock(this, 'ageInMonths'));
      },
      arity: { 0: [] },
      internalStructures: true,
    },
    mme: {
      fn: (inputs: unknown[]) => {
        if (!tables) throw new Error(`mme() needs rules/data/${DRUG_STRENGTHS_TABLE}.json and ${CONVERSION_FACTORS_TABLE}.json`);
        const total = totalMme(medicationRequests(inputs), tables);
        return total === undefined ? [] : [total];
      },
      arity: { 0: [] },
    },
    hasIngredient: {
      fn: (inputs: unknown[], ingredient: unknown) => {
        const codes = tests.hasIngredient(String(ingredient));
        if (!codes) throw new Error(`hasIngredient() needs rules/data/${RXNORM_PRODUCTS_TABLE}.json`);
        return anyCoding(inputs, () => codes);
      },
      arity: { 1: ['String'] },
    },
    supplyDays: {
      fn: (inputs: unknown[]) => medicationRequests(inputs).flatMap((r) => supplyDays(r) ?? []),
      arity: { 0: [] },
    },
    daysCovered: {
      fn: (inputs: unknown[], from: unknown[], to: unknown[]) => {
        const start = singleDate(from, 'daysCovered');
        const end = singleDate(to, 'daysCovered');
        return start === undefined || end === undefined ? [] : [daysCovered(medicationRequests(inputs), start, end)];
      },
      arity: { 2: ['Any', 'Any'] },
    },
  };
}

/**
 * FHIRPath's own `now()`, `today()` and `timeOfDay()` read the call's clock too: fhirpath.js's
 * versions read the machine's, a second clock (a rule test pinned to a day would see two days).
 * They give the same values in the same form (local time with its offset) as fhirpath.js's,
 * built by fhirpath.js itself from the text, since it does not export its date-time types.
 */
const asDateTime = fhirpath.compile('%t.toDateTime()', undefined, { resolveInternalTypes: false }) as (r: unknown, v: { t: string }) => unknown[];
const asDate = fhirpath.compile('%t.toDate()', undefined, { resolveInternalTypes: false }) as (r: unknown, v: { t: string }) => unknown[];
const asTime = fhirpath.compile('%t.toTime()', undefined, { resolveInternalTypes: false }) as (r: unknown, v: { t: string }) => unknown[];

const CLOCK_FUNCTIONS: UserInvocationTable = {
  now: {
    fn(this: FhirPathContext) {
      const now = callClock(this, 'now');
      return asDateTime({}, { t: `${localDate(now)}T${localTime(now)}${localOffset(now)}` });
    },
    arity: { 0: [] },
    internalStructures: true,
  },
  today: {
    fn(this: FhirPathContext) {
      return asDate({}, { t: localDate(callClock(this, 'today')) });
    },
    arity: { 0: [] },
    internalStructures: true,
  },
  timeOfDay: {
    fn(this: FhirPathContext) {
      return asTime({}, { t: localTime(callClock(this, 'timeOfDay')) });
    },
    arity: { 0: [] },
    internalStructures: true,
  },
};

const two = (n: number, width = 2) => String(n).padStart(width, '0');
const localTime = (d: Date) => `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}${d.getMilliseconds() ? `.${two(d.getMilliseconds(), 3)}` : ''}`;
/** fhirpath.js writes a zero offset as `-00:00`; so do we, so that values read the same. */
function localOffset(d: Date): string {
  const offset = d.getTimezoneOffset();
  const minutes = Math.abs(offset);
  return `${offset < 0 ? '+' : '-'}${two(Math.floor(minutes / 60))}:${two(minutes % 60)}`;
}

/** The part of fhirpath.js's evaluation context a function with `internalStructures` reads. */
interface FhirPathContext {
  vars?: Record<string | symbol, unknown>;
}

function callClock(ctx: FhirPathContext, name: string): Date {
  const now = ctx.vars?.[CLOCK];
  // No fallback to the machine's clock: a second clock is how "today" drifts within a call.
  if (!(now instanceof Date)) throw new Error(`${name}() needs the call's clock (evaluate with EvaluationInput.now)`);
  return now;
}

/** Our FHIRPath extensions by name: the keys of the one table above (fhirpath.js's own clock
 * functions, which we only re-seat on the call's clock, are not extensions), for the authoring checks. */
export const CLINICAL_FUNCTION_NAMES: readonly string[] = Object.keys(clinicalFunctions(new ValueSetIndex())).filter((name) => !Object.hasOwn(CLOCK_FUNCTIONS, name));

function medicationRequests(inputs: unknown[]): Record<string, unknown>[] {
  return inputs.map(unwrap).filter((r): r is Record<string, unknown> => (r as { resourceType?: unknown } | null)?.resourceType === 'MedicationRequest');
}

const RXNORM_SYSTEM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

interface CodingLike {
  system: string;
  code: string;
}

/** The codings an item carries: itself when it is a Coding, its `coding` when a CodeableConcept. */
export function codingsOf(item: unknown): CodingLike[] {
  const found: CodingLike[] = [];
  forEachCoding(item, (system, code) => void found.push({ system, code }));
  return found;
}

/** `visit` with the system and code of each Coding `codingsOf` finds, without listing them. */
export function forEachCoding(item: unknown, visit: (system: string, code: string) => void): void {
  const value = unwrap(item);
  if (!value || typeof value !== 'object') return;
  const record = value as Record<string, unknown>;
  if (typeof record.system === 'string' && typeof record.code === 'string') return visit(record.system, record.code);
  if (Array.isArray(record.coding)) for (const coding of record.coding) forEachCoding(coding, visit);
}

function singleDate(inputs: unknown[], name: string): string | undefined {
  if (inputs.length === 0) return undefined;
  if (inputs.length > 1) throw new TypeError(`${name}() expects one date, got ${inputs.length}`);
  const value = unwrap(inputs[0]);
  const text = typeof value === 'string' ? value : value != null ? String(value) : '';
  if (!/^\d{4}(-\d{2}(-\d{2})?)?/.test(text)) throw new TypeError(`${name}() expects a date`);
  return text;
}

/** Whole calendar months from an ISO date to `now` (UTC), or an empty collection. */
export function wholeMonthsSince(isoDate: string | undefined, now: Date): number[] {
  if (!isoDate) return [];
  const [y, m = 1, d = 1] = isoDate.slice(0, 10).split('-').map(Number) as [number, number?, number?];
  let months = (now.getUTCFullYear() - y) * 12 + (now.getUTCMonth() + 1 - m);
  if (now.getUTCDate() < d) months -= 1;
  return [months];
}

/** fhirpath.js hands user functions either plain JSON or its own node wrappers. */
function unwrap(item: unknown): unknown {
  if (item && typeof item === 'object' && 'data' in item && 'path' in item) return (item as { data: unknown }).data;
  return item;
}
