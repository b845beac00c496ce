import { describe, expect, it } from 'vitest';
import { compileContent } from './compile.ts';
import { evaluateService } from './evaluate.ts';

/** One patient-view service whose rules (run in file-name order) are the `when` trees given; its `boom` define throws. */
function service(rules: Record<string, unknown>) {
  const { ruleSet, problems } = compileContent([
    {
      path: 'rules/demo/service.yaml',
      text: [
        'hook: patient-view',
        'title: Demo',
        'description: Short-circuit checks',
        'prefetch:',
        '  patient: Patient/{{context.patientId}}',
        'define:',
        // A birth date that is not a date: ageInYears() throws, so reading %boom fails the rule.
        '  boom: "%patient.birthDate.ageInYears()"',
      ].join('\n'),
    },
    ...Object.entries(rules).map(([id, when]) => ({
      path: `rules/demo/${id}.yaml`,
      text: [`id: ${id}`, `title: ${id}`, 'references: [{ label: Test, url: "https://example.org/test" }]', `when: ${JSON.stringify(when)}`, 'card: hello'].join('\n'),
    })),
    { path: 'cards/hello.yaml', text: 'summary: Hello\nindicator: info\nsource:\n  label: Demo\n' },
  ]);
  if (!ruleSet) throw new Error(JSON.stringify(problems));
  return ruleSet.services.get('demo')!;
}

const input = {
  context: { patientId: 'p1', userId: 'Practitioner/u' },
  prefetch: { patient: { resourceType: 'Patient', id: 'p1', gender: 'male', birthDate: 'not-a-date' } },
  now: new Date('2026-03-01T12:00:00Z'),
};

describe('evaluateService: all/any in the written order', () => {
  it('a false guard first in an all stops the throwing condition after it: quiet, not failed, and the define is never computed', () => {
    const s = service({
      guarded: { all: ["%patient.gender = 'female'", '%boom > 1'] },
      unguarded: { all: ['%boom > 1', "%patient.gender = 'female'"] },
    });
    const [guarded, unguarded] = evaluateService(s, input, { explain: true });
    expect(guarded).toMatchObject({ ruleId: 'guarded', fired: false });
    expect(guarded!.error).toBeUndefined();
    expect(guarded!.explanation!.conditions).toEqual({
      kind: 'all',
      state: 'false',
      items: [
        { kind: 'expr', expression: "%patient.gender = 'female'", state: 'false', result: [false], ms: expect.any(Number) },
        { kind: 'expr', expression: '%boom > 1', state: 'not-evaluated' },
      ],
    });
    expect(guarded!.explanation!.defines).toEqual([]);
    // Written the other way round, the throwing condition runs first and fails the rule.
    expect(unguarded).toMatchObject({ ruleId: 'unguarded', fired: false, error: { class: 'define-failed', message: expect.stringContaining("define 'boom'") } });
    expect(unguarded!.explanation!.outcome).toBe('failed');
    expect(unguarded!.explanation!.conditions).toMatchObject({ state: 'error', items: [{ state: 'error' }, { state: 'not-evaluated' }] });
  });

  it('a true item first in an any decides it; the throwing item after it never runs, and the rule fires', () => {
    const s = service({ either: { any: ["%patient.gender = 'male'", '%boom > 1'] } });
    const [either] = evaluateService(s, input, { explain: true });
    expect(either).toMatchObject({ ruleId: 'either', fired: true });
    expect(either!.explanation!.conditions).toMatchObject({ kind: 'any', state: 'true', items: [{ state: 'true' }, { state: 'not-evaluated' }] });
  });

  it('not negates, and a condition that is not a boolean is a fhirpath-type error', () => {
    const s = service({ negated: { not: "%patient.gender = 'female'" }, collection: "%patient.children().where($this = 'male')" });
    const [collection, negated] = evaluateService(s, input, { explain: true });
    expect(negated).toMatchObject({ fired: true });
    expect(negated!.explanation!.conditions).toMatchObject({ kind: 'not', state: 'true', item: { state: 'false' } });
    expect(collection).toMatchObject({ fired: false, error: { class: 'fhirpath-type' } });
    expect(collection!.explanation!.conditions).toMatchObject({ kind: 'expr', state: 'error', result: ['male'] });
  });

  it('without explain, no explanation is built', () => {
    const [only] = evaluateService(service({ only: 'true' }), input);
    expect(only).toEqual({ ruleId: 'only', fired: true, values: {}, ms: expect.any(Number) });
  });
});
