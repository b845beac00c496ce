/**
 * A rule test whose `fixture` is missing, not JSON or not a Bundle fails that case with a message
 * naming the test file, the case and what was expected, instead of stopping `cds-rules test`
 * with a stack trace (found in issue 18's work).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleTests, runCase } from '../../src/authoring/rule-tests.ts';
import { readContentFiles } from '../../src/node/content-files.ts';
import { compileContent } from '../../src/rules/compile.ts';

const TEST_FILE = 'rules/preventive-care/colorectal-screening-due.test.yaml';

describe('a rule test fixture that cannot be used', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fixture-errors-'));
  writeFileSync(join(dir, 'broken.json'), '{"resourceType": "Bundle", ');
  writeFileSync(join(dir, 'patient.json'), '{"resourceType": "Patient", "id": "p1"}');
  // Fixture paths are relative to the test file's folder.
  const fromTestFolder = (name: string) => relative('rules/preventive-care', join(dir, name));
  const cases = (fixture: string) => `
cases:
  - name: record from a file
    fixture: ${fixture}
    expect: { cards: [] }
`;
  const files = await readContentFiles('.');
  const { ruleSet } = compileContent(files);
  const run = async (fixture: string) => {
    const { tests, problems } = loadRuleTests(files.map((f) => (f.path === TEST_FILE ? { ...f, text: cases(fixture) } : f)), '.');
    expect(problems).toEqual([]);
    const test = tests.find((t) => t.path === TEST_FILE)!;
    return runCase(ruleSet!, test, test.cases[0]!);
  };

  it('a missing file fails the case, naming the file, the case and what was expected', async () => {
    const result = await run('no-such-record.json');
    expect(result.passed).toBe(false);
    expect(result.failures).toEqual([
      `${TEST_FILE}: case 'record from a file': fixture 'no-such-record.json' does not exist; expected a FHIR Bundle JSON file, its path relative to the test file`,
    ]);
  });

  it('a file that is not JSON, and JSON that is not a Bundle, fail the case the same way', async () => {
    expect((await run(fromTestFolder('broken.json'))).failures).toEqual([
      `${TEST_FILE}: case 'record from a file': fixture '${fromTestFolder('broken.json')}' is not valid JSON; expected a FHIR Bundle`,
    ]);
    expect((await run(fromTestFolder('patient.json'))).failures).toEqual([
      `${TEST_FILE}: case 'record from a file': fixture '${fromTestFolder('patient.json')}' is not a FHIR Bundle; expected resourceType 'Bundle'`,
    ]);
  });
});
