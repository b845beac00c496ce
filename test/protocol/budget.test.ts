/**
 * The per-call evaluation budget: once spent, rules not yet evaluated are skipped, the response
 * says so in the `org.cds-rules.degraded` extension, and the call is recorded as degraded. A
 * throwing rule stays isolated and is listed there too, by its error class only. Part of the
 * shared protocol suite: it runs in Node and in workerd (the Worker shell) alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEGRADED_EXTENSION } from '../../src/protocol/degraded.ts';
import { compileInline, post, type TestApp, testApp } from '../support/app.ts';
import { bundle } from '../support/requests.ts';

const rule = (id: string, when: string) => ({
  path: `rules/demo/${id}.yaml`,
  text: [`id: ${id}`, `title: ${id}`, 'references: [{ label: Test, url: "https://example.org/test" }]', `when: ${JSON.stringify(when)}`, 'card: hello'].join('\n'),
});

const files = [
  { path: 'rules/demo/service.yaml', text: 'hook: patient-view\ntitle: Demo\ndescription: Demo service\nprefetch:\n  patient: Patient/{{context.patientId}}\n  conditions: Condition?patient={{context.patientId}}\n' },
  rule('a-throws', '%patient.birthDate.ageInYears() > 1'),
  // Walks every coding of every condition several times: about 200 ms or more over 10,000 conditions.
  rule('b-slow', "%conditions.entry.resource.where(code.coding.where(system = 'x' and code = 'y').exists().not()).count() > 0 and %conditions.entry.resource.where(code.coding.where(code.length() > 100).exists()).empty()"),
  rule('c-fast', 'true'),
  rule('d-fast', "%patient.id = 'p1'"),
  { path: 'cards/hello.yaml', text: 'summary: Hello\nindicator: info\nsource:\n  label: Demo\n' },
];

const conditions = bundle(
  'searchset',
  Array.from({ length: 10_000 }, (_, i) => ({
    resourceType: 'Condition',
    id: `c${i}`,
    subject: { reference: 'Patient/p1' },
    code: { coding: [{ system: 'http://snomed.info/sct', code: String(1000 + i) }, { system: 'http://hl7.org/fhir/sid/icd-10', code: `E${i}` }] },
  })),
);
const request = (hookInstance: string) => ({
  hook: 'patient-view',
  hookInstance,
  context: { userId: 'Practitioner/u', patientId: 'p1' },
  prefetch: { patient: { resourceType: 'Patient', id: 'p1', birthDate: 'not-a-date' }, conditions },
});

const TIGHT_MS = 60;
let tight: TestApp;
let roomy: TestApp;
beforeAll(async () => {
  const ruleSet = compileInline(files);
  [tight, roomy] = await Promise.all([
    // Room enough that the quick throwing rule before the slow one stays within it on a loaded machine.
    testApp({ ruleSet, config: { evaluationBudgetMs: TIGHT_MS } }),
    testApp({ ruleSet, config: { evaluationBudgetMs: 30_000 } }),
  ]);
});
afterAll(async () => {
  await tight.close();
  await roomy.close();
});

async function invocation(t: TestApp, hookInstance: string): Promise<Record<string, any>> {
  return (await t.rows('select * from invocations where hook_instance = ?', hookInstance))[0]!;
}

describe('evaluation budget', () => {
  it('with room, every rule runs: three cards, the throwing rule isolated and named in the extension', async () => {
    const hookInstance = crypto.randomUUID();
    const res = await post(roomy.app, '/cds-services/demo', request(hookInstance));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { cards: unknown[]; extension?: unknown };
    expect(body.cards).toHaveLength(3);
    expect(body.extension).toEqual({ [DEGRADED_EXTENSION]: { skipped: [], failed: [{ rule: 'a-throws', error: 'fhirpath-error' }] } });
    const row = await invocation(roomy, hookInstance);
    expect(row.outcome).toBe('degraded'); // a-throws
    expect(JSON.parse(row.rules_skipped)).toEqual([]);
    expect(JSON.parse(row.rules_fired).sort()).toEqual(['b-slow', 'c-fast', 'd-fast']);
    // The slow rule really is slower than the tight budget below.
    expect(row.evaluate_ms).toBeGreaterThan(TIGHT_MS);
  });

  it('when spent, the rules after the slow one are skipped, reported in an extension, and the call is degraded', async () => {
    const hookInstance = crypto.randomUUID();
    const res = await post(tight.app, '/cds-services/demo', request(hookInstance));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { cards: unknown[]; extension: Record<string, unknown> };
    expect(body.extension).toEqual({
      [DEGRADED_EXTENSION]: {
        skipped: [
          { rule: 'c-fast', reason: 'budget' },
          { rule: 'd-fast', reason: 'budget' },
        ],
        failed: [{ rule: 'a-throws', error: 'fhirpath-error' }],
        budgetMs: TIGHT_MS,
      },
    });
    // Error classes only: the message (which can quote data) stays out of the response.
    expect(JSON.stringify(body.extension)).not.toContain('ageInYears');
    // The slow rule finished its conditions, so its card stands; the throwing one is isolated.
    expect(body.cards).toHaveLength(1);
    const row = await invocation(tight, hookInstance);
    expect(row).toMatchObject({ status: 200, outcome: 'degraded', card_count: 1 });
    expect(JSON.parse(row.rules_skipped)).toEqual(['c-fast', 'd-fast']);
    expect(JSON.parse(row.rules_evaluated)).toEqual(['a-throws', 'b-slow']);
    expect(JSON.parse(row.rule_errors)).toEqual([{ rule: 'a-throws', class: 'fhirpath-error', location: expect.stringMatching(/^rules\/demo\/a-throws\.yaml:\d+:\d+$/) }]);
    const warning = tight.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'evaluation budget exceeded');
    expect(warning).toMatchObject({ service: 'demo', hookInstance, budgetMs: TIGHT_MS, skipped: ['c-fast', 'd-fast'] });
  });

  it('the service keeps answering afterwards, within budget for light calls', async () => {
    const light = { ...request(crypto.randomUUID()), prefetch: { patient: { resourceType: 'Patient', id: 'p1', birthDate: '1970-01-01' }, conditions: bundle('searchset', []) } };
    const res = await post(tight.app, '/cds-services/demo', light);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { extension?: unknown }).extension).toBeUndefined();
  });
});
