/**
 * Compiles one FHIRPath text (a define, a condition, a card value) after checking what fhirpath.js
 * would only find out at run time: variables that do not exist here, unknown functions, missing
 * value sets and data tables. Every problem points into the YAML string.
 */
import type { CardTemplate } from '../cards/schema.ts';
import type { CompiledCondition, CompiledExpr } from './compiled.ts';
import { type CompiledExpression, type FhirPathCompiler, FhirPathSyntaxError } from './fhirpath.ts';
import { FUNCTION_DATA_TABLES } from './functions.ts';
import { lintExpression } from './lint.ts';
import type { ParsedFhirPath } from './fhirpath-ast.ts';
import { stringLiteralOf } from './fhirpath-ast.ts';
import { conditionProblem, inferType, type TypeFinding } from './fhirpath-types.ts';
import type { Scope } from './scope.ts';
import type { Library } from './load-content.ts';
import type { Condition } from './schema.ts';
import { type ContentProblem, didYouMean, problem, type YamlSource } from './source.ts';
import type { ValueSetIndex } from './valuesets.ts';
import { reportDefineCycles } from './define-order.ts';
import { locatedExpression } from './rule-error.ts';

/** What every expression of one content load is checked against. */
export interface Shared {
  libraries: ReadonlyMap<string, Library>;
  data: ReadonlyMap<string, unknown>;
  cards: ReadonlyMap<string, CardTemplate>;
  /** Cards whose file exists but is broken (its own problem is already reported). */
  brokenCards: ReadonlySet<string>;
  valueSets: ValueSetIndex;
  compile: FhirPathCompiler;
  /** Parses a FHIRPath text once per load (throws FhirPathSyntaxError). */
  parse: (expression: string) => ParsedFhirPath;
}

/** Variables fhirpath.js itself provides. */
const BUILTIN_VARIABLES = new Set(['ucum', 'factory']);

/** Compiles named expressions (already in `scope`, with their types) and reports define cycles. */
export function compileDefines(
  source: YamlSource,
  entries: Record<string, string>,
  base: string[],
  scope: Scope,
  shared: Shared,
  problems: ContentProblem[],
): CompiledExpr[] {
  const names = Object.keys(entries);
  const compiled: CompiledExpr[] = [];
  const refs = new Map<string, string[]>();
  for (const [name, expression] of Object.entries(entries)) {
    const run = compileExpression(source, expression, [...base, name], scope, shared, problems);
    if (!run) continue;
    compiled.push({ name, expression, run });
    refs.set(name, shared.parse(expression).variables.map((v) => v.name).filter((v) => names.includes(v)));
  }
  reportDefineCycles(source, base, refs, problems);
  return compiled;
}

export function compileCondition(
  source: YamlSource,
  condition: Condition,
  path: (string | number)[],
  scope: Scope,
  shared: Shared,
  problems: ContentProblem[],
): CompiledCondition | undefined {
  if (typeof condition === 'string') {
    const run = compileExpression(source, condition, path, scope, shared, problems, { condition: true });
    return run ? { kind: 'expr', expression: condition, run } : undefined;
  }
  if ('not' in condition) {
    const item = compileCondition(source, condition.not, [...path, 'not'], scope, shared, problems);
    return item ? { kind: 'not', item } : undefined;
  }
  const kind = 'all' in condition ? 'all' : 'any';
  const list = 'all' in condition ? condition.all : condition.any;
  const items = list.map((c, i) => compileCondition(source, c, [...path, kind, i], scope, shared, problems));
  return items.every(Boolean) ? { kind, items: items as CompiledCondition[] } : undefined;
}

export function compileExpression(
  source: YamlSource,
  expression: string,
  path: (string | number)[],
  scope: Scope,
  shared: Shared,
  problems: ContentProblem[],
  { condition = false } = {},
): CompiledExpression | undefined {
  let ok = true;
  const report = (offset: number, message: string, severity: ContentProblem['severity'] = 'error') => {
    const pos = source.positionInString(path, offset);
    problems.push(problem(source.path, pos.line, pos.column, message, severity));
    if (severity === 'error') ok = false;
  };
  let parsed: ParsedFhirPath;
  try {
    parsed = shared.parse(expression);
  } catch (error) {
    if (error instanceof FhirPathSyntaxError) report(offsetOf(expression, error.line, error.column), `FHIRPath syntax error: ${error.message}`);
    else report(0, `FHIRPath error: ${String(error)}`);
    return undefined;
  }
  for (const variable of parsed.variables) {
    // defineVariable('name', ...) (FHIRPath 3.0, fhirpath.js has it) declares a variable in the
    // expression itself: e.g. an outer item's date kept for a nested where().
    if (scope.has(variable.name) || BUILTIN_VARIABLES.has(variable.name) || parsed.declared.has(variable.name)) continue;
    const hint = didYouMean(variable.name, scope.names);
    report(variable.offset, `%${variable.name} is not a define, prefetch key or context variable here${hint}`);
  }
  for (const finding of lintExpression(parsed, didYouMean)) report(finding.offset, finding.message, finding.severity);
  for (const call of parsed.functions) {
    const needed = Object.hasOwn(FUNCTION_DATA_TABLES, call.name) ? FUNCTION_DATA_TABLES[call.name]! : [];
    const missing = needed.filter((t) => !shared.data.has(t));
    if (missing.length > 0) report(call.offset, `${call.name}() needs the data table${missing.length > 1 ? 's' : ''} ${missing.map((t) => `rules/data/${t}.json`).join(' and ')}, which ${missing.length > 1 ? 'are' : 'is'} missing`);
    const valueSet = call.name === 'inValueSet' ? stringLiteralOf(call.params[0]) : undefined;
    if (valueSet !== undefined && !shared.valueSets.has(valueSet)) {
      report(parsed.offsetOf(call.params[0]!) + 1, `value set '${valueSet}' does not exist in rules/valuesets/${didYouMean(valueSet, shared.valueSets.ids())}`);
    }
  }
  const typeFindings: TypeFinding[] = [];
  const type = inferType(parsed.root, scope, (finding) => typeFindings.push(finding));
  for (const finding of typeFindings) report(parsed.offsetOf(finding.node), finding.message);
  const notYesNo = condition ? conditionProblem(type) : undefined;
  if (notYesNo) report(0, notYesNo);
  try {
    const run = shared.compile(expression);
    // Errors at run time name this place (file:line:col), never the data (rule-error.ts).
    return ok
      ? locatedExpression(run, () => {
          const pos = source.positionInString(path, 0);
          return `${source.path}:${pos.line}:${pos.column}`;
        })
      : undefined;
  } catch (error) {
    report(0, `FHIRPath error: ${String(error)}`);
    return undefined;
  }
}

function offsetOf(text: string, line: number, column: number): number {
  const lines = text.split('\n');
  return lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + column - 1;
}
