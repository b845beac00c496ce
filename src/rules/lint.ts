/**
 * Authoring checks on a parsed FHIRPath expression that fhirpath.js does not make itself: calls
 * to functions that do not exist (fhirpath.js only finds out at run time), known traps, and
 * patterns whose cost grows with the product of two collections.
 *
 * What fhirpath.js supports is asked of fhirpath.js (`isFhirPathFunction`), so a new release's
 * functions are known without a list to keep; ours are the keys of `clinicalFunctions`.
 */
import fhirpath from 'fhirpath';
import { type FhirPathNode, type ParsedFhirPath, walk } from './fhirpath-ast.ts';
import { CLINICAL_FUNCTION_NAMES } from './functions.ts';

export interface LintFinding {
  /** 0-based offset in the expression. */
  offset: number;
  message: string;
  severity: 'error' | 'warning';
}

const EXTENSIONS = new Set<string>(CLINICAL_FUNCTION_NAMES);
const known = new Map<string, boolean>();

/**
 * Whether fhirpath.js (or our extension table) has a function of this name. fhirpath.js decides
 * at run time, when the call is reached: calling it on an empty collection answers
 * "Not implemented: name" only for names it lacks (a wrong argument count is another error).
 */
export function isFhirPathFunction(name: string): boolean {
  if (EXTENSIONS.has(name)) return true;
  let answer = known.get(name);
  if (answer === undefined) {
    answer = true;
    // A function that exists but takes arguments only warns on the console about its arity.
    const warn = console.warn;
    console.warn = () => {};
    try {
      fhirpath.evaluate([], `{}.${name}()`);
    } catch (error) {
      answer = !String((error as Error)?.message).startsWith(`Not implemented: ${name}`);
    } finally {
      console.warn = warn;
    }
    known.set(name, answer);
  }
  return answer;
}

/**
 * The function names one edit away from a typo (a letter dropped, added, changed, swapped or
 * of the wrong case) that exist: the candidates for "did you mean".
 */
export function functionsNear(name: string): string[] {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const near = new Set<string>();
  for (let i = 0; i <= name.length; i++) {
    if (i < name.length) near.add(name.slice(0, i) + name.slice(i + 1));
    if (i < name.length - 1) near.add(name.slice(0, i) + name[i + 1] + name[i] + name.slice(i + 2));
    if (i < name.length) {
      const c = name[i]!;
      near.add(name.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + name.slice(i + 1));
    }
    for (const l of letters) {
      near.add(name.slice(0, i) + l + name.slice(i));
      if (i < name.length) near.add(name.slice(0, i) + l + name.slice(i + 1));
    }
  }
  return [...near].filter((n) => n !== name && /^[A-Za-z_]\w*$/.test(n) && isFhirPathFunction(n));
}

/** Functions whose argument is evaluated once for every item of their input. */
const PER_ITEM = new Set(['where', 'select', 'exists', 'all', 'repeat', 'aggregate', 'sort']);
/** Functions that walk their whole input with a criterion. */
const SEARCHES = new Set(['where', 'select', 'exists', 'all', 'repeat']);

export function lintExpression(parsed: ParsedFhirPath, suggest: (word: string, candidates: readonly string[]) => string): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const call of parsed.functions) {
    if (isFhirPathFunction(call.name)) continue;
    findings.push({ offset: call.offset, message: `unknown function '${call.name}'${suggest(call.name, functionsNear(call.name))}`, severity: 'error' });
  }
  walk(parsed.root, (node) => {
    if (node.type === 'EqualityExpression') findings.push(...wholeCodingComparison(parsed, node));
  });
  findings.push(...quadraticPatterns(parsed));
  return findings;
}

/** `coding.code = 'x'` is false as soon as a concept carries a second coding. */
function wholeCodingComparison(parsed: ParsedFhirPath, node: FhirPathNode): LintFinding[] {
  const left = node.children?.[0];
  if (left?.type !== 'InvocationExpression') return [];
  const [base, member] = left.children ?? [];
  if (member?.type !== 'MemberInvocation' || !['code', 'system', 'display'].includes(member.text ?? '')) return [];
  const coding = lastMember(base);
  if (coding?.text !== 'coding') return [];
  return [
    {
      offset: parsed.offsetOf(coding),
      message:
        `'coding.${member.text} ${node.text} ...' compares the whole collection: it is false when a concept has two codings. ` +
        `Use coding.where(system = '...' and code = '...').exists(), or inValueSet('...')`,
      severity: 'warning',
    },
  ];
}

