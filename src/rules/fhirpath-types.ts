/**
 * FHIRPath result types, inferred from the parse tree and the FHIR R4 model that fhirpath.js
 * ships (`fhirpath/fhir-context/r4`: element path -> type, choice types, type hierarchy), so
 * that `check` can refuse what cannot work: a Quantity compared with a number, a condition that
 * gives a number or a string.
 *
 * Inference is deliberately partial: a variable, path or function it does not know makes the
 * type unknown, and nothing is reported about an unknown type. Only certain mistakes are errors.
 */
import r4 from 'fhirpath/fhir-context/r4';
import type { ContextField } from '../protocol/hooks.ts';
import type { FhirPathNode } from './fhirpath-ast.ts';

interface R4Model {
  path2Type: Record<string, string>;
  choiceTypePaths: Record<string, string[]>;
  pathsDefinedElsewhere: Record<string, string>;
  type2Parent: Record<string, string>;
}
const model = r4 as unknown as R4Model;

/** One possible type of a result: a FHIR type, a backbone element path, or a `System.*` type. */
export interface TypeRef {
  name: string;
  /** For a Bundle (or its entry): the resource type its search returns. */
  of?: string;
  /** For one alternative of a choice element: the element (`Observation.value`). */
  choice?: string;
}

/** The possible types of a result; undefined when they are not known. */
export type Inferred = readonly TypeRef[] | undefined;

export interface TypeEnv {
  /** The type of `%name`, if known. */
  typeOf(name: string): Inferred;
}

export interface TypeFinding {
  node: FhirPathNode;
  message: string;
}

const FHIR_PRIMITIVES = new Set([
  'boolean', 'integer', 'string', 'decimal', 'uri', 'url', 'canonical', 'base64Binary', 'instant', 'date', 'dateTime',
  'time', 'code', 'oid', 'id', 'markdown', 'unsignedInt', 'positiveInt', 'uuid', 'xhtml', 'integer64',
]);

type Category = 'boolean' | 'number' | 'string' | 'date' | 'time' | 'quantity' | 'other';

function categoryOf(name: string): Category {
  switch (name) {
    case 'boolean': case 'System.Boolean': return 'boolean';
    case 'integer': case 'decimal': case 'unsignedInt': case 'positiveInt': case 'integer64':
    case 'System.Integer': case 'System.Decimal': case 'System.Long': return 'number';
    case 'string': case 'code': case 'id': case 'uri': case 'url': case 'canonical': case 'markdown': case 'oid':
    case 'uuid': case 'base64Binary': case 'xhtml': case 'System.String': return 'string';
    case 'date': case 'dateTime': case 'instant': case 'System.Date': case 'System.DateTime': return 'date';
    case 'time': case 'System.Time': return 'time';
    case 'System.Quantity': return 'quantity';
    default: return isA(name, 'Quantity') ? 'quantity' : 'other';
  }
}

function isA(name: string, ancestor: string): boolean {
  for (let t: string | undefined = name; t; t = model.type2Parent[t]) if (t === ancestor) return true;
  return false;
}

const bool: Inferred = [{ name: 'System.Boolean' }];
const integer: Inferred = [{ name: 'System.Integer' }];
const decimal: Inferred = [{ name: 'System.Decimal' }];
const string: Inferred = [{ name: 'System.String' }];

/** The type of a context variable of this kind. */
export function contextFieldType(field: ContextField): Inferred {
  switch (field.kind) {
    case 'bundle':
      return [{ name: 'Bundle' }];
    case 'resource':
    case 'resources':
      return field.resourceTypes?.map((name) => ({ name }));
    default:
      return string;
  }
}

/** What a prefetch template fetches: `Patient/{{...}}` a Patient, `Observation?...` a Bundle of them. */
export function prefetchType(template: string): Inferred {
  const match = /^([A-Z][A-Za-z]+)(\/|\?|$)/.exec(template);
  if (!match || !model.type2Parent[match[1]!]) return undefined;
  if (match[2] === '/') return template.slice(match[0].length).includes('/') ? undefined : [{ name: match[1]! }];
  // _include and _revinclude add resources of other types to the Bundle.
  return [{ name: 'Bundle', ...(/[?&]_(rev)?include/.test(template) ? {} : { of: match[1]! }) }];
}

/** A FHIR choice type name as the model lists it (`String`, `DateTime`) -> the type (`string`, `dateTime`). */
function choiceTypeName(name: string): string {
  const lower = name[0]!.toLowerCase() + name.slice(1);
  return FHIR_PRIMITIVES.has(lower) ? lower : name;
}

