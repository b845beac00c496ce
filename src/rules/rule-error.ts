/**
 * Where a rule failed, as `path:line:col` of the expression that threw, so that what is stored
 * and logged about a failure is its error class (the pipeline's `RuleErrorClass`) and this
 * location, never its message: FHIRPath quotes the data it choked on ("Cannot convert
 * SECRETNAME to a number"), and stored errors outlive the call (issue 13, finding 4). The
 * message stays for authors (rule tests, preview) and, with payload storage on, the database.
 */

/** Errors by where the expression that first saw them is written. */
const locations = new WeakMap<object, string>();
/** Each located expression's own place, for failures raised on its result (not inside it). */
const expressionPlaces = new WeakMap<object, () => string>();

/**
 * Wraps a compiled expression so that an error it throws is tagged with `location` (computed
 * only when needed). The same error object is rethrown, so callers' `instanceof` checks still
 * hold. The innermost expression wins: a condition that reads a failing define reports the
 * define's place.
 */
export function locatedExpression<F extends (vars: Record<string, unknown>) => unknown[]>(run: F, location: () => string): F {
  let where: string | undefined;
  const at = () => (where ??= location());
  const located = ((vars: Record<string, unknown>) => {
    try {
      return run(vars);
    } catch (error) {
      if (error && typeof error === 'object' && !locations.has(error)) locations.set(error, causeLocation(error) ?? at());
      throw error;
    }
  }) as F;
  expressionPlaces.set(located, at);
  return located;
}

/**
 * `path:line:col` of the expression an error came from (through `cause` chains, as a failing
 * define is wrapped), or of `expression` when the error was raised about its result.
 */
export function errorLocation(error: unknown, expression?: object): string | undefined {
  const tagged = error && typeof error === 'object' ? (locations.get(error) ?? causeLocation(error)) : undefined;
  return tagged ?? (expression ? expressionPlaces.get(expression)?.() : undefined);
}

/** What is stored of a failure: class and location; the message only with payload storage on. */
export function storedRuleError(failure: { rule: string; error: string; message: string; location?: string }, storePayloads: boolean) {
  return {
    rule: failure.rule,
    class: failure.error,
    ...(failure.location ? { location: failure.location } : {}),
    ...(storePayloads ? { message: failure.message } : {}),
  };
}

function causeLocation(error: object): string | undefined {
  let e = (error as { cause?: unknown }).cause;
  for (let depth = 0; e && typeof e === 'object' && depth < 20; depth++, e = (e as { cause?: unknown }).cause) {
    const at = locations.get(e);
    if (at) return at;
  }
  return undefined;
}
