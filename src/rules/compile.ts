/**
 * Compiles content files (services, rules, cards, value sets) into a RuleSet, or reports every
 * problem with its `path:line:col`. Nothing is half-loaded: with any error there is no RuleSet.
 *
 * Runtime-neutral: it takes file texts, so Node (from disk) and the Worker build (bundled) share it.
 * The steps live beside it, one job each: load-content.ts (value sets, cards, data tables,
 * libraries), compile-service.ts (includes, prefetch-union.ts, defines), compile-rule.ts (with
 * rule-card-checks.ts), compile-expression.ts (one FHIRPath text), define-order.ts (cycles).
 */
import type { CompiledService, CompileResult } from './compiled.ts';
import { compileService } from './compile-service.ts';
import { classifyContentPath } from './content.ts';
import { createFhirPathCompiler, type FhirPathCompilerOptions, FhirPathSyntaxError } from './fhirpath.ts';
import { type ParsedFhirPath, parseFhirPath } from './fhirpath-ast.ts';
import { valueSetCoverageWarnings } from './ingredient-coverage.ts';
import { filesByKind, loadCards, loadData, loadLibraries, loadValueSets } from './load-content.ts';
import { type ContentProblem, formatProblem, problem, type SourceFile } from './source.ts';
import { indexContent, stampVersions } from './version.ts';

export type { CompiledCondition, CompiledExpr, CompiledRule, CompiledService, CompileResult, RuleSet } from './compiled.ts';
export { PLACEHOLDER_REFERENCE } from './compile-rule.ts';

/**
 * @example
 * const { ruleSet, problems } = compileContent([
 *   { path: 'rules/med-safety/service.yaml', text: 'hook: order-sign\n...' },
 *   { path: 'rules/med-safety/warfarin-nsaid.yaml', text: '...' },
 *   { path: 'cards/bleeding-risk.yaml', text: '...' },
 * ]);
 */
export function compileContent(files: readonly SourceFile[], options: FhirPathCompilerOptions = {}): CompileResult {
  const problems: ContentProblem[] = [];
  const byKind = filesByKind(files);
  const valueSets = loadValueSets(byKind.valueset, problems);
  const { cards, broken: brokenCards } = loadCards(byKind.card, problems);
  const data = loadData(byKind.data, problems);
  const libraries = loadLibraries(byKind.library, problems);
  problems.push(...valueSetCoverageWarnings(byKind.valueset, data));
  const parsed = new Map<string, ParsedFhirPath | FhirPathSyntaxError>();
  const parse = (expression: string) => {
    let entry = parsed.get(expression);
    if (!entry) {
      try {
        entry = parseFhirPath(expression);
      } catch (error) {
        if (!(error instanceof FhirPathSyntaxError)) throw error;
        entry = error;
      }
      parsed.set(expression, entry);
    }
    if (entry instanceof FhirPathSyntaxError) throw entry;
    return entry;
  };
  // One parse per expression text, for the checks and for the compiler's native logic alike.
  const compile = createFhirPathCompiler(valueSets, data, { ...options, parse: (expression) => parse(expression).root });
  const shared = { cards, brokenCards, valueSets, libraries, data, compile, parse };

  const services = new Map<string, CompiledService>();
  const serviceFiles = new Map(byKind.service.map((f) => [classifyContentPath(f.path)!.id, f]));
  const ruleFilesByService = new Map<string, SourceFile[]>();
  for (const file of byKind.rule) {
    const id = classifyContentPath(file.path)!.id;
    if (!serviceFiles.has(id)) {
      problems.push(problem(file.path, 1, 1, `rule file is in rules/${id}/, which has no service.yaml`));
      continue;
    }
    ruleFilesByService.set(id, [...(ruleFilesByService.get(id) ?? []), file]);
  }
  const ruleIds = new Map<string, Set<string>>();
  for (const [id, file] of serviceFiles) {
    ruleIds.set(id, new Set());
    const service = compileService(id, file, ruleFilesByService.get(id) ?? [], shared, problems, ruleIds.get(id)!);
    if (service) services.set(id, service);
  }

  const used = new Set([...services.values()].flatMap((s) => s.includes));
  for (const library of libraries.values()) {
    if (!used.has(library.name)) {
      problems.push(library.source.problemAt([], `library '${library.name}' is not included by any service, so its expressions are not checked`, 'warning'));
    }
  }

  // A library is checked once per service that includes it: the same mistake is one problem.
  const distinct = [...new Map(problems.map((p) => [formatProblem(p), p])).values()];
  distinct.sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line || a.column - b.column);
  const hasErrors = distinct.some((p) => p.severity === 'error');
  if (!hasErrors) stampVersions(services.values(), indexContent(files));
  const ruleCount = [...services.values()].reduce((n, s) => n + s.rules.length, 0);
  return {
    problems: distinct,
    ruleIds,
    ruleSet: hasErrors
      ? undefined
      : {
          services,
          cards,
          valueSets,
          counts: { services: services.size, rules: ruleCount, cards: cards.size, valueSets: valueSets.ids().length, libraries: libraries.size, dataTables: data.size },
        },
  };
}
