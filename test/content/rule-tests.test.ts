/**
 * Runs every rule's example patients (`rules/<service>/<rule>.test.yaml`) as real hook calls, and
 * checks that every shipped rule has cases that fire and cases that must not.
 */
import { describe, expect, it } from 'vitest';
import { loadRuleTests, runCase } from '../../src/authoring/rule-tests.ts';
import { readContentFiles } from '../../src/node/content-files.ts';
import { compileContent } from '../../src/rules/compile.ts';
import { formatProblem } from '../../src/rules/source.ts';

const files = await readContentFiles('.');
const { ruleSet, problems } = compileContent(files);
const { tests, problems: testProblems } = loadRuleTests(files, '.');

describe('shipped content', () => {
  it('compiles without errors or warnings', () => {
    expect([...problems, ...testProblems].map(formatProblem)).toEqual([]);
    expect(ruleSet).toBeDefined();
  });

  it('has a test file for every rule, with cases that fire and cases that must not', () => {
    for (const service of ruleSet!.services.values()) {
      for (const rule of service.rules) {
        const test = tests.find((t) => t.serviceId === service.id && t.ruleId === rule.id);
        expect(test, `${rule.path} has no test file`).toBeDefined();
        const fires = test!.cases.filter((c) => c.expect.cards.some((e) => (e.rule ?? rule.id) === rule.id));
        const silent = test!.cases.filter((c) => !c.expect.cards.some((e) => (e.rule ?? rule.id) === rule.id));
        expect(fires.length, `${test!.path}: no case where ${rule.id} fires`).toBeGreaterThan(0);
        expect(silent.length, `${test!.path}: no case where ${rule.id} must not fire`).toBeGreaterThan(0);
      }
    }
  });
});

for (const test of tests) {
  describe(test.path, () => {
    for (const testCase of test.cases) {
      it(testCase.name, async () => {
        const result = await runCase(ruleSet!, test, testCase);
        expect(result.failures).toEqual([]);
      });
    }
  });
}
