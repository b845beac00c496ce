/**
 * Reading a request body as JSON, refusing what would cost us rather than the caller: a non-JSON
 * content type (415), bytes that are not UTF-8 (RFC 8259 requires it), nesting deeper than the
 * limit (later recursive code, FHIRPath and JSON.stringify included, could overflow the stack),
 * and text that does not parse (400).
 */
import { badRequest, HttpError } from '../protocol/errors.ts';

const JSON_TYPE = /^application\/([a-z.+-]*\+)?json\b/i;

export async function readJsonBody(req: Request, maxDepth: number): Promise<unknown> {
  return parseJsonBody(req.headers.get('content-type'), await req.arrayBuffer(), maxDepth);
}

/**
 * The same checks over a body's bytes already read (an evaluation worker gets the bytes, not the
 * request): the content type first, so a 415 never costs a decode.
 */
export function parseJsonBody(contentType: string | null | undefined, bytes: ArrayBuffer | Uint8Array, maxDepth: number): unknown {
  if (contentType && !JSON_TYPE.test(contentType)) {
    throw new HttpError(415, { message: `content-type must be application/json, not '${contentType.slice(0, 100)}'`, code: 'not-supported' });
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw badRequest('the request body is not valid UTF-8');
  }
  const depth = nestingDepth(text, maxDepth);
  if (depth > maxDepth) throw badRequest(`the request body nests deeper than ${maxDepth} levels`);
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('the request body is not valid JSON');
  }
}

// Fatal: bytes that are not UTF-8 are refused, not replaced. One decoder (decode() without
// `stream` keeps no state between calls).
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The deepest array/object nesting in JSON text, without parsing it (a loop, no recursion);
 * stops counting once past `limit`. Brackets inside strings do not count. Strings (most of a
 * FHIR body) are skipped with `indexOf` to their closing quote, one not preceded by an odd
 * number of backslashes, rather than read a character at a time.
 */
export function nestingDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34 /* " */) {
      let end = i;
      for (;;) {
        end = text.indexOf('"', end + 1);
        // Unterminated: nothing after it counts (JSON.parse refuses the text anyway).
        if (end === -1) return deepest;
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 92 /* \ */) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      i = end;
    } else if (ch === 123 /* { */ || ch === 91 /* [ */) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (ch === 125 /* } */ || ch === 93 /* ] */) depth--;
  }
  return deepest;
}
