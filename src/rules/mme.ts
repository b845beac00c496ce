/**
 * Morphine milligram equivalents per day (MME/day) of opioid MedicationRequests, for the CDC 2022
 * opioid recommendations (4/5 "lowest effective dose", 8 "naloxone").
 *
 * Follows the CDC Opioid Prescribing Support IG's calculator (cqframework/opioid-cds-r4,
 * MMECalculator/OMTKLogic) with the CDC 2022 guideline's
 * conversion factors, and these deliberate differences from the IG, each safer or closer to the
 * IG's stated intent:
 *
 * - factors: CDC 2022 (hydromorphone 5, methadone 4.7 flat, tramadol 0.2, tapentadol 0.4), where
 *   the IG uses 4, tiers 4/8/10/12, and no factor for tramadol/tapentadol (rules/data/mme-conversion-factors.json);
 * - a dose range counts at its high end (the IG as compiled drops it);
 * - `ug`/`mcg` doses are converted to mg (the IG would count them 1000x), `g` too;
 * - a volume dose other than mL/L, or an unknown unit, is not computable (the IG treats it as a count);
 * - a count dose (tablets) of a mg/mL product is not computable (the IG treats the count as mL);
 * - no timing at all counts as 1 dose a day (the IG computes 0 by accident; its comments say 1);
 *   a period without a frequency is once per period (FHIR's meaning when missing);
 *   `timing.code` (BID, Q6H, ...) is read when there is no `repeat`;
 * - a product with two rows of the same ingredient (two salts) is counted once for mass doses;
 * - a contained Medication (`medicationReference` to `#id`) is resolved;
 * - the Ionsys iontophoretic system (dose form 316987 but MG/ACTUAT) gets no patch factor.
 *
 * Runtime-neutral: no I/O; the tables come from rules/data/ through the compiler.
 */

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const UCUM = 'http://unitsofmeasure.org';
const ORDERABLE_DRUG_FORM = 'http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm';

/** rules/data/opioid-drug-strengths.json: the IG's OMTKData drug table. */
export const DRUG_STRENGTHS_TABLE = 'opioid-drug-strengths';
/** rules/data/mme-conversion-factors.json: CDC 2022 factors. */
export const CONVERSION_FACTORS_TABLE = 'mme-conversion-factors';

interface Ingredient {
  rxcui: string;
  strengthValue: number;
  strengthUnit: string;
}
interface Drug {
  code: string;
  doseFormCode: string;
  ingredients: Ingredient[];
}
interface FactorTable {
  factors: { rxcui: string; factor: number }[];
  transdermalFentanyl: { rxcui: string; doseFormCode: string; strengthUnit: string; factorPerMcgPerHour: number };
}

/** The two tables, indexed for lookups. */
export interface MmeTables {
  drugs: ReadonlyMap<string, Drug>;
  factors: ReadonlyMap<string, number>;
  patch: FactorTable['transdermalFentanyl'];
}

/** Why a data table cannot be used, or undefined when it has the shape the calculator reads. */
export function dataTableProblem(name: string, value: unknown): string | undefined {
  const v = value as Record<string, unknown> | null;
  if (name === DRUG_STRENGTHS_TABLE) {
    const drugs = v?.drugs;
    if (!Array.isArray(drugs)) return "expected 'drugs': an array of { code, doseFormCode, ingredients }";
    const bad = drugs.findIndex(
      (d) =>
        typeof d?.code !== 'string' ||
        typeof d?.doseFormCode !== 'string' ||
        !Array.isArray(d?.ingredients) ||
        !d.ingredients.every((i: Ingredient) => typeof i?.rxcui === 'string' && typeof i?.strengthValue === 'number' && typeof i?.strengthUnit === 'string'),
    );
    return bad >= 0 ? `drugs[${bad}] needs code, doseFormCode and ingredients of { rxcui, strengthValue, strengthUnit }` : undefined;
  }
  if (name === CONVERSION_FACTORS_TABLE) {
    const factors = v?.factors;
    if (!Array.isArray(factors) || !factors.every((f) => typeof f?.rxcui === 'string' && typeof f?.factor === 'number')) {
      return "expected 'factors': an array of { rxcui, factor }";
    }
    const patch = v?.transdermalFentanyl as Record<string, unknown> | undefined;
    if (typeof patch?.rxcui !== 'string' || typeof patch.doseFormCode !== 'string' || typeof patch.strengthUnit !== 'string' || typeof patch.factorPerMcgPerHour !== 'number') {
      return "expected 'transdermalFentanyl': { rxcui, doseFormCode, strengthUnit, factorPerMcgPerHour }";
    }
  }
  return undefined;
}

