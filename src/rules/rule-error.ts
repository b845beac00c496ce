/**
 * What is kept of a rule's failure: an error class and the location (file:line:col) of the
 * expression that failed. Never the message: FHIRPath quotes the data it choked on ("Cannot
 * convert SECRETNAME to a number"), and stored errors outlive the call (issue 13, finding 4).
 * The message is for authors (rule tests, preview) and, with payload storage on, the database.
 */

/** A failure as stored, logged and reported to clients. */
export interface RuleFailure {
  /** What kind of failure, e.g. `fhirpath-type`; a fixed vocabulary, never data. */
  class: string;
  /** `path:line:col` of the expression that failed, when one did. */
  location?: string;
}

/** An expression's error with where the expression is written. */
class LocatedError extends Error {
  constructor(
    readonly original: unknown,
    readonly location: string,
  ) {
    super(original instanceof Error ? original.message : String(original), { cause: original });
  }
}

const locations = new WeakMap<object, () => string>();

/**
 * Wraps a compiled expression so that an error it throws carries `location` (computed only
 * when needed). The innermost expression wins: a condition that reads a failing define reports
 * the define's place.
 */
export function locatedExpression<F extends (vars: Record<string, unknown>) => unknown[]>(run: F, location: () => string): F {
  let where: string | undefined;
  const at = () => (where ??= location());
  const located = ((vars: Record<string, unknown>) => {
    try {
      return run(vars);
    } catch (error) {
      throw locatedIn(error) ? error : new LocatedError(error, at());
    }
  }) as F;
  locations.set(located, at);
  return located;
}

/**
 * The class and location of an error thrown while evaluating a rule. `expression` is the one
 * being run, for errors raised on its result rather than inside it (a condition that is not a
 * boolean).
 */
export function ruleFailure(error: unknown, expression?: object): RuleFailure {
  const located = locatedIn(error);
  const location = located?.location ?? (expression ? locations.get(expression)?.() : undefined);
  return { class: errorClass(located?.original ?? innermost(error)), ...(location ? { location } : {}) };
}

/** The stored form: the failure, plus the message only when the operator opted in to payloads. */
export function storedRuleError(rule: string, failure: RuleFailure, message: string, storePayloads: boolean) {
  return { rule, ...failure, ...(storePayloads ? { message } : {}) };
}

function locatedIn(error: unknown): LocatedError | undefined {
  for (let e = error, depth = 0; e && depth < 20; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof LocatedError) return e;
  }
  return undefined;
}

function innermost(error: unknown): unknown {
  let e = error;
  for (let depth = 0; depth < 20 && e instanceof Error && e.cause !== undefined; depth++) e = e.cause;
  return e;
}

/** Message shapes of fhirpath.js and our own functions, by class (checked in order). */
const CLASSES: [RegExp, string][] = [
  [/^a condition must give true, false or empty/, 'condition-not-boolean'],
  [/depends on itself/, 'define-cycle'],
  [/^\w+\(\) needs rules\/data\//, 'function-data-missing'],
  [/^\w+\(\) expects /, 'function-input'],
  [/^Unexpected (empty )?collection/, 'fhirpath-cardinality'],
  [/^(Type of |Expected |Cannot |Invalid |For date\/time arithmetic|"[^"]*" is not an? )|is not implemented for|cannot be converted/, 'fhirpath-type'],
];

function errorClass(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message)) return 'stack-overflow';
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  return CLASSES.find(([pattern]) => pattern.test(message ?? ''))?.[1] ?? 'rule-failed';
}
