/**
 * Evaluates a service's rules against one call's data.
 *
 * - Variables: `%context`, each context field (`%patientId`, `%draftOrders`), each prefetch key,
 *   the service's and the rule's defines. Defines are lazy and memoised: computed at most once
 *   per call, and only if a condition needs them.
 * - `when` trees run through json-rules-engine (all/any/not), one Engine per call: a shared
 *   Engine skips rules under concurrency (see shared/PLATFORM.md).
 * - A rule that throws is isolated: it is reported as an error, never fires, and the other rules
 *   carry on.
 * - A budget bounds the call: once it is spent, rules not yet evaluated are skipped (reported,
 *   never fired). A synchronous FHIRPath expression cannot be interrupted, so one slow expression
 *   can overrun the budget by its own length; everything after it is cut.
 */
import { Engine, type NestedCondition, type TopLevelCondition } from 'json-rules-engine';
import { asBoolean } from './fhirpath.ts';
import type { CompiledCondition, CompiledExpr, CompiledRule, CompiledService } from './compile.ts';
import { type RuleFailure, ruleFailure } from './rule-error.ts';

export interface EvaluationInput {
  context: Record<string, unknown>;
  /** Prefetch values by key; `null` means "nothing there". */
  prefetch: Record<string, unknown>;
}

export interface RuleOutcome {
  ruleId: string;
  fired: boolean;
  /** Card placeholder values when fired. */
  values?: Record<string, unknown[]>;
  /** Message of the failure that stopped the rule (for authors: it may quote data); the rule did not fire. */
  error?: string;
  /** The same failure as a class and an expression location: what may be stored and logged. */
  failure?: RuleFailure;
  /** The evaluation budget ran out before this rule was done; it did not fire. */
  skipped?: true;
  /** Milliseconds spent evaluating this rule's own expressions. */
  ms: number;
}

export interface EvaluationOptions {
  /** Milliseconds all rules may take together (default: no limit). */
  budgetMs?: number;
}

/** Runs every enabled rule of the service; never throws for a rule's sake. */
export async function evaluateService(service: CompiledService, input: EvaluationInput, options: EvaluationOptions = {}): Promise<RuleOutcome[]> {
  const deadline = performance.now() + (options.budgetMs ?? Infinity);
  const spent = (run: RuleRun) => {
    if (!run.skipped && performance.now() > deadline) run.skipped = true;
    return run.skipped === true;
  };
  const serviceVars = serviceVariables(service, input);

  const rules = service.rules.filter((r) => r.enabled);
  const runs = new Map<string, RuleRun>();
  const conditions: CompiledCondition[] = [];
  const engine = new Engine([], { allowUndefinedFacts: false, replaceFactsInEventParams: false });

  for (const rule of rules) {
    const run: RuleRun = { rule, vars: ruleVariables(serviceVars, rule), ms: 0 };
    runs.set(rule.id, run);
    engine.addRule({
      name: rule.id,
      // json-rules-engine wants all/any/not at the top; a lone expression is an all of one.
      conditions: toEngineCondition(rule.when.kind === 'expr' ? { kind: 'all', items: [rule.when] } : rule.when, rule.id, conditions) as TopLevelCondition,
      event: { type: rule.id },
    });
  }

  engine.addFact('fhirpath', (params: Record<string, unknown>) => {
    const run = runs.get(params.rule as string)!;
    if (run.error || spent(run)) return false;
    const condition = conditions[params.index as number] as Extract<CompiledCondition, { kind: 'expr' }>;
    return timed(run, () => asBoolean(condition.run(run.vars)), condition.run) ?? false;
  });

  const { events } = await engine.run({});
  const fired = new Set(events.map((e) => e.type));

  return rules.map((rule) => {
    const run = runs.get(rule.id)!;
    // A rule whose conditions were all met in time also gets its card values (part of its run).
    if (!run.error && !run.skipped && fired.has(rule.id)) {
      const values: Record<string, unknown[]> = {};
      for (const value of rule.values) {
        const result = timed(run, () => value.run(run.vars), value.run);
        if (run.error) break;
        values[value.name] = result ?? [];
      }
      if (!run.error) return { ruleId: rule.id, fired: true, values, ms: run.ms };
    }
    if (run.skipped) return { ruleId: rule.id, fired: false, skipped: true, ms: run.ms };
    return { ruleId: rule.id, fired: false, ...(run.error ? { error: run.error, failure: run.failure } : {}), ms: run.ms };
  });
}

