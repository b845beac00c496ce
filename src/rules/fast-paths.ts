/**
 * Fast paths: the expression shapes rules run over long lists, answered from a per-call index
 * instead of fhirpath.js's general interpreter (which builds a node per item and per property and
 * calls `inValueSet` once per item). Same results, by construction and by test
 * (test/content/fast-paths.test.ts runs every shipped rule with and without them):
 *
 * | shape (at the start of an expression) | run as |
 * |---|---|
 * | `%list[.ofType(T)].where(a.b.inValueSet('vs'))...`, also `... or c.d.hasIngredient('rxcui') or ...` | codes of `a.b` over `%list`, indexed once per call; each test is asked once per distinct code |
 * | `%list.where(a.coding.where(system = 'S' and code = 'C').exists())...`, also `... and (code = 'C' or code = 'D')`, and joined by `or` with each other and the tests above | one lookup per code in the same index |
 * | `(%x \| %y).where(<code tests as above>).exists()` | the two lookups, without hashing every resource for the union |
 * | `%bundle.entry.resource.ofType(T)`, then optionally `.where(f = 's')` or `.where(f in ('s' \| 't'))` | one pass over the entries, comparing strings |
 * | `%bundle.entry.resource[.ofType(T)].where((resourceType + '/' + id) in %selections)`, or `('T/' + id)` | one set lookup per resource (fhirpath.js compares each with every selection: n x m) |
 * | either of the first two shapes as a term inside a larger expression (`(%a.where(...) \| %b.where(...)).exists()`) | the term as above, the expression around it in fhirpath.js |
 *
 * What follows the shape (`.exists()`, `.first().medication`, another `.where(...)`) runs in
 * fhirpath.js on the looked-up resources, except the links fast-chain.ts runs natively (a
 * `where` of status tests, `sort(x.ofType(dateTime) desc).first()`). A `%list` that is not a list of resources (a Bundle, a
 * value of another kind) runs the whole expression in fhirpath.js as written.
 *
 * The index lives in a WeakMap keyed by the list itself: a define's value is one array for the
 * whole call, so every define filtering the same list shares one index, and it goes with the call.
 */
import { type CodeTests, forEachCoding } from './functions.ts';
import { compileChain, resourceLinksLength } from './fast-chain.ts';
import { forEachAt, isResourceList, segmentsOf } from './resource-walk.ts';
import { codeKey } from './valuesets.ts';
import { type LazyValue, layer } from './variables.ts';

type Compiled = (vars: Record<string, unknown>) => unknown[];
type Resource = Record<string, unknown> & { resourceType: string };

const PATH = String.raw`([a-z]\w*(?:\s*\.\s*[a-z]\w*)*)`;
const VAR = String.raw`%([A-Za-z_]\w*)`;
/** A path that ends at Codings: `system = ` and `code = ` then test each Coding. */
const CODING_PATH = String.raw`((?:[a-z]\w*\s*\.\s*)*coding)`;
const STRING = String.raw`'([^'\\]+)'`;
/** One code test, `a.b.inValueSet('vs')` or `a.b.hasIngredient('rxcui')`, capturing path, function and argument. */
const CODE_TEST = String.raw`${PATH}\s*\.\s*(inValueSet|hasIngredient)\s*\(\s*${STRING}\s*\)`;
const ANY_CODE_TEST = String.raw`[a-z]\w*(?:\s*\.\s*[a-z]\w*)*\s*\.\s*(?:inValueSet|hasIngredient)\s*\(\s*'[^'\\]+'\s*\)`;
const CODE_IS = String.raw`code\s*=\s*'[^'\\]+'`;
/** `code = 'C'`, or `(code = 'C' or code = 'D' ...)`. */
const CODES = String.raw`(?:${CODE_IS}|\(\s*${CODE_IS}(?:\s+or\s+${CODE_IS})*\s*\))`;
/**
 * A coding test, `a.coding.where(system = 'S' and code = 'C').exists()` (or `... and (code = 'C'
 * or code = 'D')`), capturing the coding path, the system and the codes.
 */
