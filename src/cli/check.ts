/** `cds-rules check [dir]`: validate all content without starting the server. */
import { checkContent } from '../authoring/check.ts';
import { formatProblem } from '../rules/source.ts';
import { green, println, red, yellow } from './output.ts';

export async function check(root: string, strict = false): Promise<number> {
  const { ruleSet, problems, tests, files } = await checkContent(root, { strict });
  for (const p of problems) println(p.severity === 'error' ? red(formatProblem(p)) : yellow(formatProblem(p)));
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  if (errors > 0 || !ruleSet) {
    println(red(`${errors} error(s), ${warnings} warning(s) in ${files} file(s)`));
    return 1;
  }
  const { services, rules, cards, valueSets } = ruleSet.counts;
  println(green(`ok: ${services} services, ${rules} rules, ${cards} cards, ${valueSets} value sets, ${tests.length} test files`) + (warnings ? yellow(`, ${warnings} warning(s)`) : ''));
  return 0;
}