function member(t: TypeRef, name: string): Inferred {
  if (t.name === 'Bundle' && name === 'entry') return [{ name: 'Bundle.entry', ...(t.of ? { of: t.of } : {}) }];
  if (t.name === 'Bundle.entry' && name === 'resource') return [{ name: t.of ?? 'Resource' }];
  if (t.name.startsWith('System.') || FHIR_PRIMITIVES.has(t.name)) return undefined;
  for (let base: string | undefined = t.name; base; base = base.includes('.') ? 'BackboneElement' : model.type2Parent[base]) {
    let key = `${base}.${name}`;
    key = model.pathsDefinedElsewhere[key] ?? key;
    const choice = model.choiceTypePaths[key];
    if (choice) return choice.map((c) => ({ name: choiceTypeName(c), choice: key }));
    const type = model.path2Type[key];
    if (type) return [{ name: type === 'BackboneElement' || type === 'Element' ? key : type }];
  }
  return undefined;
}

function union(a: Inferred, b: Inferred): Inferred {
  if (!a || !b) return undefined;
  const all = [...a, ...b];
  return all.filter((t, i) => all.findIndex((u) => u.name === t.name && u.of === t.of) === i);
}

function flatMapTypes(types: Inferred, f: (t: TypeRef) => Inferred): Inferred {
  if (!types) return undefined;
  let out: Inferred = [];
  for (const t of types) {
    out = union(out, f(t));
    if (!out) return undefined;
  }
  return out;
}

const BOOLEAN_FUNCTIONS = new Set([
  'exists', 'empty', 'all', 'allTrue', 'anyTrue', 'allFalse', 'anyFalse', 'not', 'hasValue', 'subsetOf', 'supersetOf',
  'isDistinct', 'startsWith', 'endsWith', 'contains', 'matches', 'matchesFull', 'inValueSet', 'memberOf', 'is',
  'comparable', 'toBoolean', 'convertsToBoolean', 'convertsToInteger', 'convertsToLong', 'convertsToDecimal',
  'convertsToString', 'convertsToDate', 'convertsToDateTime', 'convertsToTime', 'convertsToQuantity',
]);
const INTEGER_FUNCTIONS = new Set(['count', 'length', 'toInteger', 'indexOf', 'lastIndexOf', 'ageInYears', 'ageInMonths', 'daysCovered']);
const DECIMAL_FUNCTIONS = new Set(['toDecimal', 'mme', 'supplyDays', 'pooledCohortRisk', 'sqrt', 'exp', 'ln', 'log', 'power']);
const STRING_FUNCTIONS = new Set(['toString', 'upper', 'lower', 'substring', 'replace', 'replaceMatches', 'join', 'trim', 'encode', 'decode', 'escape', 'unescape', 'toChars', 'split']);
const SAME_AS_INPUT = new Set(['where', 'first', 'last', 'tail', 'skip', 'take', 'single', 'distinct', 'intersect', 'exclude', 'trace', 'sort', 'abs', 'ceiling', 'floor', 'round', 'truncate', 'min', 'max', 'defineVariable']);
/** Functions whose arguments are evaluated with `$this` as each item of the input. */
const PER_ITEM = new Set(['where', 'select', 'exists', 'all', 'repeat', 'sort', 'aggregate']);
const FIXED: Record<string, Inferred> = {
  now: [{ name: 'System.DateTime' }], today: [{ name: 'System.Date' }], timeOfDay: [{ name: 'System.Time' }],
  toDate: [{ name: 'System.Date' }], toDateTime: [{ name: 'System.DateTime' }], toTime: [{ name: 'System.Time' }],
  toQuantity: [{ name: 'System.Quantity' }],
};

/** `Quantity`, `FHIR.Quantity`, `System.Integer` in ofType()/as/is -> the type's name. */
function typeNameOf(node: FhirPathNode | undefined): string | undefined {
  const names: string[] = [];
  const collect = (n: FhirPathNode) => {
    if (n.type === 'Identifier' && n.text) names.push(n.text.replace(/^`|`$/g, ''));
    for (const c of n.children ?? []) collect(c);
  };
  if (node) collect(node);
  if (names.length === 0 || names.length > 2) return undefined;
  if (names.length === 2) return names[0] === 'System' ? `System.${names[1]}` : names[0] === 'FHIR' ? names[1] : undefined;
  return names[0];
}