const HAS_CODE_TEST = String.raw`${CODING_PATH}\s*\.\s*where\s*\(\s*system\s*=\s*${STRING}\s+and\s+(${CODES})\s*\)\s*\.\s*exists\s*\(\s*\)`;
const ANY_HAS_CODE_TEST = String.raw`(?:[a-z]\w*\s*\.\s*)*coding\s*\.\s*where\s*\(\s*system\s*=\s*'[^'\\]+'\s+and\s+${CODES}\s*\)\s*\.\s*exists\s*\(\s*\)`;
const ANY_TERM = String.raw`(?:${ANY_CODE_TEST}|${ANY_HAS_CODE_TEST})`;
/** Code tests of either kind joined by `or` (each is true or false, never empty, so `or` is "any of them"). */
const CODE_TESTS = String.raw`(${ANY_TERM}(?:\s+or\s+${ANY_TERM})*)`;
/** The terms of CODE_TESTS one after the other (sticky): groups 1-3 a code test, 4-6 a coding test. */
const TERM_EACH = new RegExp(String.raw`\s*(?:or\s+)?(?:${CODE_TEST}|${HAS_CODE_TEST})`, 'y');
/** `.ofType(T)` right after the list's variable (optional; group: T). */
const LIST_OF_TYPE = String.raw`(?:\s*\.\s*ofType\s*\(\s*([A-Z][A-Za-z]*)\s*\))?`;
/** `%list[.ofType(T)].where(<code tests>)`. */
const CODE_FILTER = new RegExp(String.raw`^\s*${VAR}${LIST_OF_TYPE}\s*\.\s*where\s*\(\s*${CODE_TESTS}\s*\)`);
const UNION_EXISTS = new RegExp(String.raw`^\s*\(\s*${VAR}\s*\|\s*${VAR}\s*\)\s*\.\s*where\s*\(\s*${CODE_TESTS}\s*\)\s*\.\s*exists\s*\(\s*\)\s*$`);
const OF_TYPE = new RegExp(
  String.raw`^\s*${VAR}\s*\.\s*entry\s*\.\s*resource\s*\.\s*ofType\s*\(\s*([A-Z][A-Za-z]*)\s*\)(?:\s*\.\s*where\s*\(\s*([a-z]\w*)\s*(?:=\s*${STRING}|in\s*\(\s*(${STRING}(?:\s*\|\s*${STRING})*)\s*\))\s*\))?`,
);
/** `%draftOrders.entry.resource[.ofType(T)].where((resourceType + '/' + id) in %selections)`, or `('T/' + id)`. */
const SELECTED = new RegExp(
  String.raw`^\s*${VAR}\s*\.\s*entry\s*\.\s*resource(?:\s*\.\s*ofType\s*\(\s*([A-Z][A-Za-z]*)\s*\))?\s*\.\s*where\s*\(\s*\(\s*(?:resourceType\s*\+\s*'/'|'([A-Z][A-Za-z]*)/')\s*\+\s*id\s*\)\s+in\s+${VAR}\s*\)`,
);
/** Types whose `ofType` also takes their subtypes: left to fhirpath.js. */
const ABSTRACT_TYPES = new Set(['Resource', 'DomainResource']);
/** The variable the rest of an expression reads the looked-up resources from. */
const PREFIX_VAR = '__fastPathPrefix';
/** The variables that stand for lookup terms inside an expression (`__fastPathTerm0`, ...). */
const INNER_VAR = '__fastPathTerm';

/**
 * A fast version of `expression`, or undefined when it has none of the shapes.
 * @param plain the expression compiled by fhirpath.js, run whenever the input is not a resource list
 * @param compile compiles the rest of the expression (it reads `%__fastPathPrefix`)
 */
