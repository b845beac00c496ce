/**
 * Content files as text with positions: every problem found in a rule, card or value set file
 * is reported as `path:line:col: message`, pointing at the exact key or value.
 */
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import type { z } from 'zod';

/** A content file as read from disk or bundled at build time; `path` is what errors show. */
export interface SourceFile {
  path: string;
  text: string;
}

export interface ContentProblem {
  path: string;
  line: number;
  column: number;
  message: string;
  severity: 'error' | 'warning';
}

export const formatProblem = (p: ContentProblem) =>
  `${p.path}:${p.line}:${p.column}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`;

type PathPart = string | number;

/**
 * A parsed YAML (or JSON) document that can say where any value of it stands.
 *
 * A `.json` file that is plain JSON is read with `JSON.parse`, and the YAML document that knows
 * positions is built only when a position is asked for (a problem to report). Value sets are
 * large JSON files: the YAML parser takes about 200 times as long on them, which is most of the
 * start-up time of the Node service and the Worker.
 */
export class YamlSource {
  private constructor(
    readonly file: SourceFile,
    private readonly json: { value: unknown } | undefined,
    private parsed: { doc: Document; lines: LineCounter } | undefined,
  ) {}

  /** Parses a file; syntax errors come back as problems and no source. */
  static parse(file: SourceFile): { source?: YamlSource; problems: ContentProblem[] } {
    const json = /\.json$/i.test(file.path) ? strictJson(file.text) : undefined;
    if (json) return { source: new YamlSource(file, json, undefined), problems: [] };
    const { doc, lines } = parseYaml(file.text);
    // After the first syntax error the parser's later complaints are mostly echoes of it.
    const problems = doc.errors.slice(0, 1).map((error) => {
      // The parser notices a missing closing quote at the end of the file; the author needs
      // the place where the string was opened.
      const quote = error.code === 'MISSING_CHAR' ? /closing (["'])quote/.exec(error.message)?.[1] : undefined;
      const opened = quote ? file.text.lastIndexOf(quote, error.pos[0] - 1) : -1;
      if (quote && opened >= 0) {
        const pos = lines.linePos(opened);
        return problem(file.path, pos.line, pos.col, `YAML syntax: this string is never closed (missing ${quote})`);
      }
      const pos = lines.linePos(error.pos[0]);
      return problem(file.path, pos.line, pos.col, `YAML syntax: ${error.message.split('\n')[0]}`);
    });
    if (problems.length > 0) return { problems };
    return { source: new YamlSource(file, undefined, { doc, lines }), problems: [] };
  }

  /** The YAML document with positions, parsed on first use for JSON read the fast way. */
  private get doc(): Document {
    this.parsed ??= parseYaml(this.file.text);
    return this.parsed.doc;
  }

  private get lines(): LineCounter {
    this.parsed ??= parseYaml(this.file.text);
    return this.parsed.lines;
  }

  get path(): string {
    return this.file.path;
  }

  toJS(): unknown {
    return this.json ? this.json.value : this.doc.toJS();
  }

  /** Line and column (1-based) of the value at `path`, or of its nearest ancestor that exists. */
  positionOf(path: readonly PathPart[], { key = false } = {}): { line: number; column: number } {
    for (let depth = path.length; depth >= 0; depth--) {
      const prefix = path.slice(0, depth);
      if (key && depth === path.length && depth > 0) {
        const pair = this.pairAt(prefix);
        if (pair && (pair.key as Node | null)?.range) return this.at((pair.key as Node).range![0]);
      }
      const node = prefix.length === 0 ? this.doc.contents : (this.doc.getIn(prefix, true) as Node | undefined);
      if (node && (node as Node).range) return this.at((node as Node).range![0]);
    }
    return { line: 1, column: 1 };
  }

  /**
   * Position of character `offset` (0-based) inside the string value at `path`, in any scalar
   * style: quoted, plain, and block scalars (`|`, `>-`) over several lines, where folding and
   * indentation make the value differ from the text.
   */
  positionInString(path: readonly PathPart[], offset: number): { line: number; column: number } {
    const node = this.doc.getIn(path, true) as Node | undefined;
    if (!node || !isScalar(node) || !node.range || typeof node.value !== 'string') return this.positionOf(path);
    const text = this.file.text;
    let start = node.range[0];
    if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') start += 1;
    // A block scalar's text starts on the line after its header (`|`, `>-`, ...).
    if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') start = text.indexOf('\n', start) + 1;
    return this.at(alignInSource(node.value, text, start, node.range[1], offset, node.type === 'QUOTE_SINGLE' ? 'single' : node.type === 'QUOTE_DOUBLE' ? 'double' : 'none'));
  }

  problemAt(path: readonly PathPart[], message: string, severity: ContentProblem['severity'] = 'error', key = false): ContentProblem {
    const pos = this.positionOf(path, { key });
    return problem(this.file.path, pos.line, pos.column, message, severity);
  }

  /** Turns schema issues into positioned problems; unknown keys point at the key itself. */
  zodProblems(error: z.ZodError, schema: z.ZodType, base: readonly PathPart[] = []): ContentProblem[] {
    // `resource:` written for `resourceId:` is one mistake: the unknown key says so with
    // "did you mean", and "missing required key 'resourceId'" beside it would be a second report.
    const misspelt = new Set<string>();
    for (const issue of error.issues) {
      if (issue.code !== 'unrecognized_keys') continue;
      const path = [...base, ...(issue.path as PathPart[])];
      const known = knownKeysAt(schema, issue.path as PathPart[]).filter((name) => !this.keysAt(path).includes(name));
      for (const k of issue.keys) {
        const hint = /'(.*)'/.exec(didYouMean(k, known))?.[1];
        if (hint) misspelt.add(JSON.stringify([...path, hint]));
      }
    }
    return error.issues.flatMap((issue) => {
      const path = [...base, ...(issue.path as PathPart[])];
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((k) => {
          const siblings = this.keysAt(path);
          const known = knownKeysAt(schema, issue.path as PathPart[]).filter((name) => !siblings.includes(name));
          const hint = didYouMean(k, known);
          return this.problemAt([...path, k], `unknown key '${k}'${hint}`, 'error', true);
        });
      }
      if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message) && path.length > 0) {
        if (misspelt.has(JSON.stringify(path))) return [];
        const parent = path.slice(0, -1);
        const inside = parent.length ? ` in ${parent.join('.')}` : '';
        return [this.problemAt(parent, `missing required key '${String(path[path.length - 1])}'${inside} (expected ${issue.expected})`)];
      }
      const where = path.length ? `${path.join('.')}: ` : '';
      return [this.problemAt(path, `${where}${issue.message}`)];
    });
  }

  private keysAt(path: readonly PathPart[]): string[] {
    const node = path.length === 0 ? this.doc.contents : this.doc.getIn(path, true);
    return isMap(node) ? node.items.map((pair) => String((pair.key as { value?: unknown })?.value ?? pair.key)) : [];
  }

  private pairAt(path: readonly PathPart[]): Pair | undefined {
    const parent = path.length === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, -1), true);
    if (!isMap(parent)) return undefined;
    const last = path[path.length - 1];
    return parent.items.find((pair) => (isScalar(pair.key) ? pair.key.value : pair.key) === last) as Pair | undefined;
  }

  private at(offset: number): { line: number; column: number } {
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }
}

