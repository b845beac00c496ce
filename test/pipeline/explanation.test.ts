/**
 * The pure pipeline's explanation on a shipped rule (warfarin-nsaid): the tree of its conditions
 * with exact states, the defines it read with their values, in the order it read them. The
 * explanation is for authoring tools; the hook response never carries it.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config.ts';
import { runHook } from '../../src/pipeline/run.ts';
import { shippedRuleSet } from '../support/app.ts';
import { bundle, medicationRequest } from '../support/requests.ts';

const ibuprofen = medicationRequest('draft-ibuprofen', '197805', 'Ibuprofen 400 MG Oral Tablet', 'draft');
const warfarin = medicationRequest('active-warfarin', '855332', 'warfarin sodium 5 MG Oral Tablet', 'active');
const searchset = (...resources: object[]) => bundle('searchset', resources);
const request = (active: object[]) => ({
  hook: 'order-sign',
  hookInstance: crypto.randomUUID(),
  context: { userId: 'Practitioner/u', patientId: 'p1', draftOrders: bundle('collection', [ibuprofen]) },
  prefetch: { patient: { resourceType: 'Patient', id: 'p1', birthDate: '1950-01-01' }, activeMeds: searchset(...active), potassium: searchset() },
});

const deps = {
  fetch: () => Promise.reject(new Error('no FHIR server in this test')),
  now: () => new Date('2026-03-01T12:00:00Z'),
  newUuid: () => crypto.randomUUID(),
  limits: { ...DEFAULT_CONFIG, evaluationBudgetMs: 60_000 },
};

async function explain(active: object[]) {
  const service = (await shippedRuleSet()).services.get('drug-interactions')!;
  const result = await runHook(deps, service, request(active), { explain: true });
  expect(result.rejected).toBeUndefined();
  return { result, why: result.explanation!.find((e) => e.rule === 'warfarin-nsaid')! };
}

const ms = expect.any(Number);

describe('explanation of warfarin-nsaid', () => {
  it('quiet without warfarin: each condition as far as it ran, the rest not evaluated, and only the defines read', async () => {
    const { result, why } = await explain([]);
    expect(why.outcome).toBe('quiet');
    expect(why.conditions).toEqual({
      kind: 'all',
      state: 'false',
      items: [
        {
          kind: 'any',
          state: 'false',
          items: [
            {
              kind: 'all',
              state: 'false',
              items: [
                { kind: 'expr', expression: '%nsaidDrafts.exists()', state: 'true', result: [true], ms },
                { kind: 'expr', expression: '%activeWarfarin.exists() or %warfarinDrafts.exists()', state: 'false', result: [false], ms },
              ],
            },
            {
              kind: 'all',
              state: 'false',
              items: [
                { kind: 'expr', expression: '%warfarinDrafts.exists()', state: 'false', result: [false], ms },
                { kind: 'expr', expression: '%activeNsaids.exists()', state: 'not-evaluated' },
              ],
            },
          ],
        },
        { kind: 'not', state: 'not-evaluated', item: { kind: 'expr', expression: '%gastroprotected', state: 'not-evaluated' } },
      ],
    });
    // First-read order, defines read through other defines included; gastroprotected and activeNsaids never ran.
    expect(why.defines).toEqual([
      { name: 'nsaidDrafts', value: [ibuprofen] },
      { name: 'draftMeds', value: [ibuprofen] },
      { name: 'activeWarfarin', value: [] },
      { name: 'activeMedRequests', value: [] },
      { name: 'warfarinDrafts', value: [] },
    ]);
    expect(why.ms).toBeGreaterThan(0);
    expect(result.rules.find((r) => r.ruleId === 'warfarin-nsaid')).toEqual({ ruleId: 'warfarin-nsaid', result: 'quiet', ms: why.ms });
    // Never in the hook response.
    expect(JSON.stringify(result.response)).not.toContain('nsaidDrafts');
  });

  it('fired with warfarin active and no PPI: the card names the rule, the tree says why', async () => {
    const { result, why } = await explain([warfarin]);
    expect(why.outcome).toBe('fired');
    expect(why.conditions).toMatchObject({
      state: 'true',
      items: [
        { kind: 'any', state: 'true', items: [{ state: 'true', items: [{ state: 'true' }, { state: 'true' }] }, { state: 'not-evaluated' }] },
        { kind: 'not', state: 'true', item: { expression: '%gastroprotected', state: 'false', result: [false] } },
      ],
    });
    // `or` runs both sides; the card's values read activeNsaids after the conditions.
    expect(why.defines.map((d) => d.name)).toEqual(['nsaidDrafts', 'draftMeds', 'activeWarfarin', 'activeMedRequests', 'warfarinDrafts', 'gastroprotected', 'activeNsaids']);
    expect(why.defines.find((d) => d.name === 'activeWarfarin')).toEqual({ name: 'activeWarfarin', value: [warfarin] });
    expect(result.cards.map((c) => [c.ruleId, c.card.summary])).toContainEqual(['warfarin-nsaid', 'Bleeding risk: Ibuprofen 400 MG Oral Tablet with warfarin']);
    expect(Object.keys(result.timings).sort()).toEqual(['evaluateMs', 'prefetchMs', 'renderMs', 'requestMs', 'totalMs']);
  });

  it('is not built unless asked for', async () => {
    const service = (await shippedRuleSet()).services.get('drug-interactions')!;
    const result = await runHook(deps, service, request([]));
    expect(result.explanation).toBeUndefined();
  });
});
