/**
 * What follows a fast shape (fast-paths.ts), when it is a plain chain of calls (`.where(...)
 * .sort(...).first().value`): two kinds of link are run natively on the shape's resources, the
 * other links in fhirpath.js, each run of them on the resources the link before gave.
 *
 * | link | run as |
 * |---|---|
 * | `.where(<status tests>)`: `a.coding.where(code = 'x' or code = 'y').exists()` or `.empty()`, `a.exists()`, `a.empty()`, joined by `and` / `or`, in parentheses | one pass over the resources |
 * | `.sort(x.ofType(dateTime) desc).first()` (x a choice element: `effective`) | the first resource with the latest `xDateTime` |
 *
 * Exactly what fhirpath.js gives, or nothing: a native link answers only for data it reads the
 * way fhirpath.js does, and otherwise the caller runs the whole expression in fhirpath.js (as
 * it does when a run of fhirpath.js links hands on something other than resources, whose
 * FHIR types a variable would not carry). So a native link gives up on a primitive extension
 * (`_code`) where it reads, a code that is not one string, and a date that is not a full
 * dateTime with seconds and a time zone, all in the same precision (fhirpath.js orders partial
 * dates and local times by rules of its own, and refuses to sort values it cannot compare).
 *
 * The tests are booleans, never empty, so `and` and `or` are plain ones here.
 */
import r4 from 'fhirpath/fhir-context/r4';
import { isResourceList, segmentsOf, walk } from './resource-walk.ts';
import { layer } from './variables.ts';

type Compiled = (vars: Record<string, unknown>) => unknown[];
type Resource = Record<string, unknown> & { resourceType: string };
/** A native link: the resources it keeps, or undefined when it cannot answer exactly. */
type NativeLink = (resources: Resource[], vars: Record<string, unknown>) => Resource[] | undefined;
/** One run of a link over a list: the call's variables, and what its tests computed once for it. */
interface LinkRun {
  vars: Record<string, unknown>;
  /** Each date comparison's bound (`now() - 5 years`) as an instant; null when it is not one. */
  bounds: Map<object, number | null>;
}
/**
 * Whether a resource passes (true; false also for empty), or undefined when it cannot answer
 * exactly. Tests are only joined by `and` / `or` (no `not()`), and for those "is true" of the
 * whole follows from "is true" of the parts, so an empty part may count as false.
 */
type Test = (resource: Resource, run: LinkRun) => boolean | undefined;

/** Runs a chain on the shape's resources; undefined: run the whole expression in fhirpath.js. */
export type Chain = (found: Resource[], vars: Record<string, unknown>) => unknown[] | undefined;

/**
 * The chain `rest` compiled: native links where it has them, fhirpath.js for the others (each
 * such run reads its input from the variable `prefixVar`). Undefined when `rest` is not a plain
 * chain of calls, or has no native link.
 */
export function compileChain(rest: string, prefixVar: string, compile: (expression: string) => Compiled): Chain | undefined {
  const links = linksOf(rest);
  if (!links) return undefined;
  const steps: ({ native: NativeLink } | { fhirpath: Compiled })[] = [];
  let pending = '';
  const flush = () => {
    if (pending) steps.push({ fhirpath: compile(`%${prefixVar}${pending}`) });
    pending = '';
  };
  // Native links read resources: only until a link gives something else (`.value`, `.select()`).
  let resources = true;
  for (let i = 0; i < links.length; i++) {
    const link = links[i]!;
    const native = resources ? nativeLink(link, links[i + 1], compile) : undefined;
    if (native) {
      flush();
      steps.push({ native: native.run });
      i += native.links - 1;
    } else {
      pending += link.text;
      if (!KEEP_RESOURCES.has(link.name) || link.argument === undefined) resources = false;
    }
  }
  flush();
  if (!steps.some((s) => 'native' in s)) return undefined;
  return (found, vars) => {
    let value: unknown[] = found;
    for (const step of steps) {
      if ('native' in step) {
        if (!isResourceList(value)) return undefined;
        const kept = step.native(value, vars);
        if (!kept) return undefined;
        value = kept;
      } else value = step.fhirpath(layer(vars, { [prefixVar]: value }));
    }
    return value;
  };
}