interface Walk {
  env: TypeEnv;
  report: (finding: TypeFinding) => void;
  /** The source text, to quote literals in messages. */
  literal: (node: FhirPathNode) => string | undefined;
}

/** Infers the result type of `node`, reporting comparisons that cannot work on the way. */
export function inferType(node: FhirPathNode, env: TypeEnv, report: (finding: TypeFinding) => void = () => {}, thisType?: Inferred): Inferred {
  return infer(node, { env, report, literal: literalText }, thisType);
}

function literalText(node: FhirPathNode): string | undefined {
  let n: FhirPathNode | undefined = node;
  while (n && (n.type === 'TermExpression' || n.type === 'PolarityExpression') && n.children?.length === 1) n = n.children[0];
  return n?.type === 'LiteralTerm' ? n.text : undefined;
}

function infer(node: FhirPathNode, w: Walk, self: Inferred): Inferred {
  const kids = node.children ?? [];
  switch (node.type) {
    case 'EntireExpression':
    case 'TermExpression':
    case 'ParenthesizedTerm':
    case 'IndexerExpression':
    case 'PolarityExpression': {
      const first = kids[0] ? infer(kids[0], w, self) : undefined;
      for (const k of kids.slice(1)) infer(k, w, self);
      return first;
    }
    case 'LiteralTerm':
      return literalType(kids[0]);
    case 'ExternalConstantTerm': {
      const name = node.delimitedText ?? kids[0]?.children?.[0]?.text;
      return name === undefined ? undefined : w.env.typeOf(name);
    }
    case 'InvocationTerm':
      return invocation(kids[0], self, w, self);
    case 'InvocationExpression': {
      const base = kids[0] ? infer(kids[0], w, self) : undefined;
      return invocation(kids[1], base, w, self);
    }
    case 'UnionExpression':
      return union(infer(kids[0]!, w, self), infer(kids[1]!, w, self));
    case 'EqualityExpression':
    case 'InequalityExpression': {
      const left = infer(kids[0]!, w, self);
      const right = infer(kids[1]!, w, self);
      const message = comparisonProblem(left, right, node.text ?? '', w.literal(kids[0]!), w.literal(kids[1]!));
      if (message) w.report({ node, message });
      return bool;
    }
    case 'MembershipExpression':
    case 'AndExpression':
    case 'OrExpression':
    case 'XorExpression':
    case 'ImpliesExpression':
      for (const k of kids) infer(k, w, self);
      return bool;
    case 'TypeExpression': {
      infer(kids[0]!, w, self);
      if (node.text === 'is') return bool;
      const name = typeNameOf(kids[1]);
      return name ? [{ name }] : undefined;
    }
    case 'AdditiveExpression':
    case 'MultiplicativeExpression':
      return arithmetic(node.text ?? '', infer(kids[0]!, w, self), infer(kids[1]!, w, self));
    default:
      for (const k of kids) infer(k, w, self);
      return undefined;
  }
}

function literalType(node: FhirPathNode | undefined): Inferred {
  switch (node?.type) {
    case 'BooleanLiteral': return bool;
    case 'StringLiteral': return string;
    case 'NumberLiteral': return node.text?.includes('.') ? decimal : integer;
    case 'LongNumberLiteral': return [{ name: 'System.Long' }];
    case 'DateLiteral': return [{ name: 'System.Date' }];
    case 'DateTimeLiteral': return [{ name: 'System.DateTime' }];
    case 'TimeLiteral': return [{ name: 'System.Time' }];
    case 'QuantityLiteral': return [{ name: 'System.Quantity' }];
    default: return undefined;
  }
}

function invocation(node: FhirPathNode | undefined, input: Inferred, w: Walk, self: Inferred): Inferred {
  if (!node) return undefined;
  if (node.type === 'MemberInvocation') return input ? flatMapTypes(input, (t) => member(t, node.text ?? '')) : undefined;
  if (node.type === 'ThisInvocation') return self;
  if (node.type === 'IndexInvocation') return integer;
  if (node.type !== 'FunctionInvocation') return undefined;
  const functn = node.children?.find((c) => c.type === 'Functn');
  const name = functn?.text ?? '';
  const params = functn?.children?.find((c) => c.type === 'ParamList')?.children ?? [];
  // Arguments are checked too; per-item ones see each input item as $this.
  const args = params.map((p) => infer(p, w, PER_ITEM.has(name) ? input : self));
  if (name === 'ofType' || name === 'as') {
    const type = typeNameOf(params[0]);
    return type ? [{ name: type }] : undefined;
  }
  if (name === 'select') return args[0];
  if (name === 'iif') return union(args[1], args.length > 2 ? args[2] : []);
  if (name === 'combine' || name === 'union') return union(input, args[0]);
  if (BOOLEAN_FUNCTIONS.has(name)) return bool;
  if (INTEGER_FUNCTIONS.has(name)) return integer;
  if (DECIMAL_FUNCTIONS.has(name)) return decimal;
  if (STRING_FUNCTIONS.has(name)) return string;
  if (SAME_AS_INPUT.has(name)) return input;
  return FIXED[name];
}

