/**
 * The one shape for "what did not run" in a hook response (agreed across the team): at most one
 * extension key, present only when some rule was skipped or failed. CDS Hooks extensions are open
 * objects, so a client that does not know it ignores it; one that does learns the guidance may be
 * incomplete and why, without any patient data (rule ids, reasons and error classes only).
 */
export const DEGRADED_EXTENSION = 'org.cds-rules.degraded';

/**
 * Why a rule was not evaluated: the call's evaluation budget ran out, a prefetch key it reads
 * could not be had, a key it reads was not asked of the FHIR server because the granted SMART
 * scopes do not cover it, or the hard worker deadline cut the call.
 */
export type SkipReason = 'budget' | 'prefetch-unavailable' | 'scope-not-granted' | 'deadline';

/**
 * What kind of failure stopped a rule: a condition that gave something other than a boolean, a
 * define that failed, another FHIRPath run-time error, a card or action that could not be
 * rendered, or the call's time running out mid-rule. A class, never a message: messages can quote data.
 */
export type RuleErrorClass = 'fhirpath-type' | 'define-failed' | 'fhirpath-error' | 'card-render' | 'timeout';

export interface SkippedRule {
  rule: string;
  reason: SkipReason;
  /** The prefetch keys that were missing, for `prefetch-unavailable` and `scope-not-granted`. */
  prefetch?: string[];
}

export interface FailedRule {
  rule: string;
  error: RuleErrorClass;
}

export interface DegradedExtension {
  skipped: SkippedRule[];
  failed: FailedRule[];
  /** The evaluation budget, when rules were skipped for it. */
  budgetMs?: number;
}

/** The extension entry for a response, or nothing when every rule ran. */
export function degradedExtension(skipped: SkippedRule[], failed: FailedRule[], budgetMs: number): Record<string, DegradedExtension> | undefined {
  if (skipped.length === 0 && failed.length === 0) return undefined;
  return {
    [DEGRADED_EXTENSION]: {
      skipped: skipped.map(({ rule, reason, prefetch }) => ({ rule, reason, ...(prefetch ? { prefetch } : {}) })),
      failed: failed.map(({ rule, error }) => ({ rule, error })),
      ...(skipped.some((s) => s.reason === 'budget') ? { budgetMs } : {}),
    },
  };
}
