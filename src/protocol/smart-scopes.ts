/**
 * SMART on FHIR scopes, as a CDS client grants them in `fhirAuthorization.scope`, and whether they
 * cover a prefetch query, so the FHIR fallback never asks for what the token cannot read.
 *
 * Forms (SMART App Launch 2.2.0, "Scopes and Launch Context", hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html):
 * - v1: `patient/Observation.read`, `user/*.read`, `system/Patient.*` (`read`, `write`, `*`);
 * - v2: `patient/Observation.rs`, `user/*.cruds`, with the permissions in the order c, r, u, d, s,
 *   and optionally `?param=value&...` restricting it to searches with those parameters
 *   (`patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory`).
 * Other scopes (`openid`, `fhirUser`, `launch/patient`, `offline_access`) grant no resource access
 * and are ignored. `patient/`, `user/` and `system/` all grant the type: the queries the service
 * makes are about the patient in context, and the FHIR server enforces the rest.
 */

export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

export interface ResourceScope {
  context: 'patient' | 'user' | 'system';
  /** A resource type, or `*` for all. */
  type: string;
  permissions: ReadonlySet<Permission>;
  /** v2 query restriction: each parameter and the value it must have. */
  query?: ReadonlyArray<readonly [string, string]>;
}

const V1 = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]+)\.(read|write|\*)$/;
const V2 = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]+)\.(c?r?u?d?s?)(\?.*)?$/;

/** The resource scopes of a space-separated scope string; anything else in it is ignored. */
export function parseScopes(scope: string): ResourceScope[] {
  const scopes: ResourceScope[] = [];
  for (const item of scope.split(/\s+/).filter(Boolean)) {
    const v1 = V1.exec(item);
    if (v1) {
      const permissions: Permission[] = v1[3] === 'read' ? ['r', 's'] : v1[3] === 'write' ? ['c', 'u', 'd'] : ['c', 'r', 'u', 'd', 's'];
      scopes.push({ context: v1[1] as ResourceScope['context'], type: v1[2]!, permissions: new Set(permissions) });
      continue;
    }
    const v2 = V2.exec(item);
    if (v2 && v2[3]) {
      const query = v2[4] ? [...new URLSearchParams(v2[4].slice(1))].map(([k, v]) => [k, v] as const) : undefined;
      scopes.push({
        context: v2[1] as ResourceScope['context'],
        type: v2[2]!,
        permissions: new Set(v2[3].split('') as Permission[]),
        ...(query && query.length > 0 ? { query } : {}),
      });
    }
  }
  return scopes;
}

/**
 * Why the scopes do not cover a relative FHIR query (`Type/id` is a read, `Type?...` a search),
 * or undefined when they do. A query-restricted v2 scope covers a search only when the search
 * has each of its parameters with exactly that value; it never covers a read by id, whose
 * resource the service cannot know matches. `_include=Source:param:Target` needs Target too.
 */
export function scopeProblem(scopes: readonly ResourceScope[], query: string): string | undefined {
  const match = /^([A-Z][A-Za-z]+)(\/[^?]*)?(\?.*)?$/.exec(query);
  if (!match) return undefined; // not a query of ours to judge; the server decides
  const type = match[1]!;
  const isRead = !!match[2] && match[2].length > 1;
  const params = [...new URLSearchParams(match[3]?.slice(1) ?? '')];
  const need: Permission = isRead ? 'r' : 's';
  const problems: string[] = [];
  if (!covers(scopes, type, need, params)) problems.push(`${type} (${isRead ? 'read' : 'search'})`);
  for (const [name, value] of params) {
    if (name !== '_include' && name !== '_revinclude') continue;
    const target = value.split(':')[name === '_include' ? 2 : 0];
    if (target && /^[A-Z]/.test(target) && !covers(scopes, target, 'r', []) && !covers(scopes, target, 's', [])) problems.push(`${target} (${name})`);
  }
  return problems.length > 0 ? `the granted scopes do not cover ${problems.join(', ')}` : undefined;
}

function covers(scopes: readonly ResourceScope[], type: string, need: Permission, params: ReadonlyArray<readonly [string, string]>): boolean {
  return scopes.some((scope) => {
    if (scope.type !== '*' && scope.type !== type) return false;
    if (!scope.permissions.has(need)) return false;
    if (!scope.query) return true;
    if (need !== 's') return false;
    return scope.query.every(([name, value]) => params.some(([n, v]) => n === name && v === value));
  });
}
