/** Compiles one rule file of a service: its defines, its `when` tree, its card values. */
import type { CompiledRule } from './compiled.ts';
import { compileCondition, compileDefines, compileExpression, type Shared } from './compile-expression.ts';
import { checkPlaceholders, resolveCard } from './rule-card-checks.ts';
import type { RuleFile } from './schema.ts';
import type { ContentProblem, YamlSource } from './source.ts';
import { defineTypes, type Scope, unknownType } from './scope.ts';

/** The reference `cds-rules new` writes, for the author to replace. */
export const PLACEHOLDER_REFERENCE = 'https://www.example.org/replace-with-the-source';

export interface RuleScope {
  /** Every variable a rule of the service can read (not yet its own defines). */
  scope: Scope;
  serviceDefines: Set<string>;
  shared: Shared;
  problems: ContentProblem[];
}

export function compileRule(source: YamlSource, rule: RuleFile, { scope, serviceDefines, shared, problems }: RuleScope): CompiledRule | undefined {
  const before = problems.length;
  for (const name of Object.keys(rule.define ?? {})) {
    if (serviceDefines.has(name) || scope.has(name)) {
      problems.push(source.problemAt(['define', name], `define '${name}' hides a variable of the same name`, 'error', true));
    }
  }
  rule.references.forEach((reference, i) => {
    if (reference.url.startsWith(PLACEHOLDER_REFERENCE)) {
      problems.push(source.problemAt(['references', i, 'url'], 'placeholder reference: cite the real source before this rule goes live', 'warning'));
    }
  });
  // Every declared define is in scope, compiled or not: one that does not compile has its own
  // error, and "%x is not a define" about it would be a second, misleading one.
  const ruleScope: Scope = scope.extend(defineTypes(rule.define ?? {}, () => ruleScope, shared.parse));
  const defines = compileDefines(source, rule.define ?? {}, ['define'], ruleScope, shared, problems);
  const when = compileCondition(source, rule.when, ['when'], ruleScope, shared, problems);
  const values = Object.entries(rule.with ?? {}).flatMap(([name, expression]) => {
    const run = compileExpression(source, expression, ['with', name], ruleScope, shared, problems);
    return run ? [{ name, expression, run }] : [];
  });
  const card = resolveCard(source, rule, shared, problems);
  checkPlaceholders(source, rule, card, problems);
  if (problems.slice(before).some((p) => p.severity === 'error') || !when || (rule.card !== undefined && !card)) return undefined;
  return {
    id: rule.id,
    title: rule.title,
    ...(rule.description ? { description: rule.description } : {}),
    references: rule.references,
    enabled: rule.enabled ?? true,
    path: source.path,
    defines,
    when,
    ...(card && rule.card ? { cardId: rule.card, card } : {}),
    ...(rule.systemActions ? { systemActions: rule.systemActions } : {}),
    values,
  };
}

/** Compiles whatever expressions a schema-invalid rule file holds, for their problems only. */
export function checkExpressionsLeniently(source: YamlSource, raw: Record<string, unknown> | null, scope: Scope, shared: Shared, problems: ContentProblem[]): void {
  const strings = (value: unknown): [string, string][] =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string')
      : [];
  const prefetch = strings(raw?.prefetch).map(([k]) => k);
  const define = strings(raw?.define);
  const local = scope.extend([...prefetch, ...define.map(([k]) => k)].map((name) => [name, unknownType] as const));
  for (const [name, expression] of define) compileExpression(source, expression, ['define', name], local, shared, problems);
  const walk = (condition: unknown, path: (string | number)[]) => {
    if (typeof condition === 'string') compileExpression(source, condition, path, local, shared, problems);
    else if (Array.isArray(condition)) condition.forEach((c, i) => walk(c, [...path, i]));
    else if (condition && typeof condition === 'object') for (const [k, v] of Object.entries(condition)) walk(v, [...path, k]);
  };
  walk(raw?.when, ['when']);
  for (const [name, expression] of strings(raw?.with)) compileExpression(source, expression, ['with', name], local, shared, problems);
}
