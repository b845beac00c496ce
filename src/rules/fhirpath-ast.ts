/**
 * FHIRPath read from fhirpath.js's own parse tree (`fhirpath.parse`), not from regular
 * expressions over its text: which `%variables` an expression reads, which functions it calls
 * (with their arguments), and where each stands. Strings, comments and backquoted names are
 * therefore never mistaken for code.
 */
import fhirpath from 'fhirpath';
import { toSyntaxError } from './fhirpath.ts';

/** A node of fhirpath.js's parse tree (the shape `fhirpath.parse` returns). */
export interface FhirPathNode {
  type: string;
  text?: string;
  /** Set on backquoted names (`%\`a b\``): the name without quotes. */
  delimitedText?: string;
  /** 1-based line and column in the expression. */
  start?: { line: number; column: number };
  length?: number;
  children?: FhirPathNode[];
}

export interface VariableUse {
  name: string;
  /** 0-based offset of the `%` in the expression. */
  offset: number;
  node: FhirPathNode;
}

export interface FunctionCall {
  name: string;
  /** 0-based offset of the function's name. */
  offset: number;
  /** The argument expressions, as parse-tree nodes. */
  params: FhirPathNode[];
  node: FhirPathNode;
}

/** One parsed expression and the facts the authoring checks need from it. */
export interface ParsedFhirPath {
  expression: string;
  root: FhirPathNode;
  variables: VariableUse[];
  functions: FunctionCall[];
  /** Names the expression declares itself with `defineVariable('name', ...)`. */
  declared: Set<string>;
  /** 0-based offset of a node's start in the expression. */
  offsetOf(node: FhirPathNode): number;
}

/** Parses a FHIRPath text; throws `FhirPathSyntaxError` (with line and column) when it does not parse. */
export function parseFhirPath(expression: string): ParsedFhirPath {
  let root: FhirPathNode;
  try {
    root = fhirpath.parse(expression) as FhirPathNode;
  } catch (error) {
    throw toSyntaxError(error);
  }
  const lineStarts = [0];
  for (let i = 0; i < expression.length; i++) if (expression[i] === '\n') lineStarts.push(i + 1);
  const offsetOf = (node: FhirPathNode) => {
    const start = node.start ?? firstStart(node);
    return start ? lineStarts[start.line - 1]! + start.column - 1 : 0;
  };
  const variables: VariableUse[] = [];
  const functions: FunctionCall[] = [];
  walk(root, (node) => {
    if (node.type === 'ExternalConstantTerm') {
      const name = node.delimitedText ?? unquote(identifierOf(node)?.text ?? node.text ?? '');
      variables.push({ name, offset: offsetOf(node), node });
    } else if (node.type === 'FunctionInvocation') {
      const call = functionCallOf(node, offsetOf);
      if (call) functions.push(call);
    }
  });
  const declared = new Set(
    functions.filter((f) => f.name === 'defineVariable').flatMap((f) => {
      const name = stringLiteralOf(f.params[0]);
      return name === undefined ? [] : [name];
    }),
  );
  return { expression, root, variables, functions, declared, offsetOf };
}

/** Visits every node, parents before children. */
export function walk(node: FhirPathNode, visit: (node: FhirPathNode, parent?: FhirPathNode) => void, parent?: FhirPathNode): void {
  visit(node, parent);
  for (const child of node.children ?? []) walk(child, visit, node);
}

function functionCallOf(node: FhirPathNode, offsetOf: (n: FhirPathNode) => number): FunctionCall | undefined {
  const functn = node.children?.find((c) => c.type === 'Functn');
  const identifier = functn?.children?.find((c) => c.type === 'Identifier');
  if (!functn || !identifier?.text) return undefined;
  const params = functn.children?.find((c) => c.type === 'ParamList')?.children ?? [];
  return { name: unquote(identifier.text), offset: offsetOf(identifier), params, node };
}

/** The text of a string literal argument (`'warfarin'` -> warfarin), if the node is exactly one. */
export function stringLiteralOf(node: FhirPathNode | undefined): string | undefined {
  let current = node;
  while (current && (current.type === 'TermExpression' || current.type === 'LiteralTerm') && current.children?.length === 1) current = current.children[0];
  if (current?.type !== 'StringLiteral' || current.text === undefined) return undefined;
  return current.text.slice(1, -1).replace(/\\(.)/g, '$1');
}

function identifierOf(node: FhirPathNode): FhirPathNode | undefined {
  let found: FhirPathNode | undefined;
  walk(node, (n) => {
    if (!found && n.type === 'Identifier') found = n;
  });
  return found;
}

function firstStart(node: FhirPathNode): FhirPathNode['start'] {
  for (const child of node.children ?? []) {
    const start = child.start ?? firstStart(child);
    if (start) return start;
  }
  return undefined;
}

const unquote = (name: string) => (name.startsWith('`') && name.endsWith('`') ? name.slice(1, -1) : name);
