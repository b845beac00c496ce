/**
 * Which prefetch keys each rule of a service reads: directly in its conditions, defines and card
 * values, or through the defines it uses (its own, the service's and its libraries'), followed
 * to any depth. A call that lacks a key then leaves out only the rules that need it.
 *
 * Names resolve as the evaluator resolves them: a rule's own define first, then a service or
 * library define, then a prefetch key; anything else (context variables, fhirpath.js's own) is
 * not prefetch.
 */
import type { CompiledCondition, CompiledRule, CompiledService } from './compile.ts';
import { parseFhirPath } from './fhirpath-ast.ts';

/** The `%names` an expression reads, from fhirpath.js's parse tree (it compiled, so it parses). */
const variablesOf = (expression: string) => parseFhirPath(expression).variables;

const cache = new WeakMap<CompiledService, ReadonlyMap<string, ReadonlySet<string>>>();

/** Rule id -> the prefetch keys it reads (computed once per compiled service). */
export function prefetchKeysByRule(service: CompiledService): ReadonlyMap<string, ReadonlySet<string>> {
  let byRule = cache.get(service);
  if (!byRule) {
    const serviceDefines = new Map(service.defines.map((d) => [d.name, d.expression]));
    const memo = new Map<string, ReadonlySet<string>>();
    byRule = new Map(service.rules.map((rule) => [rule.id, keysOfRule(rule, serviceDefines, service.prefetch, memo)]));
    cache.set(service, byRule);
  }
  return byRule;
}

function keysOfRule(
  rule: CompiledRule,
  serviceDefines: ReadonlyMap<string, string>,
  prefetch: Readonly<Record<string, string>>,
  serviceMemo: Map<string, ReadonlySet<string>>,
): ReadonlySet<string> {
  const ruleDefines = new Map(rule.defines.map((d) => [d.name, d.expression]));
  const keys = new Set<string>();
  // The compiler refuses define cycles and a rule define that hides another name, so this
  // recursion ends, and a name means one thing.
  const serviceDefineKeys = (name: string): ReadonlySet<string> => {
    let found = serviceMemo.get(name);
    if (!found) {
      const own = new Set<string>();
      for (const v of variablesOf(serviceDefines.get(name)!)) collect(v.name, own, false);
      found = own;
      serviceMemo.set(name, found);
    }
    return found;
  };
  function collect(name: string, into: Set<string>, ruleLevel: boolean): void {
    if (ruleLevel && ruleDefines.has(name)) {
      for (const v of variablesOf(ruleDefines.get(name)!)) collect(v.name, into, true);
    } else if (serviceDefines.has(name)) {
      for (const key of serviceDefineKeys(name)) into.add(key);
    } else if (Object.hasOwn(prefetch, name)) into.add(name);
  }
  for (const expression of expressionsOf(rule)) for (const v of variablesOf(expression)) collect(v.name, keys, true);
  return keys;
}

/** The texts a rule evaluates itself: its condition tree and its card values. */
function expressionsOf(rule: CompiledRule): string[] {
  const out: string[] = [];
  const walk = (condition: CompiledCondition) => {
    if (condition.kind === 'expr') out.push(condition.expression);
    else if (condition.kind === 'not') walk(condition.item);
    else condition.items.forEach(walk);
  };
  walk(rule.when);
  return [...out, ...rule.values.map((v) => v.expression)];
}
