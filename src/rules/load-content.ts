/**
 * Reads the content files that rules depend on (value sets, card templates, data tables,
 * libraries) into indexes, reporting what is wrong in each file by itself.
 */
import { malformedPlaceholders } from '../cards/placeholders.ts';
import { type CardTemplate, cardTemplateSchema } from '../cards/schema.ts';
import { classifyContentPath, type ContentKind } from './content.ts';
import { dataTableProblem } from './mme.ts';
import { rxnormTableProblem } from './rxnorm.ts';
import { type LibraryFile, libraryFileSchema } from './schema.ts';
import { type ContentProblem, parseContentFile, problem, type SourceFile, YamlSource } from './source.ts';
import { conceptsOf, ValueSetIndex, valueSetFileSchema } from './valuesets.ts';

export type FilesByKind = Record<Exclude<ContentKind, 'test'>, SourceFile[]>;

/** Content files by kind, in path order (test files are the authoring tools' business). */
export function filesByKind(files: readonly SourceFile[]): FilesByKind {
  const byKind: FilesByKind = { service: [], rule: [], card: [], valueset: [], library: [], data: [] };
  for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    const kind = classifyContentPath(file.path)?.kind;
    if (kind && kind !== 'test') byKind[kind].push(file);
  }
  return byKind;
}

export function loadValueSets(files: SourceFile[], problems: ContentProblem[]): ValueSetIndex {
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
    const { title, url, version, description } = parsed.data;
    index.add(id, concepts, { title, url, version, origin: description });
  }
  return index;
}

export interface LoadedCards {
  cards: Map<string, CardTemplate>;
  /** Card ids whose file exists but could not be read or fails its schema (already reported). */
  broken: Set<string>;
}

export function loadCards(files: SourceFile[], problems: ContentProblem[]): LoadedCards {
  const cards = new Map<string, CardTemplate>();
  const broken = new Set<string>();
  for (const file of files) {
    const id = classifyContentPath(file.path)!.id;
    const parsed = parseContentFile(file, cardTemplateSchema, problems);
    // Placeholders are checked even in a card that fails its schema: one pass shows every mistake.
    if (parsed) reportMalformedPlaceholders(parsed.source, parsed.source.toJS(), problems);
    if (!parsed?.data) {
      broken.add(id);
      continue;
    }
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
    cards.set(id, template);
  }
  return { cards, broken };
}

function reportMalformedPlaceholders(source: YamlSource, template: unknown, problems: ContentProblem[]): void {
  for (const bad of malformedPlaceholders(template)) {
    const pos = source.positionInString(bad.path, bad.offset);
    problems.push(problem(source.path, pos.line, pos.column, bad.message));
  }
}

export function loadData(files: SourceFile[], problems: ContentProblem[]): Map<string, unknown> {
  const tables = new Map<string, unknown>();
  for (const file of files) {
    const name = classifyContentPath(file.path)!.id;
    // Valid JSON is read with JSON.parse: the positional YAML parse of a large table (the RxNorm
    // products, 250 KB) took seconds per load. Anything else goes through the YAML parser for
    // its path:line:col messages.
    const json = parseJsonOrUndefined(file.text);
    if (json !== undefined) {
      const why = dataTableProblem(name, json) ?? rxnormTableProblem(name, json);
      if (why) problems.push(problem(file.path, 1, 1, `data table '${name}': ${why}`));
      else tables.set(name, json);
      continue;
    }
    const { source, problems: syntax } = YamlSource.parse(file);
    problems.push(...syntax);
    if (!source) continue;
    const value = source.toJS();
    // A table a clinical function reads must have the shape it reads, or rules would fail per call.
    const why = dataTableProblem(name, value) ?? rxnormTableProblem(name, value);
    if (why) problems.push(source.problemAt([], `data table '${name}': ${why}`));
    else tables.set(name, value);
  }
  return tables;
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export interface Library {
  name: string;
  source: YamlSource;
  spec: LibraryFile;
}

export function loadLibraries(files: SourceFile[], problems: ContentProblem[]): Map<string, Library> {
  const libraries = new Map<string, Library>();
  for (const file of files) {
    const parsed = parseContentFile(file, libraryFileSchema, problems);
    if (!parsed?.data) continue;
    const name = classifyContentPath(file.path)!.id;
    libraries.set(name, { name, source: parsed.source, spec: parsed.data });
  }
  return libraries;
}
