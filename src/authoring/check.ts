/**
 * Everything `cds-rules check` verifies: the content compiles (services, rules, cards, value
 * sets), and every rule test file is well-formed and names a rule that exists.
 */
import { readContentFiles } from './content-folder.ts';
import { compileContent, type RuleSet } from '../rules/compile.ts';
import { approvalProblems as unapproved } from '../rules/approval.ts';
import { type ContentProblem, didYouMean, problem } from '../rules/source.ts';
import { classifyContentPath } from '../rules/content.ts';
import { misspeltRelativeDates } from './relative-dates.ts';
import { loadRuleTests, type RuleTestFile } from './rule-tests.ts';

export interface CheckResult {
  ruleSet?: RuleSet;
  tests: RuleTestFile[];
  problems: ContentProblem[];
  files: number;
}

export interface CheckOptions {
  /** Refuse an active rule that has no approval (approvedBy and approvedOn). */
  strict?: boolean;
}

export async function checkContent(root: string, options: CheckOptions = {}): Promise<CheckResult> {
  const files = await readContentFiles(root);
  const { ruleSet, problems, ruleIds } = compileContent(files);
  if (options.strict && ruleSet) problems.push(...unapproved(ruleSet));
  const loaded = loadRuleTests(files, root);
  problems.push(...loaded.problems);
  for (const file of files) if (classifyContentPath(file.path)?.kind === 'test') problems.push(...misspeltRelativeDates(file));
  // A rule file that cannot be read declares no id: its test would be "for no rule", a second,
  // misleading report of the one syntax error already there.
  const unreadable = new Set(
    problems.filter((p) => p.message.startsWith('YAML syntax') && classifyContentPath(p.path)?.kind === 'rule').map((p) => classifyContentPath(p.path)!.id),
  );
  for (const test of loaded.tests) {
    const declared = ruleIds.get(test.serviceId);
    if (declared && !declared.has(test.ruleId) && !unreadable.has(test.serviceId)) {
      const hint = didYouMean(test.ruleId, [...declared]);
      problems.push(problem(test.path, 1, 1, `no rule '${test.ruleId}' in service '${test.serviceId}' to test${hint}`));
    }
  }
  problems.sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line || a.column - b.column);
  const hasErrors = problems.some((p) => p.severity === 'error');
  return { ruleSet: hasErrors ? undefined : ruleSet, tests: loaded.tests, problems, files: files.length };
}
