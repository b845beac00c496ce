/** Rule lifecycle over a real database: silent rules record and return nothing; rollout splits patients stably. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolloutBucket } from '../../src/pipeline/exposure.ts';
import { compileInline, post, type TestApp, testApp } from '../support/app.ts';
import { demoRequest, governanceContent } from '../support/governance-content.ts';

let t: TestApp;
const ruleSet = compileInline(governanceContent());
beforeAll(async () => {
  t = await testApp({ ruleSet });
});
afterAll(() => t.close());

async function call(patientId: string) {
  const request = demoRequest(patientId);
  const res = await post(t.app, '/cds-services/demo', request);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { cards: { summary: string; uuid: string }[] };
  const [invocation] = await t.rows('select * from invocations where hook_instance = ?', request.hookInstance);
  const cards = await t.rows('select rule_id, silent, rule_version from invocation_cards where invocation_id = ? order by rule_id', invocation!.id);
  return { body, invocation: invocation!, cards };
}

describe('status: silent', () => {
  it('records the would-have-fired card, flagged silent, and returns nothing of it', async () => {
    const { body, invocation, cards } = await call('p-silent-1');
    expect(body.cards.map((c) => c.summary)).not.toContain('quiet for p-silent-1');
    expect(body.cards.map((c) => c.summary)).toContain('shown for p-silent-1');
    const quiet = ruleSet.services.get('demo')!.rules.find((r) => r.id === 'quiet')!;
    expect(cards).toContainEqual({ rule_id: 'quiet', silent: 1, rule_version: quiet.version });
    expect(cards).toContainEqual({ rule_id: 'shown', silent: 0, rule_version: expect.any(String) });
    expect(JSON.parse(invocation.rules_silent)).toContain('quiet');
    expect(JSON.parse(invocation.rules_fired)).not.toContain('quiet');
    // card_count counts what the EHR got.
    expect(invocation.card_count).toBe(body.cards.length);
  });
});

describe('rollout: 50%', () => {
  const patients = Array.from({ length: 40 }, (_, i) => `rollout-${i}`);
  const inside = patients.filter((p) => rolloutBucket('half', p) < 5000);

  it('splits patients by a stable hash: about half see the card, the rest are recorded as silent', async () => {
    // The split is a property of the ids: 40 patients, none near all or nothing.
    expect(inside.length).toBeGreaterThan(10);
    expect(inside.length).toBeLessThan(30);
    for (const patientId of patients) {
      const { body, cards } = await call(patientId);
      const shown = body.cards.some((c) => c.summary === `half for ${patientId}`);
      expect(shown).toBe(inside.includes(patientId));
      expect(cards.find((c) => c.rule_id === 'half')!.silent).toBe(shown ? 0 : 1);
    }
  });

  it('puts the same patient on the same side on every call', async () => {
    for (const patientId of patients.slice(0, 6)) {
      const sides = new Set<boolean>();
      for (let i = 0; i < 3; i++) sides.add((await call(patientId)).body.cards.some((c) => c.summary.startsWith('half')));
      expect(sides.size).toBe(1);
    }
  });
});
