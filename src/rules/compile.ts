/**
 * Compiles content files (services, rules, cards, value sets) into a RuleSet, or reports every
 * problem with its `path:line:col`. Nothing is half-loaded: with any error there is no RuleSet.
 *
 * Runtime-neutral: it takes file texts, so Node (from disk) and the Worker build (bundled) share it.
 */
import type { HookName } from '../protocol/hooks.ts';
import { hookDefinition } from '../protocol/hooks.ts';
import { tokenProblem, tokensOf } from '../protocol/prefetch-template.ts';
import { type ActionTemplate, type CardTemplate, cardTemplateSchema } from '../cards/schema.ts';
import { placeholdersOf } from '../cards/render.ts';
import { classifyContentPath, SERVICE_ID } from './content.ts';
import { type CompiledExpression, createFhirPathCompiler, type FhirPathCompiler, FhirPathSyntaxError } from './fhirpath.ts';
import { FUNCTION_DATA_TABLES } from './functions.ts';
import { codeOnly, lintExpression } from './lint.ts';
import { dataTableProblem } from './mme.ts';
import { type Condition, type LibraryFile, type RuleStatus, libraryFileSchema, type RuleFile, ruleFileSchema, type ServiceFile, serviceFileSchema } from './schema.ts';
import { type ContentProblem, didYouMean, formatProblem, parseContentFile, problem, type SourceFile, YamlSource } from './source.ts';
import { conceptsOf, ValueSetIndex, valueSetFileSchema } from './valuesets.ts';
import { indexContent, stampVersions, type VersionSource } from './version.ts';

export interface CompiledExpr {
  name: string;
  expression: string;
  run: CompiledExpression;
}

export type CompiledCondition =
  | { kind: 'expr'; expression: string; run: CompiledExpression }
  | { kind: 'all' | 'any'; items: CompiledCondition[] }
  | { kind: 'not'; item: CompiledCondition };

export interface CompiledRule {
  id: string;
  title: string;
  description?: string;
  references: RuleFile['references'];
  /** False for a retired rule: loaded and checked, never evaluated. */
  enabled: boolean;
  /** Lifecycle: active answers, silent is evaluated and recorded only, retired is not evaluated. */
  status: RuleStatus;
  /** An active rule's share of patients (or users), 0-100; the others see it as silent. */
  rollout?: { percent: number; by: 'patient' | 'user' };
  approval?: { by: string; on: string; review?: string };
  /** The author's version label, when the file gives one. */
  authorVersion?: string;
  /** Content version (src/rules/version.ts), set once the whole content has compiled. */
  version: string;
  /** The files the version is made of. */
  sources: VersionSource[];
  /** The file it came from, for logs and authoring output. */
  path: string;
  defines: CompiledExpr[];
  when: CompiledCondition;
  cardId?: string;
  card?: CardTemplate;
  /** Response-level actions, filled with the rule's values. */
  systemActions?: ActionTemplate[];
  values: CompiledExpr[];
}

export interface CompiledService {
  id: string;
  hook: HookName;
  title: string;
  description: string;
  usageRequirements?: string;
  /** The union of the service's and its rules' prefetch templates. */
  prefetch: Record<string, string>;
  defines: CompiledExpr[];
  rules: CompiledRule[];
  path: string;
  /** The libraries it includes. */
  includes: string[];
  /** Hash of its rules' versions (discovery's `version`). */
  version: string;
}

export interface RuleSet {
  services: ReadonlyMap<string, CompiledService>;
  cards: ReadonlyMap<string, CardTemplate>;
  valueSets: ValueSetIndex;
  counts: { services: number; rules: number; cards: number; valueSets: number; libraries: number; dataTables: number };
}

export interface CompileResult {
  ruleSet?: RuleSet;
  /** Rule ids each service folder declares, known even when the content has errors. */
  ruleIds: ReadonlyMap<string, ReadonlySet<string>>;
  /** Errors and warnings; `ruleSet` is present only when there is no error. */
  problems: ContentProblem[];
}

/** The reference `cds-rules new` writes, for the author to replace. */
export const PLACEHOLDER_REFERENCE = 'https://www.example.org/replace-with-the-source';

/** Variables fhirpath.js itself provides. */
const BUILTIN_VARIABLES = new Set(['ucum', 'factory']);

/**
 * @example
 * const { ruleSet, problems } = compileContent([
 *   { path: 'rules/med-safety/service.yaml', text: 'hook: order-sign\n...' },
 *   { path: 'rules/med-safety/warfarin-nsaid.yaml', text: '...' },
 *   { path: 'cards/bleeding-risk.yaml', text: '...' },
 * ]);
 */
