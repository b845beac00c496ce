/**
 * Bounds on the shape of one call's input, checked before anything walks it: entries per Bundle,
 * `selections`, and resources in the whole call (context bundles plus prefetch). The byte limit
 * on the body alone does not bound the work: 5 MB of small resources is 50,000 of them, and
 * every rule walks them. Over a bound the call is answered 413 naming the field.
 */
import { HttpError } from './errors.ts';

export interface InputBounds {
  /** Entries in any one Bundle (a context field such as `draftOrders`, or a prefetch value). */
  maxBundleEntries: number;
  /** Items in a list context field (`selections`, `dispatchedOrders`, `fulfillmentTasks`). */
  maxSelections: number;
  /** Resources in the whole call: every Bundle entry and every single resource. */
  maxResources: number;
}

const tooCostly = (field: string, message: string) => new HttpError(413, { field, message, code: 'too-costly' });

/**
 * Throws HttpError 413 naming the first field over a bound. Works on the parsed body before it is
 * validated: anything that is not the shape it counts is left to the schema to name.
 */
export function checkInputBounds(body: Record<string, unknown>, bounds: InputBounds): void {
  let resources = 0;
  const count = (value: unknown, field: string) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return;
    const record = value as { resourceType?: unknown; entry?: unknown };
    if (record.resourceType === 'Bundle' && Array.isArray(record.entry)) {
      if (record.entry.length > bounds.maxBundleEntries) {
        throw tooCostly(`${field}.entry`, `has ${record.entry.length} entries; at most ${bounds.maxBundleEntries} are accepted in one Bundle`);
      }
      resources += record.entry.length;
    } else if (typeof record.resourceType === 'string') {
      resources += 1;
    }
  };
  const context = body.context;
  if (context && typeof context === 'object' && !Array.isArray(context)) {
    for (const [name, value] of Object.entries(context)) {
      // `selections`, order-dispatch's `dispatchedOrders` and `fulfillmentTasks`: lists of one bound.
      if (Array.isArray(value)) {
        if (value.length > bounds.maxSelections) throw tooCostly(`context.${name}`, `has ${value.length} items; at most ${bounds.maxSelections} are accepted`);
        value.forEach((item, i) => count(item, `context.${name}[${i}]`));
      } else count(value, `context.${name}`);
    }
  }
  const prefetch = body.prefetch;
  if (prefetch && typeof prefetch === 'object' && !Array.isArray(prefetch)) {
    for (const [key, value] of Object.entries(prefetch)) count(value, `prefetch.${key}`);
  }
  if (resources > bounds.maxResources) {
    throw tooCostly('prefetch', `the call carries ${resources} resources (context and prefetch together); at most ${bounds.maxResources} are accepted`);
  }
}
