/**
 * One call's FHIRPath variables, in layers: a rule's own defines on top of the service's
 * variables (context, prefetch, service defines), or a fast path's inner results on top of
 * those. A layer answers what it holds, values given or computed on first read, and passes any
 * other name down to the layer beneath.
 *
 * Why not prototypes and getters, the obvious way (`Object.create(serviceVars)` with
 * `Object.defineProperty(vars, name, { get })`): V8 keeps what describes a prototype and an
 * accessor pair in the old generation. A per-call object used as a prototype, or a getter
 * closure made per call, is then pointed at from there, so every young-generation collection
 * found the whole call's data reachable, copied it and promoted it, long after the call had
 * ended; the heap grew until a full collection. Measured at 500 resources (drug-interactions):
 * each scavenge copied and promoted about 4 MB, 6-20 ms, every 3-4 calls. A Proxy over a plain
 * object keeps every pointer young-to-old, and a finished call's data dies young.
 *
 * @example
 * const service = layer(undefined, { context, patientId }, new Map([['age', () => [42]]]));
 * const rule = layer(service, {}, new Map([['adult', () => [true]]]));
 * rule.adult; // [true] (computed now, kept)
 * rule.patientId; // from the layer beneath
 * 'age' in rule; // true
 */

/** A variable computed on first read: it must keep its own result (the layer does not). */
export type LazyValue = () => unknown;

interface Layer {
  values: Record<string | symbol, unknown>;
  lazy: ReadonlyMap<string | symbol, LazyValue> | undefined;
  beneath: Record<string | symbol, unknown> | undefined;
}

// One handler for every layer: it holds nothing of any call.
const HANDLER: ProxyHandler<Layer> = {
  get(layer, name) {
    if (Object.hasOwn(layer.values, name)) return layer.values[name];
    const lazy = layer.lazy?.get(name);
    if (lazy) return lazy();
    return layer.beneath?.[name];
  },
  has(layer, name) {
    return Object.hasOwn(layer.values, name) || (layer.lazy?.has(name) ?? false) || (layer.beneath !== undefined && name in layer.beneath);
  },
};

/**
 * Variables `values` and `lazy` over `beneath` (the names of this layer hide the same names
 * beneath). Lazy values run at each read: memoise inside them.
 */
export function layer(
  beneath: Record<string | symbol, unknown> | undefined,
  values: Record<string | symbol, unknown>,
  lazy?: ReadonlyMap<string | symbol, LazyValue>,
): Record<string, unknown> {
  return new Proxy({ values, lazy, beneath }, HANDLER) as unknown as Record<string, unknown>;
}
