/**
 * Logic over variables, run natively: the expressions that only combine what defines computed
 * (`%nsaidDrafts.exists() and (%activeWarfarin.exists() or %warfarinDrafts.exists())`,
 * `%age >= 40 and %age <= 75`, `%colonoscopy or %fitDna`). fhirpath.js spends 3-30 µs on each
 * (a context, a node per value, a function table lookup per operator) for what is a handful of
 * comparisons, and a rule file runs dozens of them per call.
 *
 * | node | run as |
 * |---|---|
 * | `%v.exists()`, `%v.empty()`, `(%a \| %b).exists()` | the lists' lengths |
| `%v.where($this).exists()`, `%v.where($this >= 190).empty()` | the same over the items a boolean (or a number against a literal) keeps |
 * | `%v` where a Boolean is wanted, `x.not()` | an empty list is empty, one boolean is itself |
 * | `a and b`, `a or b` | FHIRPath's three-valued logic; both sides are evaluated, left first, as fhirpath.js does |
 * | `%v < 5`, `%v >= 40.5`, `18 <= %v` | one JS number against a number literal; empty if the list is |
| `%v in ('a' \| 'b')` | one JS string against string literals; empty if the list is |
| `iif(c, x, y)`, `{}` | the branch `c` picks (only that one is evaluated, as in fhirpath.js); `{}` is empty |
 * | `( ... )` | what is inside |
 *
 * Exactly what fhirpath.js gives, or nothing: a variable that is not a list, a list of more than
 * one where a singleton is wanted, a value that is not a JS boolean (or number): the whole
 * expression then runs in fhirpath.js, which answers or raises its own error. So does an
 * expression any part of which is of another kind, and one whose evaluation throws (a define
 * that fails is run again there, and fails the way it always does).
 * test/content/fast-paths.test.ts runs every shipped rule with and without this.
 */
import fhirpath from 'fhirpath';

type Compiled = (vars: Record<string, unknown>) => unknown[];
type Vars = Record<string, unknown>;
/** true, false, null for the empty collection; undefined: cannot answer exactly. */
type Truth = boolean | null | undefined;
type Logic = (vars: Vars) => Truth;

/** A node of fhirpath.js's parse tree, as far as this module reads it. */
export interface SyntaxNode {
  type: string;
  text?: string;
  children?: SyntaxNode[];
}
type Node = SyntaxNode;

/**
 * A native run of `expression`, or undefined when it is not made only of the nodes above.
 * `tree` is its parse tree when the caller has it already (compileContent parses every
 * expression for its checks); otherwise it is parsed here.
 */
export function fastLogic(expression: string, plain: Compiled, tree?: SyntaxNode): Compiled | undefined {
  let root = tree;
  if (!root) {
    try {
      root = fhirpath.parse(expression) as Node;
    } catch {
      return undefined;
    }
  }
  const top = unwrap(root);
  if (!top) return undefined;
  const logic = truthOf(top);
  if (!logic) return undefined;
  return (vars) => {
    let truth: Truth;
    try {
      truth = logic(vars);
    } catch {
      truth = undefined;
    }
    if (truth === undefined) return plain(vars);
    return truth === null ? [] : [truth];
  };
}

/** The expression under fhirpath.js's two `EntireExpression` wrappers. */
function unwrap(root: Node): Node | undefined {
  let node: Node | undefined = root;
  while (node?.type === 'EntireExpression' && node.children?.length === 1) node = node.children[0];
  return node;
}

/** A node whose value is a Boolean (or empty), compiled; undefined when it is of another kind. */
function truthOf(node: Node): Logic | undefined {
  const children = node.children ?? [];
  switch (node.type) {
    case 'AndExpression':
    case 'OrExpression': {
      if (children.length !== 2 || (node.text !== 'and' && node.text !== 'or')) return undefined;
      const left = truthOf(children[0]!);
      const right = left && truthOf(children[1]!);
      if (!left || !right) return undefined;
      return junction(left, right, node.text === 'or');
    }
    case 'InequalityExpression':
      return comparison(node);
    case 'MembershipExpression':
      return membership(node);
    case 'InvocationExpression':
      return invocation(node);
    case 'TermExpression': {
      const term = children.length === 1 ? children[0]! : undefined;
      if (term?.type === 'ParenthesizedTerm' && term.children?.length === 1) return truthOf(term.children[0]!);
      if (term?.type === 'InvocationTerm' && term.children?.length === 1) return iif(term.children[0]!);
      if (term?.type === 'LiteralTerm' && term.children?.[0]?.type === 'NullLiteral') return () => null;
      const name = term && variableName(term);
      return name === undefined ? undefined : (vars) => booleanOf(listOf(vars, name));
    }
    default:
      return undefined;
  }
}

/**
 * `and` (false decides) or `or` (true decides) in three-valued logic: the deciding value on
 * either side gives it, the other value on both sides gives that, anything else is empty. Both
 * sides first, as fhirpath.js evaluates both before it combines them.
 */
