/**
 * The values at a FHIRPath member path of plain FHIR JSON, as fhirpath.js with the R4 model finds
 * them: arrays flatten, and a name that is not a property of the object is a choice type
 * (`medication` is `medicationCodeableConcept` or `medicationReference`). The fast paths
 * (fast-paths.ts, fast-chain.ts) read resources with it.
 */
export function walk(values: unknown[], segments: readonly string[]): unknown[] {
  let current = values;
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const value of current) {
      if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
      const record = value as Record<string, unknown>;
      if (Object.hasOwn(record, segment)) addValue(next, record[segment]);
      else {
        for (const key of Object.keys(record)) if (isChoiceOf(key, segment)) addValue(next, record[key]);
      }
    }
    current = next;
  }
  return current;
}

/**
 * `visit` called with each value `walk([value], segments)` finds, in the same order, without
 * building the lists in between (the fast paths' code index reads every resource of a list this
 * way). Null items of an array are left out: `walk` keeps them only to drop them at the next step.
 */
export function forEachAt(value: unknown, segments: readonly string[], visit: (value: unknown) => void, from = 0): void {
  if (from === segments.length) return visit(value);
  if (!value || typeof value !== 'object' || Array.isArray(value)) return;
  const record = value as Record<string, unknown>;
  const segment = segments[from]!;
  if (Object.hasOwn(record, segment)) return visitValue(record[segment], segments, visit, from + 1);
  for (const key in record) if (isChoiceOf(key, segment) && Object.hasOwn(record, key)) visitValue(record[key], segments, visit, from + 1);
}

/** Whether `key` is a choice-type property of `name`: `name` and then a type (`medicationCodeableConcept`). */
function isChoiceOf(key: string, name: string): boolean {
  const rest = key.charCodeAt(name.length);
  return rest >= 65 && rest <= 90 && key.startsWith(name);
}

function visitValue(value: unknown, segments: readonly string[], visit: (value: unknown) => void, from: number): void {
  if (Array.isArray(value)) {
    for (const item of value) if (item !== undefined && item !== null) forEachAt(item, segments, visit, from);
  } else if (value !== undefined && value !== null) forEachAt(value, segments, visit, from);
}

/** A property's value onto a path's values: arrays flatten, absent values are none. */
function addValue(into: unknown[], value: unknown): void {
  if (Array.isArray(value)) into.push(...value);
  else if (value !== undefined && value !== null) into.push(value);
}

/** `a . b . c` as its names. */
export const segmentsOf = (path: string): string[] => path.split('.').map((s) => s.trim());

/**
 * Whether every item is a resource (an object with a string resourceType): what the fast paths
 * read. A define's value holds resources as plain data (fhirpath-values.ts), so this holds for it.
 */
export function isResourceList(value: readonly unknown[]): value is (Record<string, unknown> & { resourceType: string })[] {
  for (const item of value) {
    if (!item || typeof item !== 'object' || typeof (item as { resourceType?: unknown }).resourceType !== 'string') return false;
  }
  return true;
}
