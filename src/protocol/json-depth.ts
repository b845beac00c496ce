/**
 * The one limit on how deep a call's JSON may nest (CDS_MAX_JSON_DEPTH, counted from the body:
 * a scalar is 0, `[]` and `{}` are 1). V8's JSON.parse does not recurse, so a body a million
 * levels deep parses; what comes after does (FHIRPath, JSON.stringify, structuredClone,
 * normalise's walk) and would overflow the stack. Checked on every JSON body as it is parsed
 * (src/http/json-body.ts, before anything else reads it), and on each FHIR fallback response
 * as it is read (src/pipeline/fhir-client.ts: too deep, its key is unavailable).
 */
import { badRequest, type HttpError } from './errors.ts';

/** The answer for a request body deeper than the limit. */
export const nestsTooDeep = (maxDepth: number): HttpError => badRequest(`the request body nests deeper than ${maxDepth} levels`);

/**
 * The deepest array/object nesting of a parsed JSON value; stops counting once past `limit`, so
 * it never recurses deeper than `limit + 1` levels itself.
 */
export function nestingDepth(value: unknown, limit = Infinity): number {
  return deepestBelow(value, 0, limit);
}

function deepestBelow(value: unknown, above: number, limit: number): number {
  if (value === null || typeof value !== 'object') return above;
  const depth = above + 1;
  if (depth > limit) return depth;
  let deepest = depth;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === null || typeof item !== 'object') continue;
      const below = deepestBelow(item, depth, limit);
      if (below > deepest && (deepest = below) > limit) return deepest;
    }
    return deepest;
  }
  for (const key in value) {
    const child = (value as Record<string, unknown>)[key];
    if (child === null || typeof child !== 'object') continue;
    const below = deepestBelow(child, depth, limit);
    if (below > deepest && (deepest = below) > limit) return deepest;
  }
  return deepest;
}
