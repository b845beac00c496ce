/**
 * Evaluates a service's rules against one call's data, synchronously, rule by rule in file order.
 *
 * - Variables: `%context`, each context field (`%patientId`, `%draftOrders`), each prefetch key,
 *   the service's and the rule's defines. Defines are lazy and memoised: computed at most once
 *   per call, and only when an expression that runs reads them.
 * - `when` trees: `all` and `any` run their items in the written order and stop at the first
 *   item that decides them (a false guard written first keeps an expensive or throwing condition
 *   after it from running); `not` negates. A condition gives true, false or empty (false).
 *   This small evaluator replaced json-rules-engine (docs/architecture.md says why).
 * - A rule that throws is isolated: it is reported with an error class, never fires, and the
 *   other rules carry on.
 * - A budget bounds the call: it is checked before every condition, and once it is spent, rules
 *   not yet done are skipped (reported, never fired). A synchronous FHIRPath expression cannot be
 *   interrupted, so one slow expression can overrun the budget by its own length.
 * - With `explain`, every rule also gets its explanation: the tree of its conditions, each with
 *   its state (true, false, not-evaluated, error), the defines it read with their values, and its
 *   time. Define values are patient data: explanations go to authoring tools, never to logs.
 */
import type { RuleErrorClass } from '../protocol/degraded.ts';
import { asBoolean } from './fhirpath.ts';
import { CLOCK } from './functions.ts';
import type { CompiledCondition, CompiledExpr, CompiledRule, CompiledService } from './compile.ts';
import { errorLocation } from './rule-error.ts';
import { type LazyValue, layer } from './variables.ts';
import { jsonValues } from './fhirpath-values.ts';

export interface EvaluationInput {
  context: Record<string, unknown>;
  /** Prefetch values by key; `null` means "nothing there". */
  prefetch: Record<string, unknown>;
  /** The call's clock: `ageInYears()` and friends count to this instant. */
  now: Date;
}

export interface EvaluationOptions {
  /** Milliseconds all rules may take together (default: no limit). */
  budgetMs?: number;
  /** Build each rule's explanation (costs a little: define values are kept). */
  explain?: boolean;
  /** Hears each rule's outcome as soon as it is known (the worker pool keeps what finished, in case the call is cut). */
  onOutcome?: (outcome: RuleOutcome, rule: CompiledRule) => void;
}

export interface RuleOutcome {
  ruleId: string;
  fired: boolean;
  /** Card placeholder values when fired. */
  values?: Record<string, unknown[]>;
  /**
   * The failure that stopped the rule; the rule did not fire. The message may quote data (for
   * authors); the class and the failing expression's `path:line:col` are what is kept.
   */
  error?: RuleError;
  /** The evaluation budget ran out before this rule was done; it did not fire. */
  skipped?: true;
  /** Milliseconds spent evaluating this rule's own expressions (and the defines they computed). */
  ms: number;
  /** Present when `explain` was asked for. */
  explanation?: RuleExplanation;
}

/** What a condition came to: `not-evaluated` when an earlier sibling already decided. */
export type ConditionState = 'true' | 'false' | 'not-evaluated' | 'error';

export type ConditionTrace =
  | { kind: 'expr'; expression: string; state: ConditionState; /** the FHIRPath result, when it ran */ result?: unknown[]; error?: string; ms?: number }
  | { kind: 'all' | 'any'; state: ConditionState; items: ConditionTrace[] }
  | { kind: 'not'; state: ConditionState; item: ConditionTrace };

export interface DefineValue {
  name: string;
  value?: unknown[];
  error?: string;
}

export interface RuleExplanation {
  rule: string;
  outcome: 'fired' | 'quiet' | 'failed' | 'skipped';
  conditions: ConditionTrace;
  /** The defines the rule's expressions read (directly or through other defines), in first-read order. */
  defines: DefineValue[];
  ms: number;
}