function lastMember(node: FhirPathNode | undefined): FhirPathNode | undefined {
  if (!node) return undefined;
  if (node.type === 'MemberInvocation') return node;
  if (node.type === 'InvocationExpression') return lastMember(node.children?.[1]);
  if (node.type === 'TermExpression' || node.type === 'InvocationTerm') return lastMember(node.children?.[0]);
  return undefined;
}

/**
 * A `%collection` walked or searched inside the argument of where()/select()/exists()/all()
 * is walked again for every item of the outer collection: n x m. See docs/authoring.md,
 * "Expressions that stay fast".
 */
function quadraticPatterns(parsed: ParsedFhirPath): LintFinding[] {
  const findings: LintFinding[] = [];
  const seen = new Set<FhirPathNode>();
  for (const call of parsed.functions) {
    if (!PER_ITEM.has(call.name)) continue;
    for (const param of call.params) {
      walk(param, (node) => {
        if (seen.has(node)) return;
        if (node.type === 'MembershipExpression') {
          // `x in %list` scans a list computed once (defines are memoised); `x in %bundle.entry...`
          // walks the bundle again for every item.
          const collection = node.text === 'in' ? node.children?.[1] : node.children?.[0];
          const variable = rootVariable(collection);
          if (variable && collection && !isBareVariable(collection) && !readsAny(collection, parsed.declared)) {
            walk(node, (n) => seen.add(n));
            findings.push({
              offset: parsed.offsetOf(collection),
              message:
                `'${node.text} %${variable}...' inside ${call.name}() computes the collection again for every item (n x m): ` +
                `make it a define (computed once per call) and write '${node.text} %thatDefine'`,
              severity: 'warning',
            });
          }
        } else if (node.type === 'InvocationExpression') {
          const variable = rootVariable(node);
          const inner = lastCall(node);
          if (variable && inner && SEARCHES.has(inner.name) && inner.params.length > 0 && !readsAny(node, parsed.declared)) {
            walk(node, (n) => seen.add(n));
            findings.push({
              offset: parsed.offsetOf(node),
              message:
                `%${variable}...${inner.name}(...) inside ${call.name}() is computed again for every item (n x m) although it does not depend on the item: ` +
                `make it a define (computed once per call) and read the define here`,
              severity: 'warning',
            });
          }
        }
      });
    }
  }
  return findings;
}

function isBareVariable(node: FhirPathNode): boolean {
  let current: FhirPathNode | undefined = node;
  while (current?.type === 'TermExpression' && current.children?.length === 1) current = current.children[0];
  return current?.type === 'ExternalConstantTerm';
}

/** The `%name` an invocation chain starts from, if it starts from one. */
function rootVariable(node: FhirPathNode | undefined): string | undefined {
  let current = node;
  while (current) {
    if (current.type === 'ExternalConstantTerm') return current.delimitedText ?? current.children?.[0]?.children?.[0]?.text;
    if (!['InvocationExpression', 'TermExpression', 'IndexerExpression'].includes(current.type)) return undefined;
    current = current.children?.[0];
  }
  return undefined;
}

function lastCall(node: FhirPathNode): { name: string; params: FhirPathNode[] } | undefined {
  const last = node.children?.[1];
  if (last?.type !== 'FunctionInvocation') return undefined;
  const functn = last.children?.find((c) => c.type === 'Functn');
  const params = functn?.children?.find((c) => c.type === 'ParamList')?.children ?? [];
  return functn?.text ? { name: functn.text, params } : undefined;
}

/**
 * Whether an expression reads one of the variables the outer expression declares with
 * defineVariable(): inside a nested where(), `$this` is the inner item, so only such a
 * variable can tie the inner search to the outer item.
 */
function readsAny(node: FhirPathNode, declared: ReadonlySet<string>): boolean {
  let reads = false;
  walk(node, (n) => {
    if (n.type === 'ExternalConstantTerm' && declared.has(rootVariable(n) ?? '')) reads = true;
  });
  return reads;
}
