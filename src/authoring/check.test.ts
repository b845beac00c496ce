import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../rules/source.ts';
import { checkContent } from './check.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function check(files: Record<string, string>): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), 'cds-check-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return (await checkContent(root)).problems.map(formatProblem);
}

const service = 'hook: patient-view\ntitle: Svc\ndescription: A service\nprefetch:\n  patient: Patient/{{context.patientId}}\n';
const rule = 'id: adult\ntitle: Adult\nreferences: [{ label: T, url: "https://example.org" }]\nwhen: "%patient.birthDate.ageInYears() >= 18"\ncard: hello\n';
const card = 'summary: Hello\nindicator: info\nsource:\n  label: Test\n';
const test = (birthDate: string) =>
  `cases:\n  - name: an adult\n    patient: { birthDate: ${birthDate}, gender: female }\n    expect: { cards: [{ summary: Hello }] }\n`;

describe('checkContent', () => {
  it('a misspelt relative date in a rule test is an error at the value (issue 15 item 2)', async () => {
    expect(await check({ 'rules/svc/service.yaml': service, 'rules/svc/adult.yaml': rule, 'rules/svc/adult.test.yaml': test('$today-2days'), 'cards/hello.yaml': card })).toEqual([
      "rules/svc/adult.test.yaml:3:27: '$today-2days' is not a relative date: expected $today or $now, then +N or -N with a unit y, mo, w, d or h (e.g. $today-2d)",
    ]);
    expect(await check({ 'rules/svc/service.yaml': service, 'rules/svc/adult.yaml': rule, 'rules/svc/adult.test.yaml': test('$tody-40y'), 'cards/hello.yaml': card })).toHaveLength(1);
    expect(await check({ 'rules/svc/service.yaml': service, 'rules/svc/adult.yaml': rule, 'rules/svc/adult.test.yaml': test('$today-40y+1d'), 'cards/hello.yaml': card })).toEqual([]);
  });

  it('a YAML error in a rule file is reported once, without "no rule to test" after it (issue 15 item 4)', async () => {
    const broken = rule.replace('title: Adult', 'title: "Adult');
    expect(await check({ 'rules/svc/service.yaml': service, 'rules/svc/adult.yaml': broken, 'rules/svc/adult.test.yaml': test('$today-40y'), 'cards/hello.yaml': card })).toEqual([
      'rules/svc/adult.yaml:2:8: YAML syntax: this string is never closed (missing ")',
    ]);
  });
});
