/**
 * runHook, the pure pipeline, as its callers use it: a plain result with the cards and the rule
 * that made each, what failed by class, refusals as data (not thrown), and the one clock.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config.ts';
import { runHook } from '../../src/pipeline/run.ts';
import { DEGRADED_EXTENSION } from '../../src/protocol/degraded.ts';
import { compileInline } from '../support/app.ts';

const ruleSet = compileInline([
  { path: 'rules/demo/service.yaml', text: 'hook: patient-view\ntitle: Demo\ndescription: Demo service\nprefetch:\n  patient: Patient/{{context.patientId}}\n' },
  {
    path: 'rules/demo/a-link.yaml',
    text: ['id: a-link', 'title: A link', 'references: [{ label: Test, url: "https://example.org/test" }]', 'when: "true"', 'card: linked', 'with:', '  where: "%patient.id"'].join('\n'),
  },
  {
    path: 'rules/demo/b-age.yaml',
    text: ['id: b-age', 'title: Age', 'references: [{ label: Test, url: "https://example.org/test" }]', 'when: "%patient.birthDate.ageInYears() >= 18"', 'card: adult'].join('\n'),
  },
  { path: 'cards/linked.yaml', text: 'summary: Linked\nindicator: info\nsource:\n  label: Demo\nlinks:\n  - label: Where\n    url: "{{where}}"\n    type: absolute\n' },
  { path: 'cards/adult.yaml', text: 'summary: Adult\nindicator: warning\nsource:\n  label: Demo\n' },
]);
const service = ruleSet.services.get('demo')!;

const deps = (now: string) => ({
  fetch: () => Promise.reject(new Error('no FHIR server in this test')),
  now: () => new Date(now),
  newUuid: () => crypto.randomUUID(),
  limits: { ...DEFAULT_CONFIG, evaluationBudgetMs: 60_000 },
});
const request = (birthDate: string) => ({
  hook: 'patient-view',
  hookInstance: crypto.randomUUID(),
  context: { userId: 'Practitioner/u', patientId: 'p1' },
  prefetch: { patient: { resourceType: 'Patient', id: 'p1', birthDate } },
});

describe('runHook', () => {
  it('a card that cannot be rendered fails its rule as card-render; the other rule\'s card stands, with its rule id', async () => {
    const result = await runHook(deps('2026-03-01T12:00:00Z'), service, request('2008-03-01'), { explain: true });
    expect(result.rejected).toBeUndefined();
    expect(result.cards.map((c) => [c.ruleId, c.card.summary])).toEqual([['b-age', 'Adult']]);
    expect(result.failed).toEqual([{ rule: 'a-link', error: 'card-render', message: expect.stringContaining('links[0].url'), location: 'rules/demo/a-link.yaml' }]);
    expect(result.rules.map((r) => [r.ruleId, r.result])).toEqual([
      ['a-link', 'failed'],
      ['b-age', 'fired'],
    ]);
    expect(result.explanation!.map((e) => [e.rule, e.outcome])).toEqual([
      ['a-link', 'failed'],
      ['b-age', 'fired'],
    ]);
    expect(result.response!.extension).toEqual({ [DEGRADED_EXTENSION]: { skipped: [], failed: [{ rule: 'a-link', error: 'card-render' }] } });
  });

  it('a fired rule is rendered once: the card a listener hears of as the rule finishes is the card the answer carries', async () => {
    let uuids = 0;
    const heard: [string, string | undefined, string | undefined][] = [];
    const result = await runHook({ ...deps('2026-03-01T12:00:00Z'), newUuid: () => `00000000-0000-4000-8000-00000000000${++uuids}` }, service, request('2008-03-01'), {
      onRuleOutcome: (outcome, rule, _request, rendered) =>
        heard.push([rule.id, rendered && 'card' in rendered ? rendered.card?.uuid : undefined, rendered && 'error' in rendered ? 'not rendered' : undefined]),
    });
    expect(heard).toEqual([
      ['a-link', undefined, 'not rendered'],
      ['b-age', '00000000-0000-4000-8000-000000000002', undefined],
    ]);
    expect(result.response!.cards.map((c) => c.uuid)).toEqual(['00000000-0000-4000-8000-000000000002']);
    // Each fired rule's card rendered once (the one that fails draws its uuid first).
    expect(uuids).toBe(2);
  });

  it('dates count from the clock in its deps: 18 on the birthday, 17 the day before', async () => {
    const on = await runHook(deps('2026-03-01T12:00:00Z'), service, request('2008-03-01'));
    const before = await runHook(deps('2026-02-28T12:00:00Z'), service, request('2008-03-01'));
    expect(on.at).toEqual(new Date('2026-03-01T12:00:00Z'));
    expect(on.rules.find((r) => r.ruleId === 'b-age')!.result).toBe('fired');
    expect(before.rules.find((r) => r.ruleId === 'b-age')!.result).toBe('quiet');
  });

  it('a refused call comes back as data: status and problems, no response, timings so far', async () => {
    const result = await runHook(deps('2026-03-01T12:00:00Z'), service, { hook: 'patient-view', context: {} });
    expect(result.rejected?.status).toBe(400);
    expect(result.rejected?.problems.map((p) => p.field)).toContain('hookInstance');
    expect(result.response).toBeUndefined();
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(0);
  });
});