export function fastPath(expression: string, plain: Compiled, compile: (expression: string) => Compiled, tests: CodeTests): Compiled | undefined {
  const union = UNION_EXISTS.exec(expression);
  if (union) {
    const [, left, right, criterion] = union as unknown as [string, string, string, string];
    const passing = codeTestsOf(criterion, tests);
    if (!passing) return undefined;
    return (vars) => {
      const a = resourceList(vars, left);
      const b = resourceList(vars, right);
      if (!a || !b) return plain(vars);
      return [passingAny(a, passing).length > 0 || passingAny(b, passing).length > 0];
    };
  }
  const selected = SELECTED.exec(expression);
  if (selected && !ABSTRACT_TYPES.has(selected[2] ?? '')) {
    const [whole, bundle, type, prefix, selections] = selected as unknown as [string, string, string | undefined, string | undefined, string];
    return thenRest(expression, whole.length, (vars) => selectedEntries(vars, bundle, type, prefix, selections), plain, compile);
  }
  const ofType = OF_TYPE.exec(expression);
  if (ofType && !ABSTRACT_TYPES.has(ofType[2]!)) {
    const [whole, name, type, field, equal, list] = ofType as unknown as [string, string, string, string?, string?, string?];
    const allowed = equal !== undefined ? new Set([equal]) : list !== undefined ? new Set([...list.matchAll(/'([^'\\]+)'/g)].map((m) => m[1]!)) : undefined;
    return thenRest(expression, whole.length, (vars) => entriesOfType(vars, name, type, field, allowed), plain, compile);
  }
  const match = CODE_FILTER.exec(expression);
  if (!match) return innerLookups(expression, compile);
  const passing = codeTestsOf(match[3]!, tests);
  if (!passing) return undefined;
  const name = match[1]!;
  const type = match[2];
  if (type && ABSTRACT_TYPES.has(type)) return undefined;
  return thenRest(
    expression,
    match[0].length,
    (vars) => {
      const all = resourceList(vars, name);
      if (!all) return undefined;
      return passingAny(type ? all.filter((r) => r.resourceType === type) : all, passing);
    },
    plain,
    compile,
  );
}

/**
 * A shape's resources (`find`), then what follows the shape, in fhirpath.js on those; the whole
 * expression in fhirpath.js when `find` cannot answer (the input is not what the shape reads).
 */
function thenRest(expression: string, shapeLength: number, find: (vars: Record<string, unknown>) => Resource[] | undefined, plain: Compiled, compile: (expression: string) => Compiled): Compiled {
  const rest = expression.slice(shapeLength);
  if (rest.trim() === '') {
    return (vars) => find(vars) ?? plain(vars);
  }
  // Native links in what follows (fast-chain.ts), or all of it in fhirpath.js.
  const chain = compileChain(rest, PREFIX_VAR, compile);
  const continued = chain ? undefined : compile(`%${PREFIX_VAR}${rest}`);
  return (vars) => {
    const found = find(vars);
    if (!found) return plain(vars);
    if (chain) return chain(found, vars) ?? plain(vars);
    return continued!(withPrefix(vars, found));
  };
}

/**
 * The lookup shapes (`%list.where(<code tests>)`, `%list.where(<codings>.where(system = 'S' and
 * code = 'C').exists())`) inside a larger expression: `(%a.where(...) | %b.where(...)).exists()`,
 * `%x.exists() and %list.where(...).empty()`. Each is a term that reads only its own variable,
 * so it means the same wherever it stands: the expression runs in fhirpath.js with each such term
 * replaced by a variable whose value is the term run on its own (a fast path, or fhirpath.js when
 * the list is not one of resources), computed when fhirpath.js first reads it, at most once per
 * run. Not when the expression declares variables itself (`defineVariable`), which a term run
 * on its own would not see.
 */
function innerLookups(expression: string, compile: (expression: string) => Compiled): Compiled | undefined {
  if (expression.includes('defineVariable')) return undefined;
  const terms: { name: string; run: Compiled }[] = [];
  let rewritten = '';
  let done = 0;
  for (const start of variableStarts(expression)) {
    if (start < done) continue;
    const rest = expression.slice(start);
    const match = CODE_FILTER.exec(rest);
    if (!match) continue;
    // The term takes along the links after it that keep resources (`.where(<date test>)`).
    const length = match[0].length + resourceLinksLength(rest.slice(match[0].length));
    const name = `${INNER_VAR}${terms.length}`;
    terms.push({ name, run: compile(rest.slice(0, length).trim()) });
    rewritten += `${expression.slice(done, start)}%${name}`;
    done = start + length;
  }
  if (terms.length === 0) return undefined;
  let whole: Compiled;
  try {
    whole = compile(rewritten + expression.slice(done));
  } catch {
    return undefined;
  }
  return (vars) => {
    const inner = new Map<string, LazyValue>();
    for (const { name, run } of terms) {
      let value: unknown[] | undefined;
      inner.set(name, () => (value ??= run(vars)));
    }
    return whole(layer(vars, {}, inner));
  };
}

/** Offsets of the `%` of each variable in code: not in a string, a backquoted name or a comment. */
function variableStarts(expression: string): number[] {
  const starts: number[] = [];
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i];
    if (ch === "'" || ch === '`') {
      for (i++; i < expression.length && expression[i] !== ch; i++) if (expression[i] === '\\') i++;
    } else if (ch === '/' && expression[i + 1] === '/') {
      const end = expression.indexOf('\n', i);
      if (end === -1) break;
      i = end;
    } else if (ch === '/' && expression[i + 1] === '*') {
      const end = expression.indexOf('*/', i + 2);
      if (end === -1) break;
      i = end + 1;
    } else if (ch === '%') starts.push(i);
  }
  return starts;
}

