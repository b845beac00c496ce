/**
 * Prefetch templates: relative FHIR queries with `{{...}}` tokens. A token is one of:
 *
 * - `context.<field>` for a hook's prefetch-token fields, or one of the `user*Id` tokens derived
 *   from `context.userId` (CDS Hooks 2.0, "Prefetch tokens");
 * - CDS Hooks 3.0 ballot (STU, "Prefetch tokens containing Simpler FHIRPath"): `today()`, with
 *   `+` or `-` a whole number of `days` ("Simple FHIRPath for Relative Dates"), and a path into a
 *   context field that holds resources, `context.draftOrders.entry.resource.ofType(MedicationRequest).id`
 *   (element names and `ofType(<FHIR resource type>)`); a path's values are joined with commas,
 *   an "or" in a search parameter. Tokens that read other prefetch results (`%key...`) and
 *   `resolve()` are experimental in the ballot and refused here.
 *
 * The same checks hold for every form: a rule file whose template uses a token the hook cannot
 * fill is refused at load, `path:line:col` at the token.
 */
import r4 from 'fhirpath/fhir-context/r4';
import { localDateAfter } from './calendar.ts';
import { type HookName, hookDefinition, USER_TOKENS, type UserToken } from './hooks.ts';

const TOKEN = /\{\{\s*([^{}]*?)\s*\}\}/g;

export interface TemplateToken {
  name: string;
  /** 0-based offset of `{{` in the template. */
  offset: number;
}

export function tokensOf(template: string): TemplateToken[] {
  return [...template.matchAll(TOKEN)].map((m) => ({ name: m[1]!, offset: m.index }));
}

type PathStep = { element: string } | { ofType: string };

/** A token as the expander reads it. */
type ParsedToken =
  | { kind: 'user'; name: UserToken }
  | { kind: 'context'; field: string; path: PathStep[] }
  | { kind: 'today'; days: number };

const TODAY = /^today\(\)(?:\s*([+-])\s*(\d{1,5})\s*([a-z]+))?$/;
const STEP = /^(?:([a-z][A-Za-z0-9_]*)|ofType\(([A-Za-z][A-Za-z0-9]*)\))$/;

/** A token's form, or why it has none we know. Hook-independent: `tokenProblem` adds the hook's checks. */
function parseToken(token: string): ParsedToken | string {
  if (Object.hasOwn(USER_TOKENS, token)) return { kind: 'user', name: token as UserToken };
  const today = TODAY.exec(token);
  if (today) {
    if (today[3] && today[3] !== 'days' && today[3] !== 'day') {
      return `only days can be added to or subtracted from today() in a prefetch token (CDS Hooks 3.0), e.g. {{today() - 90 days}}; got '${today[3]}'`;
    }
    return { kind: 'today', days: today[1] === '-' ? -Number(today[2]) : Number(today[2] ?? 0) };
  }
  if (token.startsWith('%')) return `a prefetch token may not read another prefetch result ('{{${token}}}': experimental in CDS Hooks 3.0, not supported)`;
  if (!token.startsWith('context.')) return `unknown prefetch token '{{${token}}}'`;
  const [field, ...rest] = splitPath(token.slice('context.'.length));
  if (!field || !/^[A-Za-z][A-Za-z0-9_]*$/.test(field)) return `unknown prefetch token '{{${token}}}'`;
  const path: PathStep[] = [];
  for (const step of rest) {
    const m = STEP.exec(step);
    if (!m) return `'${step}' in '{{${token}}}' is not an element name or ofType(<resource type>) (the FHIRPath a prefetch token may use: paths and ofType())`;
    if (m[2] && !isResourceType(m[2])) return `ofType(${m[2]}) in '{{${token}}}': '${m[2]}' is not a FHIR R4 resource type`;
    path.push(m[1] ? { element: m[1] } : { ofType: m[2]! });
  }
  return { kind: 'context', field, path };
}

/** `a.b.ofType(X).c` -> ['a', 'b', 'ofType(X)', 'c'] (ofType's argument has no dots). */
function splitPath(path: string): string[] {
  return path.split('.').map((s) => s.trim());
}

function isResourceType(name: string): boolean {
  for (let type: string | undefined = name; type; type = r4.type2Parent[type]) {
    if (type === 'Resource') return name !== 'Resource' && name !== 'DomainResource';
  }
  return false;
}