/** Indexes the tables; undefined when either is missing or malformed. */
export function mmeTables(data: ReadonlyMap<string, unknown>): MmeTables | undefined {
  const drugs = data.get(DRUG_STRENGTHS_TABLE);
  const factors = data.get(CONVERSION_FACTORS_TABLE);
  if (drugs === undefined || factors === undefined) return undefined;
  if (dataTableProblem(DRUG_STRENGTHS_TABLE, drugs) || dataTableProblem(CONVERSION_FACTORS_TABLE, factors)) return undefined;
  const f = factors as FactorTable;
  return {
    drugs: new Map((drugs as { drugs: Drug[] }).drugs.map((d) => [d.code, d])),
    factors: new Map(f.factors.map((x) => [x.rxcui, x.factor])),
    patch: f.transdermalFentanyl,
  };
}

type Json = Record<string, unknown>;
interface Quantity {
  value?: number;
  unit?: string;
  system?: string;
  code?: string;
}

/**
 * MME/day of one MedicationRequest, rounded to one decimal, or undefined when it cannot be
 * computed (product not in the table, no factor for any ingredient, unusable dose or timing).
 */
export function mmeOfRequest(request: Json, tables: MmeTables): number | undefined {
  const drug = productOf(request, tables);
  if (!drug) return undefined;
  const dosage = (request.dosageInstruction as Json[] | undefined)?.[0];
  if (!dosage) return undefined;
  const dose = orderedDose(dosage);
  const perDay = dosesPerDay(dosage.timing as Json | undefined);
  if (!dose || dose.value === undefined || perDay === undefined) return undefined;
  const unit = unitOf(dose);
  if (unit === null) return undefined;

  let total: number | undefined;
  for (const ingredient of mergeSalts(drug.ingredients)) {
    const mme = ingredientMme(drug, ingredient, dose.value, unit, perDay, tables);
    if (mme !== undefined) total = (total ?? 0) + round1(mme);
  }
  return total === undefined ? undefined : round1(total);
}

/** Sum of the computable requests' MME/day; undefined when none is computable. */
export function totalMme(requests: readonly Json[], tables: MmeTables): number | undefined {
  let total: number | undefined;
  for (const request of requests) {
    const mme = mmeOfRequest(request, tables);
    if (mme !== undefined) total = (total ?? 0) + mme;
  }
  return total === undefined ? undefined : round1(total);
}

function ingredientMme(drug: Drug, ingredient: Ingredient, doseValue: number, unit: DoseUnit, perDay: number, tables: MmeTables): number | undefined {
  const { patch } = tables;
  if (ingredient.rxcui === patch.rxcui && drug.doseFormCode === patch.doseFormCode) {
    // Patches: patches worn x rate (mg/h -> mcg/h) x factor; the change interval does not matter.
    if (ingredient.strengthUnit !== patch.strengthUnit || unit.kind !== 'count') return undefined;
    return doseValue * ingredient.strengthValue * 1000 * patch.factorPerMcgPerHour;
  }
  const factor = tables.factors.get(ingredient.rxcui);
  if (factor === undefined) return undefined;
  let mgPerDay: number | undefined;
  if (unit.kind === 'mass') {
    // The ordered mass is the opioid's (as in the IG), whatever else the product holds.
    mgPerDay = perDay * doseValue * unit.toMg;
  } else if (unit.kind === 'volume') {
    if (ingredient.strengthUnit !== 'MG/ML') return undefined;
    mgPerDay = perDay * doseValue * unit.toMl * ingredient.strengthValue;
  } else {
    // A count of units (tablets, capsules, sprays): strength per unit (MG, MG/ACTUAT).
    if (ingredient.strengthUnit === 'MG/ML' || ingredient.strengthUnit === 'MG/HR') return undefined;
    mgPerDay = perDay * doseValue * ingredient.strengthValue;
  }
  return mgPerDay * factor;
}

/** First RxNorm coding of the medication that is in the drug table (IG order of preference). */
function productOf(request: Json, tables: MmeTables): Drug | undefined {
  let concept = request.medicationCodeableConcept as Json | undefined;
  const reference = (request.medicationReference as Json | undefined)?.reference;
  if (!concept && typeof reference === 'string' && reference.startsWith('#')) {
    const contained = (request.contained as Json[] | undefined)?.find((r) => r.resourceType === 'Medication' && r.id === reference.slice(1));
    concept = contained?.code as Json | undefined;
  }
  for (const coding of (concept?.coding as Json[] | undefined) ?? []) {
    if (coding.system !== RXNORM || typeof coding.code !== 'string') continue;
    const drug = tables.drugs.get(coding.code);
    if (drug) return drug;
  }
  return undefined;
}

/** Two rows of one ingredient (two salts of oxycodone) are one ingredient of summed strength. */
function mergeSalts(ingredients: Ingredient[]): Ingredient[] {
  const byCode = new Map<string, Ingredient>();
  for (const i of ingredients) {
    const seen = byCode.get(i.rxcui);
    if (seen && seen.strengthUnit === i.strengthUnit) byCode.set(i.rxcui, { ...seen, strengthValue: seen.strengthValue + i.strengthValue });
    else if (!seen) byCode.set(i.rxcui, i);
  }
  return [...byCode.values()];
}