function withPrefix(vars: Record<string, unknown>, found: Resource[]): Record<string, unknown> {
  return layer(vars, { [PREFIX_VAR]: found });
}

/**
 * The resources (of type `type`, when given) in the Bundle held by the variable, those whose string `field` is
 * one of `allowed` when given; undefined (run it in fhirpath.js) for anything but a Bundle or an
 * empty value, or a `field` that is not a plain string somewhere.
 */
function entriesOfType(vars: Record<string, unknown>, name: string, type: string | undefined, field: string | undefined, allowed: Set<string> | undefined): Resource[] | undefined {
  if (!(name in vars)) return undefined;
  const value = vars[name];
  if (Array.isArray(value) && value.length === 0) return [];
  if (!value || typeof value !== 'object' || (value as { resourceType?: unknown }).resourceType !== 'Bundle') return undefined;
  const entries = (value as { entry?: unknown }).entry;
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) return undefined;
  const found: Resource[] = [];
  for (const entry of entries) {
    const resource = entry && typeof entry === 'object' ? (entry as { resource?: unknown }).resource : undefined;
    if (!resource || typeof resource !== 'object' || Array.isArray(resource)) continue;
    if (type !== undefined && (resource as { resourceType?: unknown }).resourceType !== type) continue;
    if (field !== undefined) {
      const actual = (resource as Record<string, unknown>)[field];
      if (actual === undefined || actual === null) continue;
      if (typeof actual !== 'string') return undefined;
      if (!allowed!.has(actual)) continue;
    }
    found.push(resource as Resource);
  }
  return found;
}

/**
 * The Bundle's resources (of `type`, when given) whose `Type/id` is one of the selections, in
 * Bundle order: one set lookup each, where fhirpath.js compares every resource with every
 * selection. Undefined (run it in fhirpath.js) unless the selections are strings and every
 * resource has a string resourceType and a string id or none.
 */
function selectedEntries(vars: Record<string, unknown>, bundle: string, type: string | undefined, prefix: string | undefined, selections: string): Resource[] | undefined {
  if (!(selections in vars)) return undefined;
  const selected = vars[selections];
  if (!Array.isArray(selected) || !selected.every((s) => typeof s === 'string')) return undefined;
  const resources = entriesOfType(vars, bundle, type, undefined, undefined);
  if (!resources) return undefined;
  const wanted = new Set(selected as string[]);
  const found: Resource[] = [];
  for (const resource of resources) {
    const { id, resourceType } = resource as { id?: unknown; resourceType?: unknown };
    if (typeof resourceType !== 'string' || (id !== undefined && typeof id !== 'string')) return undefined;
    if (id !== undefined && wanted.has(`${prefix ?? resourceType}/${id}`)) found.push(resource);
  }
  return found;
}

