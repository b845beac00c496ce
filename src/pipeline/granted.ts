/**
 * What the call's `fhirAuthorization` lets the FHIR fallback ask for. With a `scope`, a query it
 * does not cover is not sent (the server would refuse it, or worse, the service would read what
 * it was not granted); without one (a leniency: EHRs differ) the server alone decides.
 */
import type { HookRequest } from '../protocol/request.ts';
import { parseScopes, scopeProblem } from '../protocol/smart-scopes.ts';

/** Why `query` is not covered by the call's granted scopes, or undefined when it may be sent. */
export type ScopeCheck = (query: string) => string | undefined;

export function grantedScopes(request: HookRequest): ScopeCheck {
  const scope = request.fhirAuthorization?.scope;
  if (scope === undefined) return () => undefined;
  const scopes = parseScopes(scope);
  return (query) => scopeProblem(scopes, query);
}