/** Runs every enabled rule of the service; never throws for a rule's sake. */
export function evaluateService(service: CompiledService, input: EvaluationInput, options: EvaluationOptions = {}): RuleOutcome[] {
  const deadline = performance.now() + (options.budgetMs ?? Infinity);
  const reads = new DefineReads();
  const serviceVars = serviceVariables(service, input, reads);
  let spent = false;

  return service.rules
    .filter((rule) => rule.enabled)
    .map((rule) => {
      const run: RuleRun = { vars: ruleVariables(serviceVars, rule, reads), ms: 0 };
      reads.start();
      // The budget is checked before every condition; once spent, it stays spent for the call.
      const trace = evaluate(rule.when, run, () => (spent ||= performance.now() > deadline));
      const state = trace.state;
      let values: Record<string, unknown[]> | undefined;
      // A rule whose conditions were all met in time also gets its card values (part of its run).
      if (state === 'true' && !run.skipped) {
        values = {};
        for (const value of rule.values) {
          const result = timed(run, () => value.run(run.vars), value.run);
          if (run.error) break;
          values[value.name] = result ? jsonValues(result) : [];
        }
      }
      const fired = state === 'true' && !run.skipped && !run.error;
      const outcome: RuleOutcome = {
        ruleId: rule.id,
        fired,
        ...(fired ? { values } : {}),
        ...(run.error ? { error: run.error } : {}),
        ...(run.skipped ? { skipped: true as const } : {}),
        ms: run.ms,
      };
      const read = reads.stop();
      if (options.explain) {
        outcome.explanation = {
          rule: rule.id,
          outcome: run.skipped ? 'skipped' : run.error ? 'failed' : fired ? 'fired' : 'quiet',
          conditions: trace,
          defines: read.map((name) => defineValue(run.vars, name)),
          ms: run.ms,
        };
      }
      options.onOutcome?.(outcome, rule);
      return outcome;
    });
}

export interface RuleError {
  class: RuleErrorClass;
  message: string;
  location?: string;
}

interface RuleRun {
  vars: Record<string, unknown>;
  error?: RuleError;
  skipped?: boolean;
  ms: number;
}

/**
 * Walks a `when` tree in the written order. `all` stops at the first false, `any` at the first
 * true; an error or the budget running out stops the whole rule. What was not reached stays
 * `not-evaluated`.
 */
function evaluate(condition: CompiledCondition, run: RuleRun, overBudget: () => boolean): ConditionTrace {
  switch (condition.kind) {
    case 'expr': {
      if (run.error || run.skipped) return untried(condition);
      if (overBudget()) {
        run.skipped = true;
        return untried(condition);
      }
      const start = performance.now();
      const values = timed(run, () => condition.run(run.vars), condition.run);
      const result = values && jsonValues(values);
      const ms = performance.now() - start;
      if (result === undefined) return { kind: 'expr', expression: condition.expression, state: 'error', error: run.error!.message, ms };
      let value: boolean;
      try {
        value = asBoolean(result);
      } catch (error) {
        run.error = { class: 'fhirpath-type', message: messageOf(error), ...at(error, condition.run) };
        return { kind: 'expr', expression: condition.expression, state: 'error', result, error: run.error.message, ms };
      }
      return { kind: 'expr', expression: condition.expression, state: value ? 'true' : 'false', result, ms };
    }
    case 'not': {
      const item = evaluate(condition.item, run, overBudget);
      const state: ConditionState = item.state === 'true' ? 'false' : item.state === 'false' ? 'true' : item.state;
      return { kind: 'not', state, item };
    }
    case 'all':
    case 'any': {
      // `all` holds until an item is false, `any` fails until one is true; the first item that
      // decides (or errs, or runs out of budget) settles it, and the items after it do not run.
      const undecided: ConditionState = condition.kind === 'all' ? 'true' : 'false';
      let state: ConditionState = undecided;
      const items = condition.items.map((item) => {
        if (state !== undecided) return untried(item);
        const trace = evaluate(item, run, overBudget);
        if (trace.state !== undecided) state = trace.state;
        return trace;
      });
      return { kind: condition.kind, state, items };
    }
  }
}

/** The tree of a condition nobody ran. */
function untried(condition: CompiledCondition): ConditionTrace {
  switch (condition.kind) {
    case 'expr':
      return { kind: 'expr', expression: condition.expression, state: 'not-evaluated' };
    case 'not':
      return { kind: 'not', state: 'not-evaluated', item: untried(condition.item) };
    case 'all':
    case 'any':
      return { kind: condition.kind, state: 'not-evaluated', items: condition.items.map(untried) };
  }
}