/** The ordered dose: doseAndRate entries untyped or typed 'ordered' (Epic sends several); a range's high end. */
function orderedDose(dosage: Json): Quantity | undefined {
  const entries = (dosage.doseAndRate as Json[] | undefined) ?? [];
  const ordered = entries.find((e) => {
    const type = e.type as Json | undefined;
    if (!type) return true;
    return type.text === 'ordered' || ((type.coding as Json[] | undefined) ?? []).some((c) => c.code === 'ordered');
  });
  if (!ordered) return undefined;
  const quantity = (ordered.doseQuantity ?? (ordered.doseRange as Json | undefined)?.high) as Quantity | undefined;
  return typeof quantity?.value === 'number' ? quantity : undefined;
}

type DoseUnit = { kind: 'mass'; toMg: number } | { kind: 'volume'; toMl: number } | { kind: 'count' };

// Maps, not object literals: the keys come from the request, and `'constructor' in {}` is true
// (a dose unit of `constructor` made the MME NaN; issue 13).
const MASS = new Map([['mg', 1], ['ug', 0.001], ['mcg', 0.001], ['g', 1000]]);
const VOLUME = new Map([['mL', 1], ['ml', 1], ['L', 1000]]);
const COUNT_WORDS = /^(tab|tablet|cap|capsule|patch|film|spray|actuation|lozenge|troche|suppository|each|unit|dose)s?$/i;

/** The dose unit: UCUM (or no system) reads `code`, then `unit`; orderable drug forms are counts. Null = unusable. */
function unitOf(q: Quantity): DoseUnit | null {
  if (q.system !== undefined && q.system !== UCUM && q.system !== ORDERABLE_DRUG_FORM) return null;
  const unit = q.code ?? q.unit;
  if (unit === undefined || unit === '1' || q.system === ORDERABLE_DRUG_FORM) return { kind: 'count' };
  const toMg = MASS.get(unit);
  if (toMg !== undefined) return { kind: 'mass', toMg };
  const toMl = VOLUME.get(unit);
  if (toMl !== undefined) return { kind: 'volume', toMl };
  if (/^\{[^}]*\}$/.test(unit) || COUNT_WORDS.test(unit) || /^[A-Z]{2,}$/.test(unit)) return { kind: 'count' };
  return null;
}

/** How many of each unit of time make a day (so 1 per 30 min is exactly 1 x 1440 / 30 = 48). */
const UNITS_PER_DAY = new Map<string, number>(Object.entries({
  s: 86400, second: 86400, seconds: 86400,
  min: 1440, minute: 1440, minutes: 1440,
  h: 24, hour: 24, hours: 24,
  d: 1, day: 1, days: 1,
  wk: 1 / 7, week: 1 / 7, weeks: 1 / 7,
  mo: 1 / 30, month: 1 / 30, months: 1 / 30,
  a: 1 / 365, year: 1 / 365, years: 1 / 365,
}));

/** FHIR timing abbreviations (v3 GTSAbbreviation) as doses per day, used when there is no repeat. */
const TIMING_CODES = new Map<string, number>(Object.entries({
  QD: 1, AM: 1, PM: 1, BED: 1, BID: 2, TID: 3, QID: 4, QOD: 0.5,
  Q1H: 24, Q2H: 12, Q3H: 8, Q4H: 6, Q6H: 4, Q8H: 3, WK: 1 / 7, MO: 1 / 30,
}));

/**
 * Doses per day: (frequencyMax or frequency) per period, the most aggressive schedule a PRN
 * order allows; else the number of timeOfDay entries; else timing.code; else 1 (no timing).
 */
export function dosesPerDay(timing: Json | undefined): number | undefined {
  const repeat = timing?.repeat as Json | undefined;
  if (repeat && (repeat.frequency !== undefined || repeat.frequencyMax !== undefined || repeat.period !== undefined)) {
    const frequency = (repeat.frequencyMax ?? repeat.frequency ?? 1) as number;
    const period = repeat.period as number | undefined;
    const perDay = UNITS_PER_DAY.get(String(repeat.periodUnit));
    if (typeof period !== 'number' || period <= 0 || perDay === undefined) {
      return Array.isArray(repeat.timeOfDay) && repeat.timeOfDay.length > 0 ? repeat.timeOfDay.length : undefined;
    }
    return (frequency * perDay) / period;
  }
  if (Array.isArray(repeat?.timeOfDay) && repeat.timeOfDay.length > 0) return repeat.timeOfDay.length;
  const code = ((timing?.code as Json | undefined)?.coding as Json[] | undefined)?.map((c) => TIMING_CODES.get(String(c.code))).find((n) => n !== undefined);
  return code ?? 1;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
