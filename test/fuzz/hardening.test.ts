/**
 * Properties for the shapes the second attack session used (issue 13): property-named units,
 * markup in displays, oversized feedback, and URL forms of `fhirServer`. `npm test` runs a few
 * hundred cases of each; `npm run fuzz` (FUZZ_RUNS) the long run.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, shippedRuleSet, type TestApp, testApp } from '../support/node-app.ts';
import { bundle, medicationRequest, warfarinIbuprofenRequest } from '../support/requests.ts';
import { fhirServerForm, markupText, oversizedFeedback, propertyNamedUnitsRequest } from './arbitraries.ts';

const RUNS = Math.max(50, Math.floor(Number(process.env.FUZZ_RUNS ?? 2000) / 8));
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const LIMITS = { maxItems: 20, maxText: 200 };

let t: TestApp;
/** Every URL the FHIR fallback tried; none is answered (like an unreachable host). */
const fetched: URL[] = [];
beforeAll(async () => {
  t = await testApp({
    config: { allowPrivateFhirServers: false, feedbackMaxItems: LIMITS.maxItems, feedbackMaxText: LIMITS.maxText, prefetchTimeoutMs: 500 },
    fetch: (input) => {
      fetched.push(new URL(input instanceof Request ? input.url : String(input)));
      return Promise.reject(new TypeError('fetch failed: the fuzz FHIR server is unreachable'));
    },
  });
});
afterAll(() => t.close());

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;

describe('hardening properties (issue 13)', () => {
  it('units named like Object properties never make a NaN MME, nor hide a real 90 MME/day', async () => {
    const service = (await shippedRuleSet()).services.get('opioidcds-04-05-order-sign')!;
    const patient = { resourceType: 'Patient', id: 'p1', gender: 'male', birthDate: `${new Date().getUTCFullYear() - 52}-01-01` };
    const prefetch = Object.fromEntries(Object.keys(service.prefetch).map((k) => [k, k === 'patient' ? patient : bundle('searchset', [])]));
    await fc.assert(
      fc.asyncProperty(propertyNamedUnitsRequest, async (request) => {
        const res = await post(t.app, '/cds-services/opioidcds-04-05-order-sign', { ...request, prefetch });
        const text = await res.text();
        expect(res.status, text).toBe(200);
        expect(text).not.toMatch(/NaN|function |\[object|undefined/);
        const { cards } = JSON.parse(text) as { cards: { summary: string }[] };
        expect(cards.length, text).toBeGreaterThan(0);
        for (const card of cards) expect(card.summary).toMatch(/\d+(\.\d)? MME\/day|MME\/day could not be computed/);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('markup in a draft order display stays text: no HTML, link or image reaches detail; no control character reaches plain text', async () => {
    await fc.assert(
      fc.asyncProperty(markupText, async (display) => {
        const request = warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() }) as Record<string, any>;
        request.context.draftOrders = bundle('collection', [medicationRequest('draft-ibuprofen', '197805', display)]);
        const res = await post(t.app, '/cds-services/drug-interactions', request);
        expect(res.status).toBe(200);
        const { cards } = (await res.json()) as { cards: { summary: string; detail?: string; source: { label: string }; suggestions?: { label: string }[] }[] };
        for (const card of cards) {
          expect(card.detail ?? '').not.toMatch(/<[a-z!/]/i);
          // A link or image needs an unescaped `[` ... `](`.
          expect(card.detail ?? '').not.toMatch(/(^|[^\\])\[[^\]]*[^\\]\]\(/);
          for (const text of [card.summary, card.source.label, ...(card.suggestions ?? []).map((s) => s.label)]) expect(text).not.toMatch(CONTROL);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('feedback past its bounds or with dates that do not exist is a 400 naming a field, and stores nothing', async () => {
    const count = async () => (t.database.sqlite.prepare('select count(*) n from feedback').get() as { n: number }).n;
    await fc.assert(
      fc.asyncProperty(oversizedFeedback(LIMITS), async (body) => {
        const items = body.feedback;
        const first = items[0];
        const date = first?.outcomeTimestamp ?? '';
        const parsed = new Date(date);
        const realDate = !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 19) === date.slice(0, 19);
        const ok = items.length <= LIMITS.maxItems && (!first || (first.card.length <= 256 && first.overrideReason.userComment.length <= LIMITS.maxText && realDate));
        const before = await count();
        const res = await post(t.app, '/cds-services/drug-interactions/feedback', body);
        expect(res.status, JSON.stringify({ items: items.length, date, card: first?.card.length, comment: first?.overrideReason.userComment.length })).toBe(ok ? 200 : 400);
        if (!ok) {
          const outcome = (await res.json()) as { issue: { expression?: string[] }[] };
          expect(outcome.issue.every((i) => i.expression?.[0]?.startsWith('feedback'))).toBe(true);
        }
        expect(await count()).toBe(before + (ok ? items.length : 0));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('a fhirServer in any spelling reaches only a public host, under its own base path', async () => {
    await fc.assert(
      fc.asyncProperty(fhirServerForm, async (fhirServer) => {
        const request = warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() }) as Record<string, any>;
        // Without activeMeds and qtc no drug-interactions rule can run, so an unreachable server is 412.
        delete request.prefetch.activeMeds;
        delete request.prefetch.qtc;
        fetched.length = 0;
        const res = await post(t.app, '/cds-services/drug-interactions', { ...request, fhirServer });
        expect([400, 403, 412], fhirServer).toContain(res.status);
        for (const url of fetched) {
          expect(url.hostname, fhirServer).toBe('fhir.example.org');
          expect(url.username + url.password, fhirServer).toBe('');
          expect(url.pathname, fhirServer).toMatch(/^\/(fhir\/)?(MedicationRequest|Observation)$/);
        }
        if (!fhirServer.includes('fhir.example.org')) expect(fetched, fhirServer).toEqual([]);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
