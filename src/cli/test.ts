/** `cds-rules test [dir]`: run every rule's example patients and show what differs. */
import { checkContent } from '../authoring/check.ts';
import { runCase } from '../authoring/rule-tests.ts';
import { formatProblem } from '../rules/source.ts';
import { dim, green, println, red } from './output.ts';
import { printExplanation } from './why.ts';

export async function test(root: string, only?: string): Promise<number> {
  const { ruleSet, tests, problems } = await checkContent(root);
  const errors = problems.filter((p) => p.severity === 'error');
  if (!ruleSet) {
    for (const p of errors) println(red(formatProblem(p)));
    println(red('the content does not compile; fix it before testing (cds-rules check)'));
    return 1;
  }
  let passed = 0;
  let failed = 0;
  for (const file of tests) {
    if (only && file.ruleId !== only && !file.path.includes(only)) continue;
    println(file.path);
    for (const testCase of file.cases) {
      const start = performance.now();
      const result = await runCase(ruleSet, file, testCase);
      const ms = (performance.now() - start).toFixed(0);
      if (result.passed) {
        passed++;
        println(`  ${green('✓')} ${testCase.name} ${dim(`(${ms} ms)`)}`);
        continue;
      }
      failed++;
      println(`  ${red('✗')} ${testCase.name}`);
      for (const failure of result.failures) println(`      ${failure.replaceAll('\n', '\n      ')}`);
      if (result.cards.length > 0) {
        println(dim('      cards returned:'));
        for (const { rule, card } of result.cards) println(dim(`        [${rule}] ${card.indicator}: ${card.summary}`));
      }
      // Why the rules that did not do what the case expected did what they did.
      for (const rule of result.unexpected) {
        const explanation = result.explanation.find((e) => e.rule === rule);
        if (explanation) printExplanation(explanation, '      ');
      }
    }
  }
  println();
  println((failed ? red : green)(`${passed} passed, ${failed} failed`));
  return failed > 0 || passed === 0 ? 1 : 0;
}