/** Functions whose result holds some of their input's items, so resources stay resources. */
const KEEP_RESOURCES = new Set(['where', 'first', 'last', 'tail', 'skip', 'take']);

/**
 * How much of `text` is links that keep resources (`.where(...)`, `.first()`), from its start:
 * a lookup term inside a larger expression (fast-paths.ts) takes them along, its value still a
 * list of resources.
 */
export function resourceLinksLength(text: string): number {
  let length = 0;
  for (const link of linksOf(text, true) ?? []) {
    if (!KEEP_RESOURCES.has(link.name) || link.argument === undefined) break;
    length += link.text.length;
  }
  return length;
}

interface Link {
  /** The link as written, with its leading dot. */
  text: string;
  name: string;
  /** The argument text, without the parentheses; undefined for a member (`.value`). */
  argument?: string;
}

/** `.a(...).b.c(...)` as its links; undefined for anything else (an operator, an indexer, `|`). */
function linksOf(rest: string, leading = false): Link[] | undefined {
  const links: Link[] = [];
  let i = 0;
  const head = /\s*\.\s*([A-Za-z_]\w*)\s*/y;
  while (i < rest.length) {
    if (/^\s*$/.test(rest.slice(i))) break;
    head.lastIndex = i;
    const match = head.exec(rest);
    if (!match) return leading ? links : undefined;
    const start = i;
    i = head.lastIndex;
    let argument: string | undefined;
    if (rest[i] === '(') {
      const close = closingParen(rest, i);
      if (close === undefined) return leading ? links : undefined;
      argument = rest.slice(i + 1, close);
      i = close + 1;
    }
    links.push({ text: rest.slice(start, i), name: match[1]!, argument });
  }
  return links;
}

/** The offset of the `)` closing the `(` at `open`, skipping strings, backquoted names and comments. */
function closingParen(text: string, open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'" || ch === '`') {
      for (i++; i < text.length && text[i] !== ch; i++) if (text[i] === '\\') i++;
    } else if (ch === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) return undefined;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  return undefined;
}

/** The native form of the link (and how many links it takes), if it has one. */
function nativeLink(link: Link, next: Link | undefined, compile: (expression: string) => Compiled): { run: NativeLink; links: number } | undefined {
  if (link.name === 'where' && link.argument !== undefined) {
    const test = parseTests(link.argument, compile);
    if (test) return { run: (resources, vars) => filter(resources, test, { vars, bounds: new Map() }), links: 1 };
  }
  if (link.name === 'sort' && link.argument !== undefined && next?.name === 'first' && next.argument?.trim() === '') {
    const key = /^\s*([a-z]\w*)\s*\.\s*ofType\s*\(\s*dateTime\s*\)\s+desc\s*$/.exec(link.argument);
    if (key) return { run: (resources) => latest(resources, key[1]!), links: 2 };
  }
  return undefined;
}

/** The resources that pass, in their order. */
function filter(resources: Resource[], test: Test, run: LinkRun): Resource[] | undefined {
  const kept: Resource[] = [];
  for (const resource of resources) {
    const passed = test(resource, run);
    if (passed === undefined) return undefined;
    if (passed) kept.push(resource);
  }
  return kept;
}

// --- .where(<status tests>) ---------------------------------------------------------------------

const STRING = String.raw`'([^'\\]+)'`;
/** `a.b.coding.where(code = 'x' or code = 'y' ...).exists()` or `.empty()` (groups: path, codes, function). */
const CODING_TEST = new RegExp(
  String.raw`\s*((?:[a-z]\w*\s*\.\s*)*)coding\s*\.\s*where\s*\(\s*(code\s*=\s*'[^'\\]+'(?:\s+or\s+code\s*=\s*'[^'\\]+')*)\s*\)\s*\.\s*(exists|empty)\s*\(\s*\)`,
  'y',
);
/** `a.b.exists()` or `a.b.empty()` (groups: path, function). */
const PATH_TEST = new RegExp(String.raw`\s*([a-z]\w*(?:\s*\.\s*[a-z]\w*)*)\s*\.\s*(exists|empty)\s*\(\s*\)`, 'y');
const WORD = /\s*(and|or)\b/y;

