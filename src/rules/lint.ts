/**
 * Authoring checks on FHIRPath text that the parser does not make: calls to functions that do
 * not exist (fhirpath.js only finds out at run time), and known traps.
 */
import { CLINICAL_FUNCTION_NAMES } from './functions.ts';

/** The functions fhirpath.js 5.2 implements (its invocation table), as FHIRPath names them. */
export const FHIRPATH_FUNCTIONS = [
  'resolve', 'memberOf', 'empty', 'not', 'exists', 'all', 'allTrue', 'anyTrue', 'allFalse', 'anyFalse', 'subsetOf',
  'supersetOf', 'isDistinct', 'distinct', 'count', 'where', 'extension', 'select', 'coalesce', 'sort', 'aggregate', 'sum',
  'min', 'max', 'avg', 'weight', 'ordinal', 'single', 'first', 'last', 'type', 'ofType', 'is', 'as', 'tail', 'take',
  'skip', 'combine', 'union', 'intersect', 'exclude', 'iif', 'trace', 'defineVariable', 'toInteger', 'toLong',
  'toDecimal', 'toString', 'toDate', 'toDateTime', 'toTime', 'toBoolean', 'toQuantity', 'hasValue', 'getValue',
  'htmlChecks', 'convertsToBoolean', 'convertsToInteger', 'convertsToLong', 'convertsToDecimal', 'convertsToString',
  'convertsToDate', 'convertsToDateTime', 'convertsToTime', 'convertsToQuantity', 'indexOf', 'lastIndexOf', 'substring',
  'startsWith', 'endsWith', 'contains', 'upper', 'lower', 'replace', 'matches', 'matchesFull', 'replaceMatches', 'length',
  'toChars', 'join', 'split', 'trim', 'encode', 'decode', 'escape', 'unescape', 'abs', 'ceiling', 'exp', 'floor', 'ln',
  'log', 'power', 'round', 'sqrt', 'truncate', 'lowBoundary', 'highBoundary', 'now', 'today', 'timeOfDay', 'yearOf',
  'monthOf', 'dayOf', 'hourOf', 'minuteOf', 'secondOf', 'millisecondOf', 'timezoneOffsetOf', 'dateOf', 'timeOf',
  'repeat', 'children', 'descendants', 'comparable',
] as const;

const KNOWN = new Set<string>([...FHIRPATH_FUNCTIONS, ...CLINICAL_FUNCTION_NAMES]);
/** Operators that may be followed by a parenthesis: `a and (b or c)`. */
const OPERATORS = new Set(['and', 'or', 'xor', 'implies', 'is', 'as', 'in', 'contains', 'div', 'mod']);

export interface LintFinding {
  /** 0-based offset in the expression. */
  offset: number;
  message: string;
  severity: 'error' | 'warning';
}

/** Blanks out string literals (keeping offsets) so names inside quotes are not read as code. */
export function codeOnly(expression: string): string {
  return expression.replace(/'(?:[^'\\]|\\.)*'/g, (m) => `'${' '.repeat(m.length - 2)}'`);
}

export function lintExpression(expression: string, suggest: (word: string, candidates: readonly string[]) => string): LintFinding[] {
  const code = codeOnly(expression);
  const findings: LintFinding[] = [];
  for (const m of code.matchAll(/(^|[^%\w`$])([A-Za-z_]\w*)\s*\(/g)) {
    const name = m[2]!;
    if (KNOWN.has(name) || OPERATORS.has(name)) continue;
    findings.push({
      offset: m.index + m[1]!.length,
      message: `unknown function '${name}'${suggest(name, [...KNOWN])}`,
      severity: 'error',
    });
  }
  for (const m of code.matchAll(/\bcoding\.(code|system|display)\s*(=|!=|~|!~)/g)) {
    findings.push({
      offset: m.index,
      message:
        `'coding.${m[1]} ${m[2]} ...' compares the whole collection: it is false when a concept has two codings. ` +
        `Use coding.where(system = '...' and code = '...').exists(), or inValueSet('...')`,
      severity: 'warning',
    });
  }
  return findings;
}
