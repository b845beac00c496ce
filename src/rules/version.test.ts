import { describe, expect, it } from 'vitest';
import { compileContent } from './compile.ts';
import { approvalProblems } from './approval.ts';
import { formatProblem, type SourceFile } from './source.ts';

const files = (): SourceFile[] => [
  { path: 'rules/svc/service.yaml', text: 'hook: patient-view\ntitle: Svc\ndescription: A service\nprefetch:\n  conds: Condition?patient={{context.patientId}}\n' },
  { path: 'rules/svc/a.yaml', text: 'id: a\ntitle: A\nreferences: [{ label: T, url: "https://example.org" }]\nwhen: "%conds.entry.resource.code.inValueSet(\'vs\')"\ncard: ca\n' },
  { path: 'rules/svc/b.yaml', text: 'id: b\ntitle: B\nreferences: [{ label: T, url: "https://example.org" }]\nwhen: "true"\ncard: cb\n' },
  { path: 'cards/ca.yaml', text: 'summary: A\nindicator: info\nsource:\n  label: T\n' },
  { path: 'cards/cb.yaml', text: 'summary: B\nindicator: info\nsource:\n  label: T\n' },
  { path: 'rules/valuesets/vs.json', text: JSON.stringify({ resourceType: 'ValueSet', id: 'vs', expansion: { contains: [{ system: 's', code: 'c' }] } }) },
];
const edit = (list: SourceFile[], path: string, change: (text: string) => string) => list.map((f) => (f.path === path ? { ...f, text: change(f.text) } : f));

function versions(list: SourceFile[]) {
  const { ruleSet, problems } = compileContent(list);
  if (!ruleSet) throw new Error(problems.map(formatProblem).join('\n'));
  const service = ruleSet.services.get('svc')!;
  return { service: service.version, ...Object.fromEntries(service.rules.map((r) => [r.id, r.version])) } as Record<string, string>;
}

describe('content versions', () => {
  const base = versions(files());

  it('are 16 hex digits, the same for the same texts', () => {
    expect(base.a).toMatch(/^[0-9a-f]{16}$/);
    expect(versions(files())).toEqual(base);
  });

  it('change with the rule, its card, its value set and its service file, and only for the rules that use them', () => {
    const card = versions(edit(files(), 'cards/ca.yaml', (t) => t.replace('summary: A', 'summary: A2')));
    expect(card.a).not.toBe(base.a);
    expect(card.b).toBe(base.b);
    expect(card.service).not.toBe(base.service);
    const valueSet = versions(edit(files(), 'rules/valuesets/vs.json', (t) => t.replace('"c"', '"d"')));
    expect(valueSet.a).not.toBe(base.a);
    expect(valueSet.b).toBe(base.b);
    const service = versions(edit(files(), 'rules/svc/service.yaml', (t) => t.replace('A service', 'The service')));
    expect(service.a).not.toBe(base.a);
    expect(service.b).not.toBe(base.b);
  });

  it('carry the author-given version in front of the hash', () => {
    const v = versions(edit(files(), 'rules/svc/b.yaml', (t) => `version: "2.1"\n${t}`));
    expect(v.b).toMatch(/^2\.1\+[0-9a-f]{16}$/);
  });
});

describe('lifecycle fields', () => {
  const problems = (list: SourceFile[]) => compileContent(list).problems.filter((p) => p.severity === 'error').map(formatProblem);
  const withB = (extra: string) => edit(files(), 'rules/svc/b.yaml', (t) => `${extra}${t}`);

  it('accept status, rollout and approval', () => {
    const { ruleSet } = compileContent(withB('status: silent\nrollout: 12.5%\nrolloutBy: user\napprovedBy: Dr A\napprovedOn: 2026-02-28\nreview: CDS-42\n'));
    const b = ruleSet!.services.get('svc')!.rules.find((r) => r.id === 'b')!;
    expect(b).toMatchObject({ status: 'silent', enabled: true, rollout: { percent: 12.5, by: 'user' }, approval: { by: 'Dr A', on: '2026-02-28', review: 'CDS-42' } });
  });

  it('fold enabled: false into status: retired', () => {
    const b = compileContent(withB('enabled: false\n')).ruleSet!.services.get('svc')!.rules.find((r) => r.id === 'b')!;
    expect(b).toMatchObject({ status: 'retired', enabled: false });
    expect(problems(withB('enabled: false\nstatus: active\n'))).toEqual([expect.stringMatching(/^rules\/svc\/b\.yaml:1:10: enabled: false means status: retired; give status alone/)]);
  });

  it('refuse a status, rollout or date that is not one', () => {
    expect(problems(withB('status: paused\n'))).toEqual([expect.stringMatching(/b\.yaml:1:9: .*must be one of active, silent, retired/)]);
    expect(problems(withB('rollout: 120%\n'))).toEqual([expect.stringMatching(/b\.yaml:1:10: .*a percentage from 0% to 100%/)]);
    expect(problems(withB('approvedBy: X\napprovedOn: 2026-02-30\n'))).toEqual([expect.stringMatching(/b\.yaml:2:13: .*a date that exists, written YYYY-MM-DD/)]);
    expect(problems(withB('approvedBy: X\n'))).toEqual([expect.stringMatching(/approvedBy and approvedOn go together/)]);
  });

  it('check --strict refuses an active rule without approval, not a silent one', () => {
    const { ruleSet } = compileContent(edit(withB('status: silent\n'), 'rules/svc/a.yaml', (t) => t));
    expect(approvalProblems(ruleSet!).map(formatProblem)).toEqual([expect.stringMatching(/^rules\/svc\/a\.yaml:1:1: rule 'a' is active without approval/)]);
  });
});