/** The criterion as a test, or undefined when it is not made only of status tests. */
function parseTests(criterion: string, compile: (expression: string) => Compiled): Test | undefined {
  let at = 0;
  const peekWord = (): string | undefined => {
    WORD.lastIndex = at;
    const match = WORD.exec(criterion);
    return match ? match[1] : undefined;
  };
  const skipWord = () => {
    WORD.lastIndex = at;
    WORD.exec(criterion);
    at = WORD.lastIndex;
  };
  const atom = (): Test | undefined => {
    const start = at;
    const open = /\s*\(/y;
    open.lastIndex = at;
    if (open.exec(criterion)) {
      at = open.lastIndex;
      const inner = anyOf();
      const close = /\s*\)/y;
      close.lastIndex = at;
      if (inner && close.exec(criterion)) {
        at = close.lastIndex;
        return inner;
      }
      // Not a group of tests: a test that starts with a parenthesis (`(a | b) >= ...`).
      at = start;
    }
    CODING_TEST.lastIndex = at;
    let match = CODING_TEST.exec(criterion);
    if (match) {
      at = CODING_TEST.lastIndex;
      const segments = [...(match[1] ? segmentsOf(match[1].replace(/\.\s*$/, '')) : []), 'coding'];
      const codes = new Set([...match[2]!.matchAll(new RegExp(STRING, 'g'))].map((m) => m[1]!));
      return codingTest(segments, codes, match[3] === 'exists');
    }
    PATH_TEST.lastIndex = at;
    match = PATH_TEST.exec(criterion);
    if (match) {
      at = PATH_TEST.lastIndex;
      return pathTest(segmentsOf(match[1]!), match[2] === 'exists');
    }
    DATE_TEST.lastIndex = at;
    match = DATE_TEST.exec(criterion);
    if (match && (match[2] === undefined || match[2] === match[3])) {
      at = DATE_TEST.lastIndex;
      const [, single, choice, , operator, bound] = match;
      return dateTest(single ?? choice!, single === undefined, operator!, compile(bound!));
    }
    FIELD_TEST.lastIndex = at;
    match = FIELD_TEST.exec(criterion);
    if (match) {
      at = FIELD_TEST.lastIndex;
      const [, field, equal, list] = match;
      return fieldTest(field!, new Set(equal !== undefined ? [equal] : stringsOf(list!)));
    }
    CODE_OR_UNIT_TEST.lastIndex = at;
    match = CODE_OR_UNIT_TEST.exec(criterion);
    if (match && squeeze(match[1]!) === squeeze(match[2]!)) {
      at = CODE_OR_UNIT_TEST.lastIndex;
      const [, first, , otherwise, expected] = match;
      const a = typedPath(first!);
      const b = typedPath(otherwise!);
      return a && b ? firstOrElseEquals(a, b, expected!) : undefined;
    }
    return undefined;
  };
  /** Items joined by one word: `and` (all of them) binds tighter than `or` (any of them). */
  const joined = (word: 'and' | 'or', item: () => Test | undefined): Test | undefined => {
    const tests = [item()];
    while (peekWord() === word) {
      skipWord();
      tests.push(item());
    }
    return combine(tests, word === 'and');
  };
  const allOf = () => joined('and', atom);
  const anyOf = (): Test | undefined => joined('or', allOf);
  const test = anyOf();
  return test && /^\s*$/.test(criterion.slice(at)) ? test : undefined;
}

