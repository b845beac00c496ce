/**
 * Prefetch templates: relative FHIR queries with `{{...}}` tokens (CDS Hooks 2.0, "Prefetch
 * tokens"). Tokens are `context.<field>` for a hook's prefetch-token fields, or one of the
 * `user*Id` tokens derived from `context.userId`.
 */
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

/** Why a token is not allowed for `hook`, or undefined when it is. */
export function tokenProblem(token: string, hook: HookName): string | undefined {
  if (Object.hasOwn(USER_TOKENS, token)) return undefined;
  const match = /^context\.([A-Za-z][A-Za-z0-9_]*)$/.exec(token);
  const fields = hookDefinition(hook).context;
  const allowed = Object.entries(fields)
    .filter(([, field]) => field.prefetchToken)
    .map(([name]) => `{{context.${name}}}`)
    .concat(Object.keys(USER_TOKENS).map((t) => `{{${t}}}`));
  if (!match) return `unknown prefetch token '{{${token}}}'; expected one of ${allowed.join(', ')}`;
  const field = fields[match[1]!];
  if (!field) return `hook '${hook}' has no context field '${match[1]}'; expected one of ${allowed.join(', ')}`;
  if (!field.prefetchToken) return `context.${match[1]} cannot be used as a prefetch token (only root-level ids can)`;
  return undefined;
}

/**
 * Fills a template's tokens from the request context. Returns `undefined` when a token has no
 * value in this request (an absent optional `encounterId`, or `{{userPatientId}}` when the user
 * is a Practitioner): the query cannot be made, so there is nothing to fetch.
 *
 * @example
 * expandTemplate('Patient/{{context.patientId}}', { patientId: '123' }) // 'Patient/123'
 */
export function expandTemplate(template: string, context: Record<string, unknown>): string | undefined {
  let missing = false;
  const out = template.replace(TOKEN, (_, name: string) => {
    const value = tokenValue(name, context);
    if (value === undefined) {
      missing = true;
      return '';
    }
    return typeof value === 'string' ? encodeTokenValue(value) : value.map(encodeTokenValue).join(',');
  });
  return missing ? undefined : out;
}

function tokenValue(name: string, context: Record<string, unknown>): string | string[] | undefined {
  if (Object.hasOwn(USER_TOKENS, name)) {
    const [type, id] = String(context.userId ?? '').split('/');
    return type === USER_TOKENS[name as UserToken] && id ? id : undefined;
  }
  const value = context[name.replace(/^context\./, '')];
  // A list of references (order-dispatch `dispatchedOrders`) is one comma-separated value, an
  // "or" in a search parameter (CDS Hooks 3.0 ballot, "Simpler FHIRPath support for Querystring Syntax").
  if (Array.isArray(value)) return value.length > 0 && value.every((v) => typeof v === 'string' && v !== '') ? (value as string[]) : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * A value is encoded for a URL, except `/`: a reference token (`{{context.userId}}`, the spec's
 * own example of a read) is `Type/id`, and `Practitioner%2F123` is a search, not that read.
 */
function encodeTokenValue(value: string): string {
  return encodeURIComponent(value).replaceAll('%2F', '/');
}