function junction(left: Logic, right: Logic, decides: boolean): Logic {
  return (vars) => {
    const a = left(vars);
    if (a === undefined) return undefined;
    const b = right(vars);
    if (b === undefined) return undefined;
    if (a === decides || b === decides) return decides;
    return a === !decides && b === !decides ? !decides : null;
  };
}

/** `x.exists()`, `x.empty()` (x a variable or a union of two), `x.not()` (x anything above). */
function invocation(node: Node): Logic | undefined {
  const [target, callNode] = node.children ?? [];
  const call = callOf(callNode);
  // Arguments (`exists(criteria)`) run in fhirpath.js.
  if (!target || !call || call.params.length > 0) return undefined;
  const fn = call.name;
  if (fn === 'not') {
    const inner = truthOf(target);
    return inner && ((vars) => {
      const value = inner(vars);
      return typeof value === 'boolean' ? !value : value;
    });
  }
  if (fn !== 'exists' && fn !== 'empty') return undefined;
  const wantSome = fn === 'exists';
  const filter = whereOf(target);
  if (filter) {
    const { name, test } = filter;
    return (vars) => {
      const list = listOf(vars, name);
      if (list === undefined) return undefined;
      let some = false;
      for (const item of list) {
        const kept = test(item);
        if (kept === undefined) return undefined;
        some ||= kept;
      }
      return some === wantSome;
    };
  }
  const lists = listsOf(target);
  if (!lists) return undefined;
  return (vars) => {
    let some = false;
    for (const name of lists) {
      const list = listOf(vars, name);
      if (list === undefined) return undefined;
      some ||= list.length > 0;
    }
    return some === wantSome;
  };
}

/**
 * `iif(criterion, result[, otherwise])`: only the branch the criterion picks is evaluated, as
 * fhirpath.js does; a criterion that is empty or false picks `otherwise` (empty when absent).
 */
function iif(node: Node): Logic | undefined {
  const call = callOf(node);
  if (call?.name !== 'iif') return undefined;
  const [criterionNode, resultNode, otherwiseNode, ...more] = call.params;
  if (!criterionNode || !resultNode || more.length > 0) return undefined;
  const criterion = truthOf(criterionNode);
  const result = criterion && truthOf(resultNode);
  const otherwise = otherwiseNode ? result && truthOf(otherwiseNode) : () => null;
  if (!criterion || !result || !otherwise) return undefined;
  return (vars) => {
    const picked = criterion(vars);
    if (picked === undefined) return undefined;
    return picked === true ? result(vars) : otherwise(vars);
  };
}

/** `%v in 'a'`, `%v in ('a' | 'b' | ...)`: one string against string literals. */
function membership(node: Node): Logic | undefined {
  const [leftNode, rightNode] = node.children ?? [];
  if (node.text !== 'in' || !leftNode || !rightNode) return undefined;
  const name = variableName(termOf(leftNode));
  const literals = stringLiterals(rightNode);
  if (name === undefined || !literals) return undefined;
  return (vars) => {
    const list = listOf(vars, name);
    if (list === undefined || list.length > 1) return undefined;
    if (list.length === 0) return null;
    return typeof list[0] === 'string' ? literals.has(list[0]) : undefined;
  };
}

/** The strings of `'a'`, `('a')`, `('a' | 'b' | ...)`; undefined when anything else is there. */
function stringLiterals(node: Node): Set<string> | undefined {
  if (node.type === 'UnionExpression' && node.children?.length === 2) {
    const left = stringLiterals(node.children[0]!);
    const right = left && stringLiterals(node.children[1]!);
    return left && right ? new Set([...left, ...right]) : undefined;
  }
  const term = termOf(node);
  if (term?.type === 'ParenthesizedTerm' && term.children?.length === 1) return stringLiterals(term.children[0]!);
  const literal = term?.type === 'LiteralTerm' && term.children?.length === 1 ? term.children[0] : undefined;
  // Plain text only: an escape (`\'`, `\u0041`) is fhirpath.js's to read.
  if (literal?.type !== 'StringLiteral' || !literal.text || !/^'[^'\\]*'$/.test(literal.text)) return undefined;
  return new Set([literal.text.slice(1, -1)]);
}

/** Whether an item is kept: true, false, or undefined when it cannot say exactly. */
type ItemTest = (item: unknown) => boolean | undefined;

/** `%v.where($this)` (booleans) or `%v.where($this >= 190)` (numbers): the variable and the test. */
function whereOf(node: Node): { name: string; test: ItemTest } | undefined {
  if (node.type !== 'InvocationExpression') return undefined;
  const [target, callNode] = node.children ?? [];
  const name = variableName(termOf(target));
  const call = callOf(callNode);
  if (name === undefined || call?.name !== 'where' || call.params.length !== 1) return undefined;
  const criterion = call.params[0]!;
  if (isThis(criterion)) return { name, test: (item) => (typeof item === 'boolean' ? item : undefined) };
  const found = inequalityOf(criterion, (n) => (isThis(n) ? true : undefined));
  if (!found) return undefined;
  const { literal, op, literalFirst } = found;
  return { name, test: (item) => compared([item], literal, op, literalFirst) ?? undefined };
}