/** `and` (all) or `or` (any) of tests; undefined as soon as one cannot answer. */
function combine(tests: (Test | undefined)[], all: boolean): Test | undefined {
  if (tests.some((t) => !t)) return undefined;
  const list = tests as Test[];
  if (list.length === 1) return list[0];
  return (resource, run) => {
    let result = all;
    for (const test of list) {
      const passed = test(resource, run);
      if (passed === undefined) return undefined;
      if (passed !== all) result = passed;
    }
    return result;
  };
}

/**
 * `path.coding.where(code = 'x' or ...).exists()` (or `.empty()`): whether a Coding's code is one
 * of the codes. `code = 'x'` is true for a code that is that one string, false for another
 * string, and empty (not kept by `where`) for no code.
 */
function codingTest(segments: string[], codes: ReadonlySet<string>, exists: boolean): Test {
  return (resource) => {
    const codings = strictWalk(resource, segments);
    if (!codings) return undefined;
    let found = false;
    for (const coding of codings) {
      if (!coding || typeof coding !== 'object' || Array.isArray(coding)) continue;
      const record = coding as Record<string, unknown>;
      if (Object.hasOwn(record, '_code')) return undefined;
      const code = record.code;
      if (code === undefined || code === null) continue;
      if (typeof code !== 'string') return undefined;
      if (codes.has(code)) found = true;
    }
    return found === exists;
  };
}

/** `path.exists()` / `path.empty()`. */
function pathTest(segments: string[], exists: boolean): Test {
  return (resource) => {
    const values = strictWalk(resource, segments);
    if (!values) return undefined;
    return values.length > 0 === exists;
  };
}

/**
 * `walk` from one resource, or undefined where fhirpath.js could see more than the JSON values:
 * a primitive's extension (`_name`) beside or instead of a value on the path.
 */
function strictWalk(resource: Resource, segments: string[]): unknown[] | undefined {
  let current: unknown[] = [resource];
  for (const segment of segments) {
    for (const value of current) {
      if (value && typeof value === 'object' && Object.hasOwn(value, `_${segment}`)) return undefined;
    }
    current = walk(current, [segment]);
  }
  return current;
}

/** `c.ofType(dateTime) >= now() - 5 years`, or `(c.ofType(dateTime) | c.ofType(Period).start) ...` (groups: c alone, c twice, operator, bound). */
const DATE_TEST = new RegExp(
  String.raw`\s*(?:([a-z]\w*)\s*\.\s*ofType\s*\(\s*dateTime\s*\)|\(\s*([a-z]\w*)\s*\.\s*ofType\s*\(\s*dateTime\s*\)\s*\|\s*([a-z]\w*)\s*\.\s*ofType\s*\(\s*Period\s*\)\s*\.\s*start\s*\))\s*(>=|<=|>|<)\s*(now\s*\(\s*\)\s*-\s*\d+\s+(?:years?|months?|weeks?|days?))(?![\w.(\[])`,
  'y',
);
/** `f = 's'` or `f in ('s' | 't')`, f an element of the resource (groups: f, s, the list). */
const FIELD_TEST = new RegExp(String.raw`\s*([a-z]\w*)\s*(?:=\s*${STRING}|in\s*\(\s*('[^'\\]+'(?:\s*\|\s*'[^'\\]+')*)\s*\))(?![\w.(\[])`, 'y');
/** A path that may start with a choice's type: `value.ofType(Quantity).code`. */
const TYPED_PATH = String.raw`[a-z]\w*(?:\s*\.\s*ofType\s*\(\s*[A-Z]\w*\s*\))?(?:\s*\.\s*[a-z]\w*)*`;
/** `iif(p.exists(), p, q) = 's'`: p when there is one, else q (groups: p, p again, q, s). */
const CODE_OR_UNIT_TEST = new RegExp(
  String.raw`\s*iif\s*\(\s*(${TYPED_PATH})\s*\.\s*exists\s*\(\s*\)\s*,\s*(${TYPED_PATH})\s*,\s*(${TYPED_PATH})\s*\)\s*=\s*${STRING}(?![\w.(\[])`,
  'y',
);

