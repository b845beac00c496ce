/** `cds-rules test [dir]`: run every rule's example patients and show what differs. */
import { checkContent } from '../authoring/check.ts';
import { runCase } from '../authoring/rule-tests.ts';
import { didYouMean, formatProblem } from '../rules/source.ts';
import { UsageError } from './args.ts';
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
  const selected = only === undefined ? tests : tests.filter((t) => t.ruleId === only || `${t.serviceId}/${t.ruleId}` === only);
  if (only !== undefined && selected.length === 0) {
    const rules = [...ruleSet.services.values()].flatMap((s) => s.rules.map((r) => ({ service: s.id, id: r.id })));
    const rule = rules.find((r) => r.id === only || `${r.service}/${r.id}` === only);
    if (rule) throw new UsageError(`rule '${only}' has no example patients: write rules/${rule.service}/${rule.id}.test.yaml`);
    throw new UsageError(`no rule named '${only}'${suggestRules(only, [...new Set(rules.map((r) => r.id))])}`);
  }
  // The first call pays for module loading and JIT compilation (about a second): spent on a
  // case of its own, untimed, so the first case's time is as comparable as the others'.
  const first = selected.find((t) => t.cases.length > 0);
  if (first) {
    const start = performance.now();
    await runCase(ruleSet, first, first.cases[0]!);
    println(dim(`warm-up (module loading and JIT, not counted): ${(performance.now() - start).toFixed(0)} ms`));
  }
  let passed = 0;
  let failed = 0;
  for (const file of selected) {
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

/** ` (did you mean 'a' or 'b'?)`: the ids that contain the text, else the nearest by spelling. */
function suggestRules(text: string, ids: string[]): string {
  const containing = ids.filter((id) => id.includes(text)).sort();
  if (containing.length === 0) return didYouMean(text, ids);
  const named = containing.slice(0, 4).map((id) => `'${id}'`);
  const more = containing.length > 4 ? ` (and ${containing.length - 4} more)` : '';
  return ` (did you mean ${named.length > 1 ? `${named.slice(0, -1).join(', ')} or ${named.at(-1)}` : named[0]}${more}?)`;
}