/**
 * Where character `offset` of a scalar's value stands in the file text `text[start, end)`.
 * The value is the text less what YAML adds around it: indentation, line breaks folded into
 * spaces, escapes and doubled quotes. Walking both in step, whitespace the value does not have
 * is skipped in the text.
 */
function alignInSource(value: string, text: string, start: number, end: number, offset: number, quote: 'single' | 'double' | 'none'): number {
  let r = start;
  const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  const skipTo = (c: string) => {
    while (r < end && text[r] !== c && isSpace(text[r])) r++;
  };
  for (let i = 0; i < Math.min(offset, value.length) && r < end; i++) {
    const c = value[i]!;
    if (quote === 'single' && c === "'" && text.startsWith("''", r)) r += 2;
    else if (text[r] === c) r++;
    else if (quote === 'double' && text[r] === '\\') r += 2;
    else if (isSpace(c)) {
      // A line break folded into a space (or kept): the text has the break and the next indentation.
      while (r < end && isSpace(text[r])) r++;
    } else {
      skipTo(c);
      r++;
    }
  }
  const next = value[offset];
  if (next !== undefined && !isSpace(next)) skipTo(next);
  return Math.min(r, end);
}

function parseYaml(text: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  return { doc: parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false }), lines };
}

/**
 * The value of a JSON text, when `JSON.parse` reads it exactly as the YAML parser would: it
 * parses, and no object repeats a key (JSON.parse keeps the last silently, the YAML parser
 * reports it). Anything else is undefined and goes the YAML way, which reports it with its place.
 */
export function strictJson(text: string): { value: unknown } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  // In valid JSON every string token is matched whole, in order; a key is a string followed by ':'.
  let keysInText = 0;
  for (const match of text.matchAll(/"(?:[^"\\]|\\.)*"(\s*:)?/g)) if (match[1]) keysInText++;
  return keysInText === keysIn(value) ? { value } : undefined;
}

function keysIn(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, item) => n + keysIn(item), 0);
  if (value === null || typeof value !== 'object') return 0;
  return Object.entries(value).reduce((n, [, item]) => n + 1 + keysIn(item), 0);
}

/**
 * Parses a content file and validates it against its schema. Syntax and schema problems are
 * added to `problems`. Undefined after a syntax error; without `data` after a schema error (the
 * source is still there, so the compiler can go on checking the file's expressions).
 */
export function parseContentFile<T>(
  file: SourceFile,
  schema: z.ZodType<T>,
  problems: ContentProblem[],
): { source: YamlSource; data?: T } | undefined {
  const { source, problems: syntax } = YamlSource.parse(file);
  problems.push(...syntax);
  if (!source) return undefined;
  const parsed = schema.safeParse(source.toJS());
  if (!parsed.success) {
    problems.push(...source.zodProblems(parsed.error, schema));
    return { source };
  }
  return { source, data: parsed.data };
}

export function problem(
  path: string,
  line: number,
  column: number,
  message: string,
  severity: ContentProblem['severity'] = 'error',
): ContentProblem {
  return { path, line, column, message, severity };
}

/** The keys an object schema accepts at `path` (walking arrays, optionals, unions and lazies). */
function knownKeysAt(schema: z.ZodType, path: readonly PathPart[]): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return knownKeysAt(def.innerType as z.ZodType, path);
    case 'pipe':
      return knownKeysAt(def.in as z.ZodType, path);
    case 'lazy':
      return knownKeysAt((def.getter as () => z.ZodType)(), path);
    case 'union':
      return [...new Set((def.options as z.ZodType[]).flatMap((option) => knownKeysAt(option, path)))];
    case 'array':
      return path.length ? knownKeysAt(def.element as z.ZodType, path.slice(1)) : [];
    case 'record':
      return path.length ? knownKeysAt(def.valueType as z.ZodType, path.slice(1)) : [];
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>;
      if (path.length === 0) return Object.keys(shape);
      const next = shape[String(path[0])];
      return next ? knownKeysAt(next, path.slice(1)) : [];
    }
    default:
      return [];
  }
}

/** ` (did you mean 'x'?)` when a known key is within two edits of the typo. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean '${best}'?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
