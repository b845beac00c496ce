/**
 * What a compiled expression gives back, and the JSON of it.
 *
 * fhirpath.js can answer two ways. Asked for JSON (its default, `resolveInternalTypes`), it
 * hands back the data and hides a `__path__` property on every object it returns, so that a
 * later expression reading the value as a variable still knows its FHIR type; that property
 * holds the whole evaluation (its context, its variables, the parent nodes: the call's data).
 * Measured at 500 resources (drug-interactions, the opioid + benzodiazepine card's values): a
 * call's data then outlived the call in the young generation, 0.4 MB promoted per call,
 * scavenges three times as long, and full collections on V8's helper threads. Asked for its
 * internal values, it hands back its nodes, which carry the same type information and change
 * no object. So rule expressions run for internal values: a define's value keeps the nodes of
 * its FHIR objects other than resources (the next expression reads the types from them, as it
 * would from `__path__`; a resource's type is its resourceType), and what leaves the evaluation
 * (conditions, card values, explanations) is made JSON here.
 */
import fhirpath from 'fhirpath';

/**
 * fhirpath.js's internal answer (`resolveInternalTypes: false`) made what its JSON answer would
 * be, except that an object keeps its node where fhirpath.js would have hidden `__path__` on it.
 * Its own types (dates, quantities, big integers) become their JSON as fhirpath.js makes them.
 */
export function asVariableValues(result: unknown[]): unknown[] {
  const values: unknown[] = [];
  for (const item of result) {
    const data: unknown = fhirpath.util.valData(item);
    if (data === null || data === undefined) continue;
    if (isPlainObjectLike(data) || Array.isArray(data)) {
      // A node with a path is what fhirpath.js would mark. A resource goes as its data: its type
      // is its resourceType, which fhirpath.js reads again, and the fast paths read lists of
      // plain resources. Anything else without a path fhirpath.js returns as data too.
      const resource = typeof (data as { resourceType?: unknown }).resourceType === 'string';
      values.push(data !== item && !resource && (item as { path?: unknown }).path ? item : data);
    } else {
      values.push(typeof data === 'object' || typeof data === 'bigint' ? fhirpath.resolveInternalTypes(data) : data);
    }
  }
  return values;
}

/** The JSON of FHIRPath values: each node's data, every other value as it is. */
export function jsonValues(values: unknown[]): unknown[] {
  let json: unknown[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const data: unknown = fhirpath.util.valData(values[i]);
    if (data !== values[i]) (json ??= values.slice())[i] = data;
  }
  return json ?? values;
}

/** JSON data, where fhirpath.js's own types are class instances. */
function isPlainObjectLike(value: unknown): value is object {
  if (!value || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
