/**
 * FHIRPath, the way rules use it: compiled once at load with the R4 model, evaluated with the
 * request's variables, extended with a small library of clinical functions.
 */
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import type { ValueSetIndex } from './valuesets.ts';
import { fastLogic, type SyntaxNode } from './fast-logic.ts';
import { fastPath } from './fast-paths.ts';
import { asVariableValues } from './fhirpath-values.ts';
import { clinicalFunctions, codeTests, type DataTables } from './functions.ts';

/**
 * A FHIRPath expression ready to run: variables in, a collection out. The collection is FHIRPath
 * values (fhirpath-values.ts): JSON, except that FHIR objects other than resources come as
 * fhirpath.js's nodes, so a define's value keeps its types when another expression reads it;
 * `jsonValues` gives the JSON.
 */
export type CompiledExpression = (vars: Record<string, unknown>) => unknown[];

export type FhirPathCompiler = (expression: string) => CompiledExpression;

/** An expression that could not be compiled; `column` is 1-based within the expression. */
export class FhirPathSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

const ROOT = {};

/**
 * Makes a compiler whose expressions can call the clinical functions (`inValueSet('id')`,
 * `ageInYears()`, ...) against the given value sets.
 *
 * @example
 * const compile = createFhirPathCompiler(valueSets);
 * const onWarfarin = compile("%meds.entry.resource.where(medication.coding.inValueSet('warfarin')).exists()");
 * onWarfarin({ meds: bundle }); // [true]
 */
export function createFhirPathCompiler(valueSets: ValueSetIndex, data: DataTables = new Map(), options: FhirPathCompilerOptions = {}): FhirPathCompiler {
  const tests = codeTests(valueSets, data);
  const userInvocationTable = clinicalFunctions(valueSets, data, tests);
  const fast = options.fastPaths ?? true;
  // A library's defines are compiled for every service that includes it: the same text gives
  // the same function (variables come at run time), so each text is parsed once.
  const compiled = new Map<string, CompiledExpression | FhirPathSyntaxError>();
  const compile: FhirPathCompiler = (expression) => {
    let entry = compiled.get(expression);
    if (!entry) {
      try {
        // Internal values, not JSON: see fhirpath-values.ts for why.
        const fn = fhirpath.compile(expression, r4, { userInvocationTable, resolveInternalTypes: false }) as (resource: unknown, vars: Record<string, unknown>) => unknown[];
        const plain: CompiledExpression = (vars) => asVariableValues(fn(ROOT, vars));
        entry = (fast && (fastPath(expression, plain, compile, tests) || fastLogic(expression, plain, options.parse?.(expression)))) || plain;
      } catch (error) {
        entry = toSyntaxError(error);
      }
      compiled.set(expression, entry);
    }
    if (entry instanceof FhirPathSyntaxError) throw entry;
    return entry;
  };
  return compile;
}

export interface FhirPathCompilerOptions {
  /**
   * Run the common shapes over long lists from a per-call index (fast-paths.ts), and logic over
   * variables natively (fast-logic.ts); default on. Off only to check that they give what
   * fhirpath.js gives.
   */
  fastPaths?: boolean;
  /**
   * An expression's parse tree, when the caller parses every expression anyway (compileContent
   * does, for its checks): fast-logic.ts reads it instead of parsing each text again.
   */
  parse?: (expression: string) => SyntaxNode;
}

export function toSyntaxError(error: unknown): FhirPathSyntaxError {
  const message = error instanceof Error ? error.message : String(error);
  // fhirpath.js reports "line: 1; column: 9; message: mismatched input ..." (column 0-based).
  const match = /line: (\d+); column: (\d+); message: (.*)/s.exec(message);
  if (match) {
    return new FhirPathSyntaxError(readableSyntaxMessage(match[3]!.trim()), Number(match[1]), Number(match[2]) + 1);
  }
  return new FhirPathSyntaxError(message, 1, 1);
}

/** ANTLR lists every token it could have taken; an author needs the gist. */
function readableSyntaxMessage(message: string): string {
  if (/^mismatched input '<EOF>'/.test(message)) return 'the expression ends too early (an unclosed parenthesis or a missing operand?)';
  return message.replace(/ expecting \{[^}]{60,}\}/, '');
}

/**
 * Reads a FHIRPath result as a condition: empty is false, a single boolean is itself, and
 * anything else is an authoring error (a collection where a yes/no was meant).
 */
export function asBoolean(result: unknown[]): boolean {
  if (result.length === 0) return false;
  if (result.length === 1 && typeof result[0] === 'boolean') return result[0];
  const what = result.length === 1 ? `a ${typeof result[0]}` : `${result.length} items`;
  throw new TypeError(`a condition must give true, false or empty, but gave ${what}`);
}
