/**
 * The one limit on how deep a call's JSON may nest (CDS_MAX_JSON_DEPTH, counted from the body:
 * a scalar is 0, `[]` and `{}` are 1). V8's JSON.parse does not recurse, so a body a million
 * levels deep parses; what comes after does (FHIRPath, JSON.stringify, normalise's walk) and
 * would overflow the stack. Where each part is checked:
 * - a hook call's `context` and `prefetch`, by normalise's walk (src/pipeline/normalise.ts): it
 *   visits every object of them anyway, so the check costs no pass of its own over the largest
 *   part of the body (a second walk cost 0.2 ms of a Synthea patient's 460 KB);
 * - the rest of a hook call's body, and every other JSON body, in src/http/json-body.ts;
 * - each FHIR fallback response, in src/pipeline/fhir-client.ts (too deep: the key is unavailable).
 */
import { badRequest, type HttpError } from './errors.ts';

/** The answer for a request body deeper than the limit. */
export const nestsTooDeep = (maxDepth: number): HttpError => badRequest(`the request body nests deeper than ${maxDepth} levels`);

/** Thrown by a walk that found its value deeper than it was allowed; the caller says whose it was. */
export class NestingTooDeep extends Error {
  override name = 'NestingTooDeep';
}

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