const stringsOf = (list: string) => [...list.matchAll(new RegExp(STRING, 'g'))].map((m) => m[1]!);
const squeeze = (text: string) => text.replace(/\s+/g, '');

/**
 * `c.ofType(dateTime) >= now() - 5 years` (and `>`, `<=`, `<`; with `| c.ofType(Period).start`
 * when `period`). The bound is fhirpath.js's own answer, once per run of the link. A value and a
 * bound of different precision (seconds, milliseconds) are compared by fhirpath.js at the coarser
 * one, and are empty when equal there; so a value less than a second from the bound is left to
 * fhirpath.js, and further from it the instants decide.
 */
function dateTest(choice: string, period: boolean, operator: string, bound: Compiled): Test {
  return (resource, run) => {
    let at = run.bounds.get(bound);
    if (at === undefined) {
      const value = bound(run.vars);
      at = value.length === 1 && typeof value[0] === 'string' ? instantOf(value[0]) : null;
      run.bounds.set(bound, at);
    }
    if (at === null) return undefined;
    const value = choiceDateTime(resource, choice, period);
    if (value === undefined) return undefined;
    if (value === null) return false;
    if (Math.abs(value - at) < 1000) return undefined;
    return operator === '>=' || operator === '>' ? value > at : value < at;
  };
}

/**
 * The instant of `cDateTime` (or of `cPeriod.start` when `period`); null for none; undefined where
 * it cannot be read exactly (not a choice of this type in the R4 model, another choice taken,
 * a primitive extension, not a full dateTime, several values).
 */
function choiceDateTime(resource: Resource, choice: string, period: boolean): number | null | undefined {
  const types = CHOICES[`${resource.resourceType}.${choice}`];
  if (!types?.includes('DateTime') || (period && !types.includes('Period'))) return undefined;
  let found: number | null = null;
  for (const key in resource) {
    if (!Object.hasOwn(resource, key)) continue;
    if (key.charCodeAt(0) === 95 /* _ */ && key.startsWith(choice, 1)) return undefined;
    if (!key.startsWith(choice)) continue;
    const next = key.charCodeAt(choice.length);
    if (next < 65 || next > 90) continue;
    const type = key.slice(choice.length);
    let text: unknown;
    if (type === 'DateTime') text = resource[key];
    else if (type === 'Period' && period) {
      const value = resource[key];
      if (!value || typeof value !== 'object' || Array.isArray(value) || Object.hasOwn(value, '_start')) return undefined;
      text = (value as { start?: unknown }).start;
    } else if (type === 'Period' || type === 'Timing') continue;
    else return undefined;
    if (text === undefined || text === null) continue;
    if (typeof text !== 'string' || found !== null) return undefined;
    const at = instantOf(text);
    if (at === null) return undefined;
    found = at;
  }
  return found;
}

