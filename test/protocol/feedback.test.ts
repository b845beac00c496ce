import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, type TestApp, testApp } from '../support/app.ts';
import { patientViewRequest, warfarinIbuprofenRequest } from '../support/requests.ts';

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
    // Issue 13, finding 6: dates that do not exist, and bounds.
    ['30 February', { feedback: [{ card: 'c', outcome: 'overridden', outcomeTimestamp: '2026-02-30T10:00:00Z' }] }, 'feedback[0].outcomeTimestamp'],
    ['29 February of a common year', { feedback: [{ card: 'c', outcome: 'overridden', outcomeTimestamp: '2027-02-29T10:00:00Z' }] }, 'feedback[0].outcomeTimestamp'],
    ['hour 24', { feedback: [{ card: 'c', outcome: 'overridden', outcomeTimestamp: '2026-02-01T24:00:00Z' }] }, 'feedback[0].outcomeTimestamp'],
    ['an offset of 25 hours', { feedback: [{ card: 'c', outcome: 'overridden', outcomeTimestamp: '2026-02-01T10:00:00+25:00' }] }, 'feedback[0].outcomeTimestamp'],
    ['a card id of 1 MB', { feedback: [{ card: 'c'.repeat(1_000_000), outcome: 'overridden', outcomeTimestamp: '2026-11-26T10:00:00Z' }] }, 'feedback[0].card'],
    ['a suggestion id of 10 kB', { feedback: [{ card: 'c', outcome: 'accepted', acceptedSuggestions: [{ id: 's'.repeat(10_000) }], outcomeTimestamp: '2026-11-26T10:00:00Z' }] }, 'feedback[0].acceptedSuggestions[0].id'],
    ['a userComment over CDS_FEEDBACK_MAX_TEXT (4000)', { feedback: [{ card: 'c', outcome: 'overridden', overrideReason: { userComment: 'x'.repeat(4001) }, outcomeTimestamp: '2026-11-26T10:00:00Z' }] }, 'feedback[0].overrideReason.userComment'],
    ['an override reason display over CDS_FEEDBACK_MAX_TEXT', { feedback: [{ card: 'c', outcome: 'overridden', overrideReason: { reason: { code: 'x', display: 'd'.repeat(4001) } }, outcomeTimestamp: '2026-11-26T10:00:00Z' }] }, 'feedback[0].overrideReason.reason.display'],
    ['more items than CDS_FEEDBACK_MAX_ITEMS (100)', { feedback: Array.from({ length: 101 }, () => ({ card: 'c', outcome: 'overridden', outcomeTimestamp: '2026-11-26T10:00:00Z' })) }, 'feedback'],
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

  it('a card of another service → 400 naming the card, nothing stored', async () => {
    const other = await post(t.app, '/cds-services/preventive-care', patientViewRequest({ hookInstance: crypto.randomUUID() }));
    const foreign = ((await other.json()) as { cards: { uuid: string }[] }).cards[0]!.uuid;
    const count = await feedbackCount();
    const res = await post(t.app, '/cds-services/drug-interactions/feedback', {
      feedback: [
        { card: card.uuid, outcome: 'overridden', outcomeTimestamp: '2026-11-26T10:00:00Z' },
        { card: foreign, outcome: 'overridden', outcomeTimestamp: '2026-11-26T10:00:00Z' },
      ],
    });
    expect(res.status).toBe(400);
    const outcome = (await res.json()) as { issue: { expression?: string[]; diagnostics: string }[] };
    expect(outcome.issue).toMatchObject([{ expression: ['feedback[1].card'], diagnostics: 'feedback[1].card: is a card of another service' }]);
    expect(await feedbackCount()).toBe(count);
  });

  it('a suggestion that is not on the card → 400 naming it, nothing stored', async () => {
    const count = await feedbackCount();
    const res = await post(t.app, '/cds-services/drug-interactions/feedback', {
      feedback: [{ card: card.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: card.suggestions[0]!.uuid }, { id: crypto.randomUUID() }], outcomeTimestamp: '2026-11-26T10:00:00Z' }],
    });
    expect(res.status).toBe(400);
    const outcome = (await res.json()) as { issue: { expression?: string[]; diagnostics: string }[] };
    expect(outcome.issue).toMatchObject([{ expression: ['feedback[0].acceptedSuggestions[1].id'], diagnostics: 'feedback[0].acceptedSuggestions[1].id: is not a suggestion of this card' }]);
    expect(await feedbackCount()).toBe(count);
  });

  it('the bounds are settings: CDS_FEEDBACK_MAX_ITEMS and CDS_FEEDBACK_MAX_TEXT', async () => {
    const small = await testApp({ config: { feedbackMaxItems: 2, feedbackMaxText: 10 } });
    try {
      const item = (comment: string) => ({ card: crypto.randomUUID(), outcome: 'overridden', overrideReason: { userComment: comment }, outcomeTimestamp: '2026-11-26T10:00:00Z' });
      expect((await post(small.app, '/cds-services/drug-interactions/feedback', { feedback: [item('ten chars.'), item('ok')] })).status).toBe(200);
      const tooMany = await post(small.app, '/cds-services/drug-interactions/feedback', { feedback: [item('a'), item('b'), item('c')] });
      expect(tooMany.status).toBe(400);
      expect(((await tooMany.json()) as { issue: { diagnostics: string }[] }).issue[0]!.diagnostics).toBe('feedback: must hold at most 2 items');
      const tooLong = await post(small.app, '/cds-services/drug-interactions/feedback', { feedback: [item('eleven char')] });
      expect(((await tooLong.json()) as { issue: { diagnostics: string }[] }).issue[0]!.diagnostics).toBe('feedback[0].overrideReason.userComment: must be at most 10 characters');
    } finally {
      await small.close();
    }
  });

  it('feedback for an unknown service → 404', async () => {
    const res = await post(t.app, '/cds-services/nope/feedback', { feedback: [] });
    expect(res.status).toBe(404);
  });
});