function isThis(node: Node): boolean {
  const term = termOf(node);
  return term?.type === 'InvocationTerm' && term.children?.length === 1 && term.children[0]!.type === 'ThisInvocation';
}

/** `%v op literal` or `literal op %v`, a number literal without a unit. */
function comparison(node: Node): Logic | undefined {
  const found = inequalityOf(node, (n) => variableName(termOf(n)));
  if (!found) return undefined;
  const { side: name, literal, op, literalFirst } = found;
  return (vars) => compared(listOf(vars, name), literal, op, literalFirst);
}

const INEQUALITIES: ReadonlySet<string | undefined> = new Set(['<', '<=', '>', '>=']);

/**
 * `x op n` or `n op x` with n a number literal without a unit and x what `side` takes (it gives
 * back what it made of x, or undefined): x's reading, n, the operator, and whether n came first.
 */
function inequalityOf<T>(node: Node, side: (node: Node) => T | undefined): { side: T; literal: number; op: string; literalFirst: boolean } | undefined {
  const [leftNode, rightNode] = node.children ?? [];
  if (node.type !== 'InequalityExpression' || !leftNode || !rightNode || !INEQUALITIES.has(node.text)) return undefined;
  const op = node.text!;
  const left = side(leftNode);
  const rightNumber = numberLiteral(rightNode);
  if (left !== undefined && rightNumber !== undefined) return { side: left, literal: rightNumber, op, literalFirst: false };
  const right = side(rightNode);
  const leftNumber = numberLiteral(leftNode);
  if (right !== undefined && leftNumber !== undefined) return { side: right, literal: leftNumber, op, literalFirst: true };
  return undefined;
}

function compared(list: unknown[] | undefined, literal: number, op: string, literalFirst: boolean): Truth {
  if (list === undefined || list.length > 1) return undefined;
  if (list.length === 0) return null;
  const value = list[0];
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const [a, b] = literalFirst ? [literal, value] : [value, literal];
  if (op === '<') return a < b;
  if (op === '<=') return a <= b;
  if (op === '>') return a > b;
  return a >= b;
}

/** The variables whose lists make the collection: `%v`, `(%a | %b)`, `(%a)`. */
function listsOf(node: Node): string[] | undefined {
  const term = termOf(node);
  const name = variableName(term);
  if (name !== undefined) return [name];
  if (term?.type === 'ParenthesizedTerm' && term.children?.length === 1) {
    const inner = term.children[0]!;
    if (inner.type === 'UnionExpression' && inner.children?.length === 2) {
      const left = listsOf(inner.children[0]!);
      const right = left && listsOf(inner.children[1]!);
      return left && right ? [...left, ...right] : undefined;
    }
    return listsOf(inner);
  }
  return undefined;
}

/** The term of a `TermExpression` node. */
function termOf(node: Node | undefined): Node | undefined {
  return node?.type === 'TermExpression' && node.children?.length === 1 ? node.children[0] : undefined;
}

/** `%name` (not backquoted or quoted: those run in fhirpath.js). */
function variableName(term: Node | undefined): string | undefined {
  if (term?.type !== 'ExternalConstantTerm') return undefined;
  const identifier = term.children?.[0]?.children?.[0];
  const name = identifier?.type === 'Identifier' ? identifier.text : undefined;
  return name && /^[A-Za-z_]\w*$/.test(name) ? name : undefined;
}

/** A function call's name and argument nodes (`FunctionInvocation > Functn > Identifier, ParamList?`). */
function callOf(node: Node | undefined): { name: string; params: Node[] } | undefined {
  const functn = node?.type === 'FunctionInvocation' && node.children?.length === 1 ? node.children[0]! : undefined;
  const [identifier, list, ...more] = functn?.type === 'Functn' ? (functn.children ?? []) : [];
  if (identifier?.type !== 'Identifier' || !identifier.text || (list && list.type !== 'ParamList') || more.length > 0) return undefined;
  return { name: identifier.text, params: list?.children ?? [] };
}

function numberLiteral(node: Node): number | undefined {
  const literal = termOf(node);
  const number = literal?.type === 'LiteralTerm' && literal.children?.length === 1 ? literal.children[0] : undefined;
  if (number?.type !== 'NumberLiteral' || !number.text || !/^\d+(\.\d+)?$/.test(number.text)) return undefined;
  return Number(number.text);
}

/** A variable's list as fhirpath.js reads it, or undefined when it is not one (or not defined). */
function listOf(vars: Vars, name: string): unknown[] | undefined {
  if (!(name in vars)) return undefined;
  const value = vars[name];
  return Array.isArray(value) ? value : undefined;
}

/** A list where a Boolean is wanted: empty, or one JS boolean; anything else is fhirpath.js's to judge. */
function booleanOf(list: unknown[] | undefined): Truth {
  if (list === undefined || list.length > 1) return undefined;
  if (list.length === 0) return null;
  return typeof list[0] === 'boolean' ? list[0] : undefined;
}
