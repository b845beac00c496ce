/**
 * The one limit on how deep a call's JSON may nest (CDS_MAX_JSON_DEPTH, counted from the body:
 * a scalar is 0, `[]` and `{}` are 1). V8's JSON.parse does not recurse, so a body a million
 * levels deep parses; what comes after does (FHIRPath, JSON.stringify, structuredClone,
 * normalise's walk) and would overflow the stack. Checked on every JSON body as it is parsed
 * (src/http/json-body.ts, before anything else reads it), and on each FHIR fallback response
 * as it is read (src/pipeline/fhir-client.ts: too deep, its key is unavailable).
 */
/**
 * The deepest array/object nesting of a parsed JSON value; stops counting once past `limit`, so
 * it never recurses deeper than `limit + 1` levels itself.
 */
export function nestingDepth(value: unknown, limit = Infinity): number {
  return deepestBelow(value, 0, limit, inheritsEnumerableKeys());
}

/**
 * Whether `for...in` over a plain object would also meet keys it does not own: never over
 * parsed JSON, unless something has added an enumerable property to Object.prototype. A walk
 * over parsed JSON checks each key only then (Object.hasOwn per key doubles the cost of
 * normalise's walk: 0.22 vs 0.11 ms over Debora709's 7,900 objects).
 */
export function inheritsEnumerableKeys(): boolean {
  for (const _ in Object.prototype) return true;
  return false;
}

function deepestBelow(value: unknown, above: number, limit: number, checkOwn: boolean): number {
  if (value === null || typeof value !== 'object') return above;
  const depth = above + 1;
  if (depth > limit) return depth;
  let deepest = depth;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === null || typeof item !== 'object') continue;
      const below = deepestBelow(item, depth, limit, checkOwn);
      if (below > deepest && (deepest = below) > limit) return deepest;
    }
    return deepest;
  }
  for (const key in value) {
    if (checkOwn && !Object.hasOwn(value, key)) continue;
    const child = (value as Record<string, unknown>)[key];
    if (child === null || typeof child !== 'object') continue;
    const below = deepestBelow(child, depth, limit, checkOwn);
    if (below > deepest && (deepest = below) > limit) return deepest;
  }
  return deepest;
}