/** The variable's value when it is a list of plain resources (a define's value), else undefined. */
function resourceList(vars: Record<string, unknown>, name: string): Resource[] | undefined {
  if (!(name in vars)) return undefined;
  const value = vars[name];
  return Array.isArray(value) && isResourceList(value) ? value : undefined;
}

/** Positions in the list of the resources carrying each code (`codeKey`) at one path. */
type CodeIndex = Map<string, number[]>;

const indexes = new WeakMap<Resource[], Map<string, CodeIndex>>();

/** The list's resources by the codes at `segments`, built once per list and path. */
function index(list: Resource[], segments: string[]): CodeIndex {
  let byPath = indexes.get(list);
  if (!byPath) indexes.set(list, (byPath = new Map()));
  const pathKey = segments.join('.');
  let built = byPath.get(pathKey);
  if (!built) {
    const codes: CodeIndex = (built = new Map());
    // Every resource of the list passes here: no lists built per resource or per value.
    let position = 0;
    const add = (system: string, code: string) => {
      const key = codeKey(system, code);
      const at = codes.get(key);
      if (!at) codes.set(key, [position]);
      else if (at[at.length - 1] !== position) at.push(position);
    };
    const visit = (value: unknown) => forEachCoding(value, add);
    for (; position < list.length; position++) forEachAt(list[position], segments, visit);
    byPath.set(pathKey, built);
  }
  return built;
}

/** A code test at a path of each resource: the codes that pass it. */
interface PathTest {
  segments: string[];
  codes: ReadonlySet<string>;
}

/**
 * The tests of an `or` of code tests; undefined when one cannot run (no such value set, no RxNorm
 * table): fhirpath.js then runs the expression and says what is wrong.
 */
function codeTestsOf(criterion: string, tests: CodeTests): PathTest[] | undefined {
  const found: PathTest[] = [];
  TERM_EACH.lastIndex = 0;
  for (let term = TERM_EACH.exec(criterion); term; term = TERM_EACH.exec(criterion)) {
    const [, path, fn, argument, codingPath, system, codes] = term;
    if (path !== undefined) {
      const passing = fn === 'inValueSet' ? tests.inValueSet(argument!) : tests.hasIngredient(argument!);
      if (!passing) return undefined;
      found.push({ segments: segmentsOf(path), codes: passing });
    } else {
      // A Coding passes `system = 'S' and code = 'C'` exactly when it is the code index's key S|C.
      const keys = [...codes!.matchAll(/'([^'\\]+)'/g)].map((m) => codeKey(system!, m[1]!));
      found.push({ segments: segmentsOf(codingPath!), codes: new Set(keys) });
    }
  }
  return found;
}

/**
 * The resources of the list with a code (at a test's path) that passes any of the tests, in list
 * order. Each test walks the smaller of its codes and the list's distinct codes.
 */
function passingAny(list: Resource[], tests: PathTest[]): Resource[] {
  const found = new Set<number>();
  for (const { segments, codes } of tests) {
    const positions = index(list, segments);
    if (codes.size < positions.size) {
      for (const key of codes) for (const p of positions.get(key) ?? []) found.add(p);
    } else {
      for (const [key, at] of positions) if (codes.has(key)) for (const p of at) found.add(p);
    }
  }
  return pick(list, found.size > 0 ? [...found] : undefined);
}

/** The resources at `positions`, in list order (as `where` keeps them). */
function pick(list: Resource[], positions: number[] | undefined): Resource[] {
  if (!positions || positions.length === 0) return [];
  return [...positions].sort((a, b) => a - b).map((p) => list[p]!);
}
