/**
 * Quality figures over a real database: a hand-computed set of calls and feedback through the
 * real app, and a planted firing-rate drop for the alarm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ruleStats } from '../../src/governance/stats.ts';
import { rolloutBucket } from '../../src/pipeline/exposure.ts';
import type { InvocationRow } from '../../src/store/schema.ts';
import { compileInline, post, type TestApp, testApp } from '../support/app.ts';
import { demoRequest, governanceContent } from '../support/governance-content.ts';

const T0 = Date.parse('2026-11-20T12:00:00Z');
const DAY = 86_400_000;

const HL7 = 'http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes';
const refuses = { code: 'patient-refuses', display: 'Patient refuses/declines (no context given)*', category: 'does-not-align-preferences' };

describe('cds-rules stats over a hand-computed set of calls and feedback', () => {
  let t: TestApp;
  let clock = T0;
  const women = ['w1', 'w2', 'w3', 'w4'];
  const cardOf: Record<string, { uuid: string; suggestions: { uuid: string }[] }> = {};

  beforeAll(async () => {
    t = await testApp({ ruleSet: compileInline(governanceContent()), now: () => new Date(clock) });
    for (const id of [...women, 'm1', 'm2']) {
      const res = await post(t.app, '/cds-services/demo', demoRequest(id, id.startsWith('w') ? 'female' : 'male'));
      const { cards } = (await res.json()) as { cards: { uuid: string; summary: string; suggestions: { uuid: string }[] }[] };
      const shown = cards.find((c) => c.summary === `shown for ${id}`);
      if (shown) cardOf[id] = shown;
    }
    const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
    const reason = (code: string) => ({ reason: { system: 'urn:cds-rules:override-reason', code, display: code } });
    clock = T0 + 600_000;
    const res = await post(t.app, '/cds-services/demo/feedback', {
      feedback: [
        { card: cardOf.w1!.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: cardOf.w1!.suggestions[0]!.uuid }], outcomeTimestamp: at(60) },
        { card: cardOf.w2!.uuid, outcome: 'overridden', overrideReason: reason('patient-declined'), outcomeTimestamp: at(120) },
        { card: cardOf.w3!.uuid, outcome: 'overridden', overrideReason: reason('not-relevant'), outcomeTimestamp: at(30) },
        // An HL7 non-adherence reason (CDS Hooks 3.0 ballot): counted with the project code it maps from.
        { card: cardOf.w4!.uuid, outcome: 'overridden', overrideReason: { reason: { system: HL7, code: 'patient-refuses', display: 'Patient refuses' } }, outcomeTimestamp: at(60) },
        // The same card reported twice is one overridden card, two reasons given.
        { card: cardOf.w3!.uuid, outcome: 'overridden', overrideReason: reason('not-relevant'), outcomeTimestamp: at(300) },
      ],
    });
    expect(res.status).toBe(200);
  });
  afterAll(() => t.close());

  it('gives calls, firings, silent firings, outcomes, reasons, suggestions and time to feedback', async () => {
    const report = await ruleStats(t.store.db, { since: T0 - DAY, until: T0 + DAY });
    const byRule = Object.fromEntries(report.rules.map((r) => [r.ruleId, r]));
    expect(byRule.shown).toEqual({
      serviceId: 'demo',
      ruleId: 'shown',
      calls: 6,
      fired: 4,
      firedPer1000: 666.667,
      silentWouldFire: 0,
      silentPer1000: 0,
      cards: 4,
      accepted: 1,
      overridden: 3,
      acceptanceRate: 0.25,
      overrideRate: 0.75,
      overrideReasons: [
        { system: 'urn:cds-rules:override-reason', code: 'not-relevant', display: 'not-relevant', count: 2, nonAdherence: null },
        { system: HL7, code: 'patient-refuses', display: 'Patient refuses', count: 1, nonAdherence: refuses },
        { system: 'urn:cds-rules:override-reason', code: 'patient-declined', display: 'patient-declined', count: 1, nonAdherence: refuses },
      ],
      nonAdherenceReasons: [{ ...refuses, count: 2 }],
      suggestions: [{ label: 'Order the screening', shown: 4, accepted: 1, acceptanceRate: 0.25 }],
      // First outcomes 60 s, 120 s, 30 s and 60 s after the call.
      medianSecondsToFeedback: 60,
      errors: 0,
      skips: 0,
      versions: [compileInline(governanceContent()).services.get('demo')!.rules.find((r) => r.id === 'shown')!.version],
    });
    expect(byRule.quiet).toMatchObject({ calls: 6, fired: 0, silentWouldFire: 4, silentPer1000: 666.667, cards: 0, acceptanceRate: null });
    const exposed = women.filter((w) => rolloutBucket('half', w) < 5000).length;
    expect(byRule.half).toMatchObject({ calls: 6, fired: exposed, silentWouldFire: 4 - exposed, cards: exposed });
  });

  it('counts only the period asked for', async () => {
    const report = await ruleStats(t.store.db, { since: T0 + 1, until: T0 + DAY });
    expect(report.rules).toEqual([]);
  });
});

describe('the firing-rate alarm', () => {
  let t: TestApp;
  const UNTIL = T0;
  beforeAll(async () => {
    t = await testApp({ ruleSet: compileInline(governanceContent()) });
    let n = 0;
    /** Records `calls` calls spread over [from, from + span), `fires(i)` naming the rules that fired in call i. */
    const plant = async (from: number, span: number, calls: number, fires: (i: number) => string[]) => {
      for (let i = 0; i < calls; i++) {
        const row: InvocationRow = {
          id: `planted-${n++}`,
          receivedAt: from + Math.floor((span * i) / calls),
          serviceId: 'svc',
          hook: 'patient-view',
          status: 200,
          outcome: 'ok',
          rulesEvaluated: ['steady', 'stops', 'sags'],
          rulesFired: fires(i),
          ruleErrors: [],
          cardCount: 0,
          prefetchFetched: [],
          totalMs: 1,
        };
        await t.store.recordInvocation(row, []);
      }
    };
    // Baseline, 28 days: steady fires in 20% of calls, stops in 20%, sags in 30%.
    await plant(UNTIL - 35 * DAY, 28 * DAY, 200, (i) => [...(i % 5 === 0 ? ['steady', 'stops'] : []), ...(i % 10 < 3 ? ['sags'] : [])]);
    // Recent 7 days: steady still 20%, stops never fires, sags 10% (expected 30, z = -3.65).
    await plant(UNTIL - 7 * DAY, 7 * DAY, 100, (i) => [...(i % 5 === 0 ? ['steady'] : []), ...(i % 10 === 0 ? ['sags'] : [])]);
  });
  afterAll(() => t.close());

  it('flags the drop to zero and the sag, not the steady rule', async () => {
    const { alarms } = await ruleStats(t.store.db, { since: UNTIL - 35 * DAY, until: UNTIL });
    expect(alarms).toEqual([
      { serviceId: 'svc', ruleId: 'stops', kind: 'zero', baselineCalls: 200, baselinePer1000: 200, recentCalls: 100, recentFirings: 0, expectedFirings: 20, z: -4.47 },
      { serviceId: 'svc', ruleId: 'sags', kind: 'drop', baselineCalls: 200, baselinePer1000: 300, recentCalls: 100, recentFirings: 10, expectedFirings: 30, z: -3.65 },
    ]);
  });
});