/** A full dateTime's instant (to the second with a zone); null for anything else. */
function instantOf(text: string): number | null {
  if (!FULL_DATE_TIME.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : at;
}

/** `f = 's'` / `f in ('s' | 't')` on an element holding one string (empty: false). */
function fieldTest(field: string, allowed: ReadonlySet<string>): Test {
  return (resource) => {
    if (Object.hasOwn(resource, `_${field}`)) return undefined;
    const value = resource[field];
    if (value === undefined || value === null) return CHOICES[`${resource.resourceType}.${field}`] ? undefined : false;
    if (typeof value !== 'string') return undefined;
    return allowed.has(value);
  };
}

interface TypedPath {
  /** The first element, a choice when `type` is given. */
  head: string;
  type?: string;
  rest: string[];
}

function typedPath(text: string): TypedPath | undefined {
  const match = /^([a-z]\w*)(?:\.ofType\(([A-Z]\w*)\))?((?:\.[a-z]\w*)*)$/.exec(squeeze(text));
  if (!match) return undefined;
  return { head: match[1]!, type: match[2], rest: match[3] ? match[3].slice(1).split('.') : [] };
}

/** The values at a typed path of one resource; undefined where they cannot be read exactly. */
function typedValues(resource: Resource, path: TypedPath): unknown[] | undefined {
  let start: unknown[];
  if (path.type === undefined) {
    const values = strictWalk(resource, [path.head]);
    if (!values) return undefined;
    start = values;
  } else {
    if (!CHOICES[`${resource.resourceType}.${path.head}`]?.includes(path.type)) return undefined;
    if (Object.hasOwn(resource, `_${path.head}${path.type}`)) return undefined;
    const value = resource[`${path.head}${path.type}`];
    start = value === undefined || value === null ? [] : [value];
  }
  const values: unknown[] = [];
  for (const value of start) {
    const found = strictWalk(value as Resource, path.rest);
    if (!found) return undefined;
    values.push(...found);
  }
  return values;
}

/** `iif(p.exists(), p, q) = 's'`: one string equal to `s` (empty or several: false). */
function firstOrElseEquals(first: TypedPath, otherwise: TypedPath, expected: string): Test {
  return (resource) => {
    let values = typedValues(resource, first);
    if (!values) return undefined;
    if (values.length === 0) values = typedValues(resource, otherwise);
    if (!values) return undefined;
    if (values.length !== 1) return false;
    if (typeof values[0] !== 'string') return undefined;
    return values[0] === expected;
  };
}

// --- .sort(x.ofType(dateTime) desc).first() -----------------------------------------------------

/** A dateTime to the second with a time zone, optionally with milliseconds. */
const FULL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * `sort(xDateTime desc).first()`: fhirpath.js sorts stably, later instants first, resources
 * without the value last, so the answer is the first resource with the latest instant, or the
 * first resource when none has one.
 */
function latest(resources: Resource[], choice: string): Resource[] | undefined {
  if (resources.length === 0) return [];
  const dateTimeKey = `${choice}DateTime`;
  const extensionPrefix = `_${choice}`;
  const prefixLength = choice.length;
  let best: Resource | undefined;
  let bestAt = -Infinity;
  let withMilliseconds: boolean | undefined;
  for (const resource of resources) {
    // Only where the R4 model has the choice, as fhirpath.js reads it (`effective` of an Observation).
    if (!CHOICES[`${resource.resourceType}.${choice}`]?.includes('DateTime')) return undefined;
    let value: unknown;
    for (const key in resource) {
      if (!Object.hasOwn(resource, key)) continue;
      if (key.startsWith(extensionPrefix)) return undefined;
      if (!key.startsWith(choice)) continue;
      const next = key.charCodeAt(prefixLength);
      if (next < 65 || next > 90) continue;
      if (key === dateTimeKey) value = resource[key];
      // Another choice that could be taken as a dateTime too (an instant): not here.
      else if (key !== `${choice}Period` && key !== `${choice}Timing`) return undefined;
    }
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') return undefined;
    const match = FULL_DATE_TIME.exec(value);
    if (!match) return undefined;
    const hasMilliseconds = match[1] !== undefined;
    if (withMilliseconds === undefined) withMilliseconds = hasMilliseconds;
    else if (withMilliseconds !== hasMilliseconds) return undefined;
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    if (at > bestAt) {
      best = resource;
      bestAt = at;
    }
  }
  return [best ?? resources[0]!];
}

/** The R4 model's choice elements and their types (`Observation.effective`: DateTime, Period, ...). */
const CHOICES = (r4 as unknown as { choiceTypePaths: Record<string, string[] | undefined> }).choiceTypePaths;