/** The variables every rule of the service sees: context, its fields, prefetch, service defines. */
function serviceVariables(service: CompiledService, input: EvaluationInput): Record<string, unknown> {
  const vars = Object.create(null) as Record<string, unknown>;
  vars.context = input.context;
  for (const [name, value] of Object.entries(input.context)) vars[name] = value;
  for (const [name, value] of Object.entries(input.prefetch)) vars[name] = value ?? [];
  defineLazily(vars, service.defines);
  return vars;
}

/** A rule's variables: the service's, plus its own defines on top. */
function ruleVariables(serviceVars: Record<string, unknown>, rule: CompiledRule): Record<string, unknown> {
  const vars = Object.create(serviceVars) as Record<string, unknown>;
  defineLazily(vars, rule.defines);
  return vars;
}

/**
 * The value of every define a rule sees (the service's and its own), for authors working out why
 * a rule did or did not fire. A define that fails gives its error message instead.
 */
export function explainDefines(
  service: CompiledService,
  rule: CompiledRule,
  input: EvaluationInput,
): { name: string; value?: unknown[]; error?: string }[] {
  const vars = ruleVariables(serviceVariables(service, input), rule);
  return [...service.defines, ...rule.defines].map(({ name }) => {
    try {
      return { name, value: vars[name] as unknown[] };
    } catch (error) {
      return { name, error: error instanceof Error ? error.message : String(error) };
    }
  });
}

interface RuleRun {
  rule: CompiledRule;
  vars: Record<string, unknown>;
  error?: string;
  failure?: RuleFailure;
  skipped?: boolean;
  ms: number;
}

/** Runs `fn` for a rule, adding its time and turning a throw into the rule's error. */
function timed<T>(run: RuleRun, fn: () => T, expression?: object): T | undefined {
  const start = performance.now();
  try {
    return fn();
  } catch (error) {
    run.error = error instanceof Error ? error.message : String(error);
    run.failure = ruleFailure(error, expression);
    return undefined;
  } finally {
    run.ms += performance.now() - start;
  }
}

/** Adds defines as memoised getters; a failing define fails every use of it the same way. */
function defineLazily(vars: Record<string, unknown>, defines: CompiledExpr[]): void {
  for (const define of defines) {
    let state: { value: unknown[] } | { error: unknown } | 'computing' | undefined;
    Object.defineProperty(vars, define.name, {
      enumerable: true,
      get() {
        // Defines from different files can reach each other; a loop must fail, not recurse forever.
        if (state === 'computing') throw new Error(`define '${define.name}' depends on itself`);
        if (!state) {
          state = 'computing';
          try {
            state = { value: define.run(vars) };
          } catch (error) {
            // The cause keeps the failing expression's class and location (rule-error.ts).
            state = { error: new Error(`define '${define.name}': ${error instanceof Error ? error.message : String(error)}`, { cause: error }) };
          }
        }
        if ('error' in state) throw state.error;
        return state.value;
      },
    });
  }
}

/** Mirrors a `when` tree as json-rules-engine conditions over the `fhirpath` fact. */
function toEngineCondition(condition: CompiledCondition, rule: string, registry: CompiledCondition[]): NestedCondition {
  switch (condition.kind) {
    case 'expr':
      registry.push(condition);
      return { fact: 'fhirpath', params: { rule, index: registry.length - 1 }, operator: 'equal', value: true };
    case 'not':
      return { not: toEngineCondition(condition.item, rule, registry) };
    case 'all':
      return { all: condition.items.map((c) => toEngineCondition(c, rule, registry)) };
    case 'any':
      return { any: condition.items.map((c) => toEngineCondition(c, rule, registry)) };
  }
}
