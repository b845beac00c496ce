/**
 * Errors the service answers with. Every non-2xx body is a FHIR OperationOutcome (CDS Hooks 3.0
 * recommends it; 2.0 leaves the body open), whose `expression` names the offending field so a
 * client developer sees at once what to fix.
 */
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

export type IssueCode = OperationOutcomeIssue['code'];

export interface Problem {
  /** Human-readable explanation. Never contains patient data. */
  message: string;
  /** Path of the offending field, e.g. `context.patientId` or `feedback[0].outcome`. */
  field?: string;
  code?: IssueCode;
}

/** An error with the HTTP status (and any headers, e.g. `www-authenticate`) it should be answered with. */
export class HttpError extends Error {
  readonly status: number;
  readonly problems: Problem[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, problems: Problem | Problem[], headers: Record<string, string> = {}) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; '));
    this.status = status;
    this.problems = list;
    this.headers = headers;
  }
}

export const badRequest = (message: string, field?: string) =>
  new HttpError(400, { message, field, code: 'invalid' });

export function operationOutcome(problems: Problem[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: problems.map((p) => ({
      severity: 'error',
      code: p.code ?? 'invalid',
      diagnostics: p.field ? `${p.field}: ${p.message}` : p.message,
      ...(p.field ? { expression: [p.field] } : {}),
    })),
  };
}
