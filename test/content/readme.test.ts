/** The README's "Try it" call still gets the card the README says it gets. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, type TestApp, testApp } from '../support/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(() => t.close());

describe('README', () => {
  it('the example hook call answers the card shown', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const request = /cds-services\/drug-interactions -H 'content-type: application\/json' -d '([\s\S]*?)' \| jq/.exec(readme)![1]!;
    const shown = JSON.parse(/answers\n\n```json\n([\s\S]*?)```/.exec(readme)![1]!) as { summary: string; indicator: string; suggestions: string[] };
    const res = await post(t.app, '/cds-services/drug-interactions', request);
    expect(res.status).toBe(200);
    const { cards, extension } = (await res.json()) as { cards: { summary: string; indicator: string; suggestions: { label: string }[] }[]; extension?: Record<string, unknown> };
    expect(cards.map((c) => ({ summary: c.summary, indicator: c.indicator, suggestions: c.suggestions.map((s) => s.label) }))).toEqual([shown]);
    // The example prefetches every key the service's rules need: no rule is left out.
    expect(extension?.['org.cds-rules.degraded']).toBeUndefined();
  });
});
