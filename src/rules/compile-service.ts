/**
 * Compiles one service folder: its service file, the libraries it includes, its prefetch union
 * and defines, and each of its rule files.
 */
import { type HookName, hookDefinition } from '../protocol/hooks.ts';
import type { CompiledRule, CompiledService } from './compiled.ts';
import { compileDefines, type Shared } from './compile-expression.ts';
import { checkExpressionsLeniently, compileRule } from './compile-rule.ts';
import { SERVICE_ID } from './content.ts';
import type { Library } from './load-content.ts';
import { PrefetchUnion } from './prefetch-union.ts';
import { contextFieldType, prefetchType } from './fhirpath-types.ts';
import { defineTypes, Scope, unknownType } from './scope.ts';
import { ruleFileSchema, type ServiceFile, serviceFileSchema } from './schema.ts';
import { type ContentProblem, didYouMean, parseContentFile, problem, type SourceFile, type YamlSource } from './source.ts';

export function compileService(
  id: string,
  file: SourceFile,
  ruleFiles: SourceFile[],
  shared: Shared,
  problems: ContentProblem[],
  /** Filled with the rule ids the folder's files declare, even when they do not compile. */
  declared: Set<string>,
): CompiledService | undefined {
  if (!SERVICE_ID.test(id)) problems.push(problem(file.path, 1, 1, `service folder name '${id}' must be URL-safe ([A-Za-z0-9._~-])`));
  const parsed = parseContentFile(file, serviceFileSchema, problems);
  if (!parsed?.data) return undefined;
  const { source } = parsed;
  const spec: ServiceFile = parsed.data;
  const hook = spec.hook as HookName;
  const contextNames = Object.keys(hookDefinition(hook).context);

  const prefetch = new PrefetchUnion(hook, contextNames, problems);
  const included = resolveIncludes(source, spec.include ?? [], shared.libraries, problems);
  for (const library of included) prefetch.add(library.source, library.spec.prefetch);
  prefetch.add(source, spec.prefetch);
  for (const library of included) prefetch.addAbsence(library.source, library.spec.prefetch, library.spec.ifUnavailable);
  prefetch.addAbsence(source, spec.prefetch, spec.ifUnavailable);

  const defineNames = defineNamespace([...included.map((l) => [l.source, l.spec.define] as const), [source, spec.define] as const], problems);
  const allDefines = Object.assign({}, ...included.map((l) => l.spec.define ?? {}), spec.define ?? {}) as Record<string, string>;
  const context = hookDefinition(hook).context;
  const serviceScope: Scope = Scope.of([
    ['context', unknownType],
    ...Object.entries(context).map(([name, field]) => [name, () => contextFieldType(field)] as const),
    ...Object.entries(prefetch.templates).map(([key, template]) => [key, () => prefetchType(template)] as const),
    ...defineTypes(allDefines, () => serviceScope, shared.parse),
  ]);
  const defines = [
    ...included.flatMap((l) => compileDefines(l.source, l.spec.define ?? {}, ['define'], serviceScope, shared, problems)),
    ...compileDefines(source, spec.define ?? {}, ['define'], serviceScope, shared, problems),
  ];

  const rules: CompiledRule[] = [];
  const ruleIds = new Map<string, string>();
  for (const ruleFile of ruleFiles) {
    const ruleParsed = parseContentFile(ruleFile, ruleFileSchema, problems);
    if (!ruleParsed) continue;
    const { source: ruleSource, data: rule } = ruleParsed;
    const raw = ruleSource.toJS() as Record<string, unknown> | null;
    if (typeof raw?.id === 'string') declared.add(raw.id);
    if (!rule) {
      // The file does not fit the schema; its expressions can still be checked, so the author
      // sees every mistake in one pass.
      checkExpressionsLeniently(ruleSource, raw, serviceScope, shared, problems);
      continue;
    }
    if (ruleIds.has(rule.id)) {
      problems.push(ruleSource.problemAt(['id'], `duplicate rule id '${rule.id}' (also in ${ruleIds.get(rule.id)})`));
    }
    ruleIds.set(rule.id, ruleFile.path);
    prefetch.add(ruleSource, rule.prefetch);
    prefetch.addAbsence(ruleSource, rule.prefetch, rule.ifUnavailable);
    // Every declared define is in scope, compiled or not: one that does not compile has its own
    // error, and "%x is not a define" about it would be a second, misleading one.
    const compiled = compileRule(ruleSource, rule, {
      scope: serviceScope.extend(Object.entries(rule.prefetch ?? {}).map(([key, template]) => [key, () => prefetchType(template)] as const)),
      serviceDefines: new Set(defineNames),
      shared,
      problems,
    });
    if (compiled) rules.push(compiled);
  }

  return {
    id,
    hook,
    title: spec.title,
    description: spec.description,
    ...(spec.usageRequirements ? { usageRequirements: spec.usageRequirements } : {}),
    prefetch: prefetch.templates,
    ifUnavailable: prefetch.ifUnavailable,
    defines,
    rules,
    path: file.path,
    includes: included.map((l) => l.name),
    version: '',
  };
}

/** The libraries a service names under `include`, each reported where it is named when missing. */
function resolveIncludes(source: YamlSource, names: readonly string[], libraries: ReadonlyMap<string, Library>, problems: ContentProblem[]): Library[] {
  const included: Library[] = [];
  names.forEach((name, i) => {
    const library = libraries.get(name);
    if (!library) {
      problems.push(source.problemAt(['include', i], `library '${name}' does not exist in rules/libraries/${didYouMean(name, [...libraries.keys()])}`));
    } else included.push(library);
  });
  return included;
}

/**
 * Library and service defines share one namespace, so a name means the same thing everywhere:
 * the names, each defined once (a second definition is reported).
 */
function defineNamespace(
  sources: readonly (readonly [YamlSource, Record<string, string> | undefined])[],
  problems: ContentProblem[],
): string[] {
  const origin = new Map<string, string>();
  for (const [src, entries] of sources) {
    for (const name of Object.keys(entries ?? {})) {
      if (origin.has(name)) {
        problems.push(src.problemAt(['define', name], `define '${name}' is already defined in ${origin.get(name)}`, 'error', true));
      } else origin.set(name, src.path);
    }
  }
  return [...origin.keys()];
}