/** Why a token is not allowed for `hook`, or undefined when it is. */
export function tokenProblem(token: string, hook: HookName): string | undefined {
  const fields = hookDefinition(hook).context;
  const allowed = Object.entries(fields)
    .filter(([, field]) => field.prefetchToken)
    .map(([name]) => `{{context.${name}}}`)
    .concat(Object.keys(USER_TOKENS).map((t) => `{{${t}}}`), '{{today() - N days}}');
  const parsed = parseToken(token);
  if (typeof parsed === 'string') return `${parsed}; expected one of ${allowed.join(', ')}`;
  if (parsed.kind !== 'context') return undefined;
  const field = fields[parsed.field];
  if (!field) return `hook '${hook}' has no context field '${parsed.field}'; expected one of ${allowed.join(', ')}`;
  if (parsed.path.length === 0) {
    return field.prefetchToken ? undefined : `context.${parsed.field} cannot be used as a prefetch token (only root-level ids can; a path into it can, e.g. {{context.${parsed.field}.entry.resource.id}})`;
  }
  if (field.kind !== 'bundle' && field.kind !== 'resource' && field.kind !== 'resources') {
    return `context.${parsed.field} holds no resources to traverse into; use {{context.${parsed.field}}}`;
  }
  return undefined;
}

/**
 * Fills a template's tokens from the request context and the call's clock. Returns `undefined`
 * when a token has no value in this request (an absent optional `encounterId`,
 * `{{userPatientId}}` when the user is a Practitioner, a path that finds nothing): the query
 * cannot be made, so there is nothing to fetch.
 *
 * @example
 * expandTemplate('Patient/{{context.patientId}}', { patientId: '123' }, now) // 'Patient/123'
 */
export function expandTemplate(template: string, context: Record<string, unknown>, now: Date): string | undefined {
  let missing = false;
  const out = template.replace(TOKEN, (_, name: string) => {
    const value = tokenValue(name, context, now);
    if (value === undefined) {
      missing = true;
      return '';
    }
    return typeof value === 'string' ? encodeTokenValue(value) : value.map(encodeTokenValue).join(',');
  });
  return missing ? undefined : out;
}

function tokenValue(name: string, context: Record<string, unknown>, now: Date): string | string[] | undefined {
  const parsed = parseToken(name);
  // Templates are checked at load; one that is not (an inline test) has nothing to fill.
  if (typeof parsed === 'string') return undefined;
  switch (parsed.kind) {
    case 'user': {
      const [type, id] = String(context.userId ?? '').split('/');
      return type === USER_TOKENS[parsed.name] && id ? id : undefined;
    }
    case 'today':
      return localDateAfter(now, parsed.days);
    case 'context': {
      const values = walk([context[parsed.field]], parsed.path);
      // A list of references (order-dispatch `dispatchedOrders`) or a path's values are one
      // comma-separated value, an "or" in a search parameter (CDS Hooks 3.0 ballot, "Simpler
      // FHIRPath support for Querystring Syntax").
      const strings = [...new Set(values.filter((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean').map(String))].filter((v) => v !== '');
      if (strings.length === 0) return undefined;
      return parsed.path.length === 0 && typeof context[parsed.field] === 'string' ? strings[0] : strings;
    }
  }
}

/** A FHIRPath path walk over JSON: element names flatten lists, ofType keeps resources of that type. */
function walk(values: unknown[], path: readonly PathStep[]): unknown[] {
  let current = values.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== undefined && v !== null);
  for (const step of path) {
    current =
      'ofType' in step
        ? current.filter((v) => typeof v === 'object' && (v as { resourceType?: unknown }).resourceType === step.ofType)
        : current.flatMap((v) => {
            const child = typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[step.element] : undefined;
            return child === undefined || child === null ? [] : Array.isArray(child) ? child : [child];
          });
  }
  return current;
}

/**
 * A value is encoded for a URL, except `/`: a reference token (`{{context.userId}}`, the spec's
 * own example of a read) is `Type/id`, and `Practitioner%2F123` is a search, not that read.
 */
function encodeTokenValue(value: string): string {
  return encodeURIComponent(value).replaceAll('%2F', '/');
}

/**
 * Why a template's query parameters are wrong, or undefined: `_maxresults` (CDS Hooks 3.0
 * ballot, "Prefetch query restrictions": "to limit the total number of results returned") must be
 * a positive whole number, on a search.
 */
export function queryProblem(template: string): string | undefined {
  const q = template.indexOf('?');
  const values = new URLSearchParams(q < 0 ? '' : template.slice(q + 1)).getAll('_maxresults');
  if (values.length === 0) return undefined;
  if (values.length > 1) return '_maxresults is given more than once';
  if (!/^[1-9]\d{0,5}$/.test(values[0]!)) return `_maxresults must be a positive whole number, not '${values[0]}'`;
  return undefined;
}

/** The `_maxresults` of a query, if it has one. */
export function maxResultsOf(query: string): number | undefined {
  const q = query.indexOf('?');
  const value = q < 0 ? null : new URLSearchParams(query.slice(q + 1)).get('_maxresults');
  return value && /^\d+$/.test(value) ? Number(value) : undefined;
}
