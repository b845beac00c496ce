import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, type TestApp, testApp } from '../support/app.ts';
import { warfarinIbuprofenRequest } from '../support/requests.ts';

let t: TestApp;
let card: { uuid: string; suggestions: { uuid: string }[] };
beforeAll(async () => {
  t = await testApp();
  const res = await post(t.app, '/cds-services/drug-interactions', warfarinIbuprofenRequest());
  card = ((await res.json()) as { cards: (typeof card)[] }).cards[0]!;
});
afterAll(() => t.close());

/** Read outside the app's store: what a 200 promised must already be stored. */
function feedbackRows(card: string): Promise<Record<string, any>[]> {
  return t.rows('select * from feedback where card_uuid = ? order by id', card);
}

async function feedbackCount(): Promise<number> {
  return (await t.rows<{ n: number }>('select count(*) n from feedback'))[0]!.n;
}

describe('POST /cds-services/{id}/feedback (checklist #39-#44)', () => {
  it('stores an accepted suggestion, linked to the call and rule that produced the card', async () => {
    const res = await post(t.app, '/cds-services/drug-interactions/feedback', {
      feedback: [{ card: card.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: card.suggestions[0]!.uuid }], outcomeTimestamp: '2026-11-26T10:05:31Z' }],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ stored: 1, unknownCards: 0 });
    const [row] = await feedbackRows(card.uuid);
    expect(row).toMatchObject({
      service_id: 'drug-interactions',
      rule_id: 'warfarin-nsaid',
      outcome: 'accepted',
      accepted_suggestions: JSON.stringify([card.suggestions[0]!.uuid]),
      outcome_timestamp: '2026-11-26T10:05:31Z',
    });
    expect(row!.invocation_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('stores an override with the sandbox-style reason (code without system) and a comment', async () => {
    const res = await post(t.app, '/cds-services/drug-interactions/feedback', {
      feedback: [
        {
          card: card.uuid,
          outcome: 'overridden',
          overrideReason: { reason: { code: 'short-course' }, userComment: 'Two days only.' },
          outcomeTimestamp: '2026-11-26T10:06:00.52Z',
        },
      ],
    });
    expect(res.status).toBe(200);
    const rows = await feedbackRows(card.uuid);
    expect(rows.at(-1)).toMatchObject({
      outcome: 'overridden',
      override_reason_code: 'short-course',
      override_reason_system: null,
      override_comment: 'Two days only.',
      rule_id: 'warfarin-nsaid',
    });
  });

  it('accepts several items and cards it does not know (counted, not linked)', async () => {
    const unknown = '0a4f0f3e-0000-4000-8000-000000000000';
    const res = await post(t.app, '/cds-services/drug-interactions/feedback', {
      feedback: [
        { card: unknown, outcome: 'overridden', outcomeTimestamp: '2026-11-26T10:07:00Z' },
        { card: card.uuid, outcome: 'overridden', outcomeTimestamp: '2026-11-26T10:07:01Z' },
      ],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ stored: 2, unknownCards: 1 });
    expect(await feedbackRows(unknown)).toMatchObject([{ invocation_id: null, rule_id: null, outcome: 'overridden' }]);
  });

  const bad: [string, unknown, string | undefined][] = [
    ['not JSON', 'nope', undefined],
    ['no feedback array', {}, 'feedback'],
    ['feedback that is not an array', { feedback: {} }, 'feedback'],
    ['a bad outcome', { feedback: [{ card: 'c', outcome: 'ignored', outcomeTimestamp: '2026-11-26T10:00:00Z' }] }, 'feedback[0].outcome'],
    ['accepted without acceptedSuggestions', { feedback: [{ card: 'c', outcome: 'accepted', outcomeTimestamp: '2026-11-26T10:00:00Z' }] }, 'feedback[0].acceptedSuggestions'],
    ['no card', { feedback: [{ outcome: 'overridden', outcomeTimestamp: '2026-11-26T10:00:00Z' }] }, 'feedback[0].card'],
    ['no outcomeTimestamp', { feedback: [{ card: 'c', outcome: 'overridden' }] }, 'feedback[0].outcomeTimestamp'],
    ['a timestamp that is not RFC 3339', { feedback: [{ card: 'c', outcome: 'overridden', outcomeTimestamp: '26/11/2026' }] }, 'feedback[0].outcomeTimestamp'],
    ['an impossible date', { feedback: [{ card: 'c', outcome: 'overridden', outcomeTimestamp: '2026-13-45T10:00:00Z' }] }, 'feedback[0].outcomeTimestamp'],
    ['an empty overrideReason', { feedback: [{ card: 'c', outcome: 'overridden', overrideReason: {}, outcomeTimestamp: '2026-11-26T10:00:00Z' }] }, 'feedback[0].overrideReason'],
  ];
  for (const [what, body, field] of bad) {
    it(`${what} → 400${field ? ` naming ${field}` : ''}, nothing stored`, async () => {
      const count = await feedbackCount();
      const res = await post(t.app, '/cds-services/drug-interactions/feedback', body);
      expect(res.status).toBe(400);
      const outcome = (await res.json()) as { issue: { expression?: string[] }[] };
      if (field) expect(outcome.issue.flatMap((i) => i.expression ?? [])).toContain(field);
      expect(await feedbackCount()).toBe(count);
    });
  }

  it('feedback for an unknown service → 404', async () => {
    const res = await post(t.app, '/cds-services/nope/feedback', { feedback: [] });
    expect(res.status).toBe(404);
  });
});
