/**
 * Content tests for the shapes real EHRs send (issue 11): medications by reference (contained,
 * in a prefetch Bundle, only on the FHIR server), coding systems under older URIs and OIDs,
 * quantities with only a UCUM unit string. The cases live in test/content/shapes/ in the rule
 * test format and run against the shipped rules exactly as the rules' own example patients do.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleTests, runCase } from '../../src/authoring/rule-tests.ts';
import { readContentFiles } from '../../src/node/content-files.ts';
import { compileContent } from '../../src/rules/compile.ts';
import { formatProblem } from '../../src/rules/source.ts';

const SHAPES = new URL('./shapes/', import.meta.url).pathname;
const { ruleSet } = compileContent(await readContentFiles('.'));
const files = readdirSync(SHAPES, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.yaml'))
  .map((f) => ({ path: `rules/${relative(SHAPES, join(SHAPES, f))}`, text: readFileSync(join(SHAPES, f), 'utf8') }));
const { tests, problems } = loadRuleTests(files, '.');

it('the shape cases load', () => {
  expect(problems.map(formatProblem)).toEqual([]);
  expect(tests.length).toBe(3);
});

for (const test of tests) {
  describe(test.path.replace(/^rules\//, 'shapes/'), () => {
    for (const testCase of test.cases) {
      it(testCase.name, async () => {
        const result = await runCase(ruleSet!, test, testCase);
        expect(result.failures).toEqual([]);
      });
    }
  });
}