/** Runs `fn` for a rule, adding its time and turning a throw into the rule's error. */
function timed<T>(run: RuleRun, fn: () => T, expression?: object): T | undefined {
  const start = performance.now();
  try {
    return fn();
  } catch (error) {
    run.error = { class: error instanceof DefineError ? 'define-failed' : 'fhirpath-error', message: messageOf(error), ...at(error, expression) };
    return undefined;
  } finally {
    run.ms += performance.now() - start;
  }
}

/** A define that failed; every use of it fails the same way. */
class DefineError extends Error {}

/**
 * Which defines the rule being evaluated has read, directly or through other defines. Service
 * defines are shared by all rules of the call and memoised, so a define remembers what it read
 * when it was computed, and a later read of its value counts those too: the list does not
 * depend on which rule happened to compute a define first.
 */
class DefineReads {
  /** The rule's reads, then one frame per define being computed. */
  #frames: string[][] = [];
  start(): void {
    this.#frames = [[]];
  }
  stop(): string[] {
    const read = this.#frames[0] ?? [];
    this.#frames = [];
    return read;
  }
  record(names: readonly string[]): void {
    for (const frame of this.#frames) for (const name of names) if (!frame.includes(name)) frame.push(name);
  }
  /** Runs a define's computation, giving back the defines it read. */
  computing<T>(fn: () => T): { value: T; read: string[] } {
    this.#frames.push([]);
    try {
      const value = fn();
      return { value, read: this.#frames.at(-1)! };
    } finally {
      this.#frames.pop();
    }
  }
}

/** The variables every rule of the service sees: context, its fields, prefetch, service defines, the clock. */
function serviceVariables(service: CompiledService, input: EvaluationInput, reads: DefineReads): Record<string, unknown> {
  const values: Record<string | symbol, unknown> = { [CLOCK]: input.now, context: input.context };
  for (const [name, value] of Object.entries(input.context)) values[name] = value;
  for (const [name, value] of Object.entries(input.prefetch)) values[name] = value ?? [];
  const defines = new Map<string, LazyValue>();
  const vars = layer(undefined, values, defines);
  defineLazily(defines, vars, service.defines, reads);
  return vars;
}

/** A rule's variables: the service's, plus its own defines on top. */
function ruleVariables(serviceVars: Record<string, unknown>, rule: CompiledRule, reads: DefineReads): Record<string, unknown> {
  const defines = new Map<string, LazyValue>();
  const vars = layer(serviceVars, {}, defines);
  defineLazily(defines, vars, rule.defines, reads);
  return vars;
}

function defineValue(vars: Record<string, unknown>, name: string): DefineValue {
  try {
    return { name, value: jsonValues(vars[name] as unknown[]) };
  } catch (error) {
    return { name, error: messageOf(error) };
  }
}

/**
 * Adds defines to `into` as memoised lazy values computed over `vars` (the layer they belong to);
 * a failing define fails every use of it the same way.
 */
function defineLazily(into: Map<string, LazyValue>, vars: Record<string, unknown>, defines: CompiledExpr[], reads: DefineReads): void {
  for (const define of defines) {
    let state: { value: unknown[] } | { error: DefineError } | 'computing' | undefined;
    /** The defines this one read when it was computed. */
    let read: string[] = [];
    into.set(define.name, () => {
      reads.record([define.name]);
      // Defines from different files can reach each other; a loop must fail, not recurse forever.
      if (state === 'computing') throw new DefineError(`define '${define.name}' depends on itself`);
      if (!state) {
        state = 'computing';
        let error: unknown;
        const computed = reads.computing(() => {
          try {
            return define.run(vars);
          } catch (e) {
            error = e;
            return undefined;
          }
        });
        read = computed.read;
        // The cause keeps the failing expression's location (rule-error.ts).
        state = computed.value ? { value: computed.value } : { error: new DefineError(`define '${define.name}': ${messageOf(error)}`, { cause: error }) };
      } else {
        reads.record(read);
      }
      if ('error' in state) throw state.error;
      return state.value;
    });
  }
}

const at = (error: unknown, expression?: object) => {
  const location = errorLocation(error, expression);
  return location ? { location } : {};
};

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
