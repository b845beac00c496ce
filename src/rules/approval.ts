/**
 * `check --strict`: for teams that want every rule reviewed before it answers a clinician, an
 * active rule without approval (approvedBy and approvedOn) is an error. Silent and retired rules
 * need none: silent mode is how a rule is trialled before its review.
 */
import type { RuleSet } from './compile.ts';
import { type ContentProblem, problem } from './source.ts';

export function approvalProblems(ruleSet: RuleSet): ContentProblem[] {
  return [...ruleSet.services.values()].flatMap((service) =>
    service.rules
      .filter((rule) => rule.status === 'active' && !rule.approval)
      .map((rule) => problem(rule.path, 1, 1, `rule '${rule.id}' is active without approval: add approvedBy and approvedOn (YYYY-MM-DD), or make it status: silent until it is reviewed`)),
  );
}