export function compileContent(files: readonly SourceFile[]): CompileResult {
  const problems: ContentProblem[] = [];
  const byKind = {
    service: [] as SourceFile[],
    rule: [] as SourceFile[],
    card: [] as SourceFile[],
    valueset: [] as SourceFile[],
    library: [] as SourceFile[],
    data: [] as SourceFile[],
  };
  for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    const kind = classifyContentPath(file.path)?.kind;
    if (kind && kind !== 'test') byKind[kind].push(file);
  }

  const valueSets = loadValueSets(byKind.valueset, problems);
  const cards = loadCards(byKind.card, problems);
  const data = loadData(byKind.data, problems);
  const libraries = loadLibraries(byKind.library, problems);
  const compile = createFhirPathCompiler(valueSets, data);

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
    const service = compileService(id, file, ruleFilesByService.get(id) ?? [], { cards, valueSets, compile, libraries, data }, problems, ruleIds.get(id)!);
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
  problems.length = 0;
  problems.push(...distinct.sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line || a.column - b.column));
  const hasErrors = problems.some((p) => p.severity === 'error');
  if (!hasErrors) stampVersions(services.values(), indexContent(files));
  const ruleCount = [...services.values()].reduce((n, s) => n + s.rules.length, 0);
  return {
    problems,
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

function loadValueSets(files: SourceFile[], problems: ContentProblem[]): ValueSetIndex {
  const index = new ValueSetIndex();
  const seen = new Map<string, string>();
  for (const file of files) {
    const parsed = parseContentFile(file, valueSetFileSchema, problems);
    if (!parsed?.data) continue;
    const { source } = parsed;
    const { id } = parsed.data;
    const stem = classifyContentPath(file.path)!.id;
    if (id !== stem) problems.push(source.problemAt(['id'], `value set id '${id}' must match its file name '${stem}.json'`));
    if (seen.has(id)) problems.push(source.problemAt(['id'], `duplicate value set id '${id}' (also in ${seen.get(id)})`));
    seen.set(id, file.path);
    const concepts = conceptsOf(parsed.data);
    if (concepts.length === 0) {
      problems.push(source.problemAt([], 'value set has no codes: expected expansion.contains or compose.include[].concept'));
    }
    index.add(id, concepts);
  }
  return index;
}

function loadCards(files: SourceFile[], problems: ContentProblem[]): Map<string, CardTemplate> {
  const cards = new Map<string, CardTemplate>();
  for (const file of files) {
    const parsed = parseContentFile(file, cardTemplateSchema, problems);
    if (!parsed?.data) continue;
    const { source, data: template } = parsed;
    if (!/\{\{/.test(template.summary) && template.summary.length > 139) {
      problems.push(source.problemAt(['summary'], `summary is ${template.summary.length} characters; CDS Hooks requires under 140`));
    }
    if (template.selectionBehavior === 'at-most-one' && (template.suggestions ?? []).filter((s) => s.isRecommended).length > 1) {
      problems.push(source.problemAt(['suggestions'], 'at most one suggestion may be isRecommended with selectionBehavior at-most-one'));
    }
    template.links?.forEach((link, i) => {
      if (link.type === 'absolute' && link.appContext !== undefined) {
        problems.push(source.problemAt(['links', i, 'appContext'], 'appContext is only allowed on smart links'));
      }
    });
    cards.set(classifyContentPath(file.path)!.id, template);
  }
  return cards;
}

function loadData(files: SourceFile[], problems: ContentProblem[]): Map<string, unknown> {
  const tables = new Map<string, unknown>();
  for (const file of files) {
    const { source, problems: syntax } = YamlSource.parse(file);
    problems.push(...syntax);
    if (!source) continue;
    const name = classifyContentPath(file.path)!.id;
    const value = source.toJS();
    // A table a clinical function reads must have the shape it reads, or rules would fail per call.
    const why = dataTableProblem(name, value);
    if (why) problems.push(source.problemAt([], `data table '${name}': ${why}`));
    else tables.set(name, value);
  }
  return tables;
}

interface Library {
  name: string;
  source: YamlSource;
  spec: LibraryFile;
}

function loadLibraries(files: SourceFile[], problems: ContentProblem[]): Map<string, Library> {
  const libraries = new Map<string, Library>();
  for (const file of files) {
    const parsed = parseContentFile(file, libraryFileSchema, problems);
    if (!parsed?.data) continue;
    const name = classifyContentPath(file.path)!.id;
    libraries.set(name, { name, source: parsed.source, spec: parsed.data });
  }
  return libraries;
}

interface Shared {
  libraries: ReadonlyMap<string, Library>;
  data: ReadonlyMap<string, unknown>;
  cards: ReadonlyMap<string, CardTemplate>;
  valueSets: ValueSetIndex;
  compile: FhirPathCompiler;
}

function compileService(
  id: string,
  file: SourceFile,
  ruleFiles: SourceFile[],
  shared: Shared,
  problems: ContentProblem[],
  declared: Set<string>,
): CompiledService | undefined {
  if (!SERVICE_ID.test(id)) problems.push(problem(file.path, 1, 1, `service folder name '${id}' must be URL-safe ([A-Za-z0-9._~-])`));
  const parsed = parseContentFile(file, serviceFileSchema, problems);
  if (!parsed?.data) return undefined;
  const { source } = parsed;
  const spec: ServiceFile = parsed.data;
  const hook = spec.hook as HookName;
  const contextNames = Object.keys(hookDefinition(hook).context);

  const prefetch: Record<string, string> = {};
  const prefetchOrigin: Record<string, string> = {};
  const addPrefetch = (src: YamlSource, entries: Record<string, string> | undefined) => {
    for (const [key, template] of Object.entries(entries ?? {})) {
      const path = ['prefetch', key];
      for (const token of tokensOf(template)) {
        const why = tokenProblem(token.name, hook);
        if (why) {
          const pos = src.positionInString(path, token.offset);
          problems.push(problem(src.path, pos.line, pos.column, why));
        }
      }
      if (/^(https?:)?\/\//i.test(template) || template.startsWith('/')) {
        problems.push(src.problemAt(path, 'a prefetch template must be a relative FHIR query, e.g. Patient/{{context.patientId}}'));
      }
      if (contextNames.includes(key) || key === 'context') {
        problems.push(src.problemAt(path, `prefetch key '${key}' clashes with the hook's context variable %${key}`, 'error', true));
      }
      if (prefetch[key] !== undefined && prefetch[key] !== template) {
        problems.push(src.problemAt(path, `prefetch key '${key}' is already defined differently in ${prefetchOrigin[key]}`, 'error', true));
        continue;
      }
      prefetch[key] = template;
      prefetchOrigin[key] ??= src.path;
    }
  };
  const included: Library[] = [];
  (spec.include ?? []).forEach((name, i) => {
    const library = shared.libraries.get(name);
    if (!library) {
      problems.push(source.problemAt(['include', i], `library '${name}' does not exist in rules/libraries/${didYouMean(name, [...shared.libraries.keys()])}`));
    } else included.push(library);
  });
  for (const library of included) addPrefetch(library.source, library.spec.prefetch);
  addPrefetch(source, spec.prefetch);

  // Library and service defines share one namespace, so a name means the same thing everywhere.
  const defineOrigin = new Map<string, string>();
  for (const [src, entries] of [...included.map((l) => [l.source, l.spec.define] as const), [source, spec.define] as const]) {
    for (const name of Object.keys(entries ?? {})) {
      if (defineOrigin.has(name)) {
        problems.push(src.problemAt(['define', name], `define '${name}' is already defined in ${defineOrigin.get(name)}`, 'error', true));
      } else defineOrigin.set(name, src.path);
    }
  }
  const serviceScope = new Set(['context', ...contextNames, ...Object.keys(prefetch), ...defineOrigin.keys()]);
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
      checkExpressionsLeniently(ruleSource, raw, new Set([...serviceScope, ...defines.map((d) => d.name)]), shared, problems);
      continue;
    }
    if (ruleIds.has(rule.id)) {
      problems.push(ruleSource.problemAt(['id'], `duplicate rule id '${rule.id}' (also in ${ruleIds.get(rule.id)})`));
    }
    ruleIds.set(rule.id, ruleFile.path);
    addPrefetch(ruleSource, rule.prefetch);
    const compiled = compileRule(ruleSource, rule, {
      scope: new Set([...serviceScope, ...Object.keys(rule.prefetch ?? {}), ...defines.map((d) => d.name)]),
      serviceDefines: new Set(defines.map((d) => d.name)),
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
    prefetch,
    defines,
    rules,
    path: file.path,
    includes: included.map((l) => l.name),
    version: '',
  };
}

/** Compiles whatever expressions a schema-invalid rule file holds, for their problems only. */
function checkExpressionsLeniently(source: YamlSource, raw: Record<string, unknown> | null, scope: Set<string>, shared: Shared, problems: ContentProblem[]): void {
  const strings = (value: unknown): [string, string][] =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string')
      : [];
  const prefetch = strings(raw?.prefetch).map(([k]) => k);
  const define = strings(raw?.define);
  const local = new Set([...scope, ...prefetch, ...define.map(([k]) => k)]);
  for (const [name, expression] of define) compileExpression(source, expression, ['define', name], local, shared, problems);
  const walk = (condition: unknown, path: (string | number)[]) => {
    if (typeof condition === 'string') compileExpression(source, condition, path, local, shared, problems);
    else if (Array.isArray(condition)) condition.forEach((c, i) => walk(c, [...path, i]));
    else if (condition && typeof condition === 'object') for (const [k, v] of Object.entries(condition)) walk(v, [...path, k]);
  };
  walk(raw?.when, ['when']);
  for (const [name, expression] of strings(raw?.with)) compileExpression(source, expression, ['with', name], local, shared, problems);
}

interface RuleScope {
  scope: Set<string>;
  serviceDefines: Set<string>;
  shared: Shared;
  problems: ContentProblem[];
}

function compileRule(source: YamlSource, rule: RuleFile, { scope, serviceDefines, shared, problems }: RuleScope): CompiledRule | undefined {
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
  const defines = compileDefines(source, rule.define ?? {}, ['define'], scope, shared, problems);
  const ruleScope = new Set([...scope, ...defines.map((d) => d.name)]);
  const when = compileCondition(source, rule.when, ['when'], ruleScope, shared, problems);
  const values = Object.entries(rule.with ?? {}).flatMap(([name, expression]) => {
    const run = compileExpression(source, expression, ['with', name], ruleScope, shared, problems);
    return run ? [{ name, expression, run }] : [];
  });

  const card = rule.card === undefined ? undefined : shared.cards.get(rule.card);
  if (rule.card !== undefined && !card) {
    const hint = didYouMean(rule.card, [...shared.cards.keys()]);
    problems.push(source.problemAt(['card'], `card template '${rule.card}' does not exist in cards/${hint}`));
  }
  const provided = new Set(Object.keys(rule.with ?? {}));
  const cardUses = card ? placeholdersOf(card) : [];
  const actionUses = placeholdersOf(rule.systemActions ?? []);
  const used = new Set([...cardUses, ...actionUses].map((u) => u.name));
  if (card || rule.systemActions) {
    for (const name of provided) {
      if (!used.has(name)) problems.push(source.problemAt(['with', name], `no card text or system action uses {{${name}}}: this value is never shown`, 'warning', true));
    }
  }
  const unfilled = (use: { name: string }) => !use.name.startsWith('context.') && !provided.has(use.name);
  for (const use of cardUses.filter(unfilled)) {
    problems.push(source.problemAt(['card'], `card '${rule.card}' uses {{${use.name}}} (at ${use.path.join('.')}), which this rule's 'with' does not fill`));
  }
  for (const use of actionUses.filter(unfilled)) {
    problems.push(source.problemAt(['systemActions', ...use.path], `{{${use.name}}} is not filled by this rule's 'with'`));
  }
  if (problems.slice(before).some((p) => p.severity === 'error') || !when || (rule.card !== undefined && !card)) return undefined;
  return {
    id: rule.id,
    title: rule.title,
    ...(rule.description ? { description: rule.description } : {}),
    references: rule.references,
    ...lifecycle(rule),
    path: source.path,
    defines,
    when,
    ...(card && rule.card ? { cardId: rule.card, card } : {}),
    ...(rule.systemActions ? { systemActions: rule.systemActions } : {}),
    values,
  };
}

/** Compiles named expressions, in an order where each comes after the defines it uses. */
function compileDefines(
  source: YamlSource,
  entries: Record<string, string>,
  base: string[],
  scope: Set<string>,
  shared: Shared,
  problems: ContentProblem[],
): CompiledExpr[] {
  const names = Object.keys(entries);
  const localScope = new Set([...scope, ...names]);
  const compiled: CompiledExpr[] = [];
  const refs = new Map<string, string[]>();
  for (const [name, expression] of Object.entries(entries)) {
    const run = compileExpression(source, expression, [...base, name], localScope, shared, problems);
    if (!run) continue;
    compiled.push({ name, expression, run });
    refs.set(name, variablesOf(expression).map((v) => v.name).filter((v) => names.includes(v)));
  }
  // A define that (indirectly) uses itself would recurse forever at run time.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      problems.push(source.problemAt([...base, name], `define '${name}' depends on itself: ${[...trail, name].join(' -> ')}`));
      return;
    }
    state.set(name, 'visiting');
    for (const ref of refs.get(name) ?? []) visit(ref, [...trail, name]);
    state.set(name, 'done');
  };
  for (const name of refs.keys()) visit(name, []);
  return compiled;
}

function compileCondition(
  source: YamlSource,
  condition: Condition,
  path: (string | number)[],
  scope: Set<string>,
  shared: Shared,
  problems: ContentProblem[],
): CompiledCondition | undefined {
  if (typeof condition === 'string') {
    const run = compileExpression(source, condition, path, scope, shared, problems);
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

function compileExpression(
  source: YamlSource,
  expression: string,
  path: (string | number)[],
  scope: Set<string>,
  shared: Shared,
  problems: ContentProblem[],
): CompiledExpression | undefined {
  let ok = true;
  const report = (offset: number, message: string, severity: ContentProblem['severity'] = 'error') => {
    const pos = source.positionInString(path, offset);
    problems.push(problem(source.path, pos.line, pos.column, message, severity));
    if (severity === 'error') ok = false;
  };
  // Variables the expression declares itself with defineVariable('name', ...) (FHIRPath 3.0;
  // fhirpath.js has it): e.g. an outer item's date kept for a nested where().
  const declared = new Set([...expression.matchAll(/defineVariable\(\s*'([A-Za-z_][A-Za-z0-9_]*)'/g)].map((m) => m[1]!));
  for (const variable of variablesOf(expression)) {
    if (scope.has(variable.name) || BUILTIN_VARIABLES.has(variable.name) || declared.has(variable.name)) continue;
    const hint = didYouMean(variable.name, [...scope]);
    report(variable.offset, `%${variable.name} is not a define, prefetch key or context variable here${hint}`);
  }
  for (const finding of lintExpression(expression, didYouMean)) report(finding.offset, finding.message, finding.severity);
  for (const m of codeOnly(expression).matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) {
    const needed = Object.hasOwn(FUNCTION_DATA_TABLES, m[1]!) ? FUNCTION_DATA_TABLES[m[1]!]! : [];
    const missing = needed.filter((t) => !shared.data.has(t));
    if (missing.length > 0) report(m.index, `${m[1]}() needs the data table${missing.length > 1 ? 's' : ''} ${missing.map((t) => `rules/data/${t}.json`).join(' and ')}, which ${missing.length > 1 ? 'are' : 'is'} missing`);
  }
  for (const use of valueSetUses(expression)) {
    if (!shared.valueSets.has(use.id)) {
      report(use.offset, `value set '${use.id}' does not exist in rules/valuesets/${didYouMean(use.id, shared.valueSets.ids())}`);
    }
  }
  try {
    const run = shared.compile(expression);
    return ok ? run : undefined;
  } catch (error) {
    if (error instanceof FhirPathSyntaxError) {
      const offset = offsetOf(expression, error.line, error.column);
      report(offset, `FHIRPath syntax error: ${error.message}`);
    } else report(0, `FHIRPath error: ${String(error)}`);
    return undefined;
  }
}

function offsetOf(text: string, line: number, column: number): number {
  const lines = text.split('\n');
  return lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + column - 1;
}

/** The `%variables` an expression reads, with their offsets. */
export function variablesOf(expression: string): { name: string; offset: number }[] {
  return [...codeOnly(expression).matchAll(/%(?:([A-Za-z_][A-Za-z0-9_]*)|`([^`]+)`)/g)].map((m) => ({
    name: (m[1] ?? m[2])!,
    offset: m.index,
  }));
}

/** The `inValueSet('id')` calls of an expression, with the offset of the id. */
function valueSetUses(expression: string): { id: string; offset: number }[] {
  return [...expression.matchAll(/inValueSet\(\s*'([^']*)'\s*\)/g)].map((m) => ({
    id: m[1]!,
    offset: m.index + m[0].indexOf("'") + 1,
  }));
}

/** Status, rollout and approval as the pipeline reads them; version fields are stamped later. */
function lifecycle(rule: RuleFile): Pick<CompiledRule, 'enabled' | 'status' | 'rollout' | 'approval' | 'authorVersion' | 'version' | 'sources'> {
  const status: RuleStatus = rule.status ?? (rule.enabled === false ? 'retired' : 'active');
  return {
    enabled: status !== 'retired',
    status,
    ...(rule.rollout ? { rollout: { percent: Number(rule.rollout.slice(0, -1)), by: rule.rolloutBy ?? 'patient' } } : {}),
    ...(rule.approvedBy && rule.approvedOn ? { approval: { by: rule.approvedBy, on: rule.approvedOn, ...(rule.review ? { review: rule.review } : {}) } } : {}),
    ...(rule.version ? { authorVersion: rule.version } : {}),
    version: '',
    sources: [],
  };
}