function arithmetic(op: string, left: Inferred, right: Inferred): Inferred {
  if (!left || !right) return undefined;
  const l = new Set(left.map((t) => categoryOf(t.name)));
  const r = new Set(right.map((t) => categoryOf(t.name)));
  const only = (s: Set<Category>, c: Category) => s.size === 1 && s.has(c);
  if (op === '&') return string;
  if (only(l, 'string') && only(r, 'string') && op === '+') return string;
  if (only(l, 'number') && only(r, 'number')) return op === '/' || left.some((t) => t.name.includes('ecimal')) || right.some((t) => t.name.includes('ecimal')) ? decimal : integer;
  if (only(l, 'date') && only(r, 'quantity')) return left;
  if (only(l, 'quantity') && (only(r, 'number') || only(r, 'quantity'))) return [{ name: 'System.Quantity' }];
  return undefined;
}

/** Pairs of categories that can be equal or ordered at all. */
function compatible(a: Category, b: Category, ordering: boolean): boolean {
  if (a === b) return !ordering || (a !== 'other' && a !== 'boolean');
  // A date written as a string literal ('2024-01-01') is compared by fhirpath.js; leave it be.
  return (a === 'date' && b === 'string') || (a === 'string' && b === 'date');
}

/** Why a comparison of these types can never be true, if it cannot. */
function comparisonProblem(left: Inferred, right: Inferred, op: string, leftText?: string, rightText?: string): string | undefined {
  if (!left || !right || left.length === 0 || right.length === 0) return undefined;
  const lc = left.map((t) => categoryOf(t.name));
  const rc = right.map((t) => categoryOf(t.name));
  const ordering = op !== '=' && op !== '!=' && op !== '~' && op !== '!~';
  for (const [q, qText, n, nText, qTypes] of [[lc, leftText, rc, rightText, left], [rc, rightText, lc, leftText, right]] as const) {
    if (!q.includes('quantity') || !n.every((c) => c === 'number')) continue;
    const number = nText ? `a number (${nText})` : 'a number';
    const choice = qTypes.find((t) => t.choice)?.choice;
    if (choice) {
      const element = choice.split('.').pop();
      return `compares ${choice} (${describeList(qTypes.map((t) => t.name))}) with ${number}: a Quantity is never equal to or ordered with a number; write ${element}.ofType(Quantity).value ${op} ${nText ?? 'N'}`;
    }
    if (q.every((c) => c === 'quantity')) {
      return `compares a Quantity with ${number}: this is never true; compare its value (.value ${op} ${nText ?? 'N'}) or a quantity (${op} ${nText ?? 'N'} 'ms')`;
    }
  }
  if (lc.some((a) => rc.some((b) => compatible(a, b, ordering)))) return undefined;
  if (ordering && lc.every((c) => c === 'other' || c === 'boolean')) {
    return `orders ${describe(left)}, which has no order: compare one of its values`;
  }
  return `compares ${describe(left)} with ${describe(right)}: these types are never ${ordering ? 'ordered' : 'equal'}, so this is never true`;
}

/** The type of a condition's result, when it cannot be a yes/no. */
export function conditionProblem(types: Inferred): string | undefined {
  if (!types || types.length === 0 || types.some((t) => categoryOf(t.name) === 'boolean')) return undefined;
  return `a condition must give true, false or empty, but this gives ${describe(types)}: compare it (> 0) or test it (.exists())`;
}

function describe(types: readonly TypeRef[]): string {
  const names = [...new Set(types.map((t) => readableName(t)))];
  return names.map((n) => `${/^[aeiou]/i.test(n) ? 'an' : 'a'} ${n}`).join(' or ');
}

function describeList(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

function readableName(t: TypeRef): string {
  if (t.name.startsWith('System.')) return t.name.slice('System.'.length).toLowerCase();
  if (t.name === 'Bundle' && t.of) return `Bundle of ${t.of}`;
  if (t.name.includes('.')) return `${t.name} element`;
  return t.name;
}

