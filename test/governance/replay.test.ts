/**
 * Replay over a real SQLite file: calls recorded with payloads, then the content edited; replay
 * must report exactly the cards the edit adds, removes and changes, on the recorded calls, with
 * the recorded clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config.ts';
import { replay } from '../../src/governance/replay.ts';
import type { SourceFile } from '../../src/rules/source.ts';
import { compileInline, post, type TestApp, testApp } from '../support/app.ts';
import { demoRequest, governanceContent } from '../support/governance-content.ts';

/** Recorded at a fixed past instant: a patient born 1970-06-01 is 49 then and older today. */
const RECORDED_AT = new Date('2020-01-15T10:00:00Z');

/** The demo content plus a rule on age, which only the call's own clock keeps stable. */
function v1(): SourceFile[] {
  return [
    ...governanceContent(),
    {
      path: 'rules/demo/under-fifty.yaml',
      text: 'id: under-fifty\ntitle: Under fifty\nreferences: [{ label: T, url: "https://example.org" }]\nwhen: "%patient.birthDate.ageInYears() < 50"\ncard: shown\nwith:\n  who: "%patient.id"\n',
    },
  ];
}

/** An author's edit: a reworded card, a rule narrowed to nothing, a new rule for men. */
function v2(): SourceFile[] {
  return [
    ...v1()
      .map((f) => (f.path === 'cards/shown.yaml' ? { ...f, text: f.text.replace('summary: "shown for {{who}}"', 'summary: "Shown to {{who}}"') } : f))
      .map((f) => (f.path === 'rules/demo/quiet.yaml' ? { ...f, text: f.text.replace(`when: "%patient.gender = 'female'"`, 'when: "false"') } : f)),
    {
      path: 'rules/demo/men.yaml',
      text: `id: men\ntitle: Men\nreferences: [{ label: T, url: "https://example.org" }]\nwhen: "%patient.gender = 'male'"\ncard: half\nwith:\n  who: "%patient.id"\n`,
    },
  ];
}

let t: TestApp;
const women = ['w1', 'w2', 'w3'];
const men = ['m1', 'm2'];
const instances: Record<string, string> = {};

beforeAll(async () => {
  t = await testApp({ ruleSet: compileInline(v1()), config: { storePayloads: true }, now: () => RECORDED_AT });
  for (const id of [...women, ...men]) {
    const request = demoRequest(id, id.startsWith('w') ? 'female' : 'male');
    (request.prefetch.patient as Record<string, unknown>).birthDate = '1970-06-01';
    instances[id] = request.hookInstance;
    expect((await post(t.app, '/cds-services/demo', request)).status).toBe(200);
  }
});
afterAll(() => t.close());

const run = (files: SourceFile[]) => replay(t.store.db, compileInline(files), { since: 0, limits: DEFAULT_CONFIG });

describe('cds-rules replay', () => {
  it('against the same content changes nothing, though the age rule would fire differently today', async () => {
    const report = await run(v1());
    expect(report.calls).toBe(5);
    expect(report.rules.map((r) => [r.ruleId, r.added + r.removed + r.changed])).toEqual([
      ['half', 0],
      ['quiet', 0],
      ['shown', 0],
      ['under-fifty', 0],
    ]);
    expect(report.rules.find((r) => r.ruleId === 'under-fifty')).toMatchObject({ calls: 5, firedBefore: 5, firedAfter: 5 });
  });

  it('after an edit reports the added, removed and changed cards on the calls concerned', async () => {
    const report = await run(v2());
    const byRule = Object.fromEntries(report.rules.map((r) => [r.ruleId, r]));
    expect(byRule.shown).toMatchObject({ calls: 5, firedBefore: 3, firedAfter: 3, added: 0, removed: 0, changed: 3 });
    expect(byRule.quiet).toMatchObject({ calls: 5, firedBefore: 3, firedAfter: 0, added: 0, removed: 3, changed: 0 });
    expect(byRule.men).toMatchObject({ calls: 5, firedBefore: 0, firedAfter: 2, added: 2, removed: 0, changed: 0 });
    expect(byRule.half).toMatchObject({ added: 0, removed: 0, changed: 0 });
    expect(byRule.shown!.changes.map((c) => c.hookInstance).sort()).toEqual(women.map((w) => instances[w]).sort());
    expect(byRule.men!.changes.map((c) => c.hookInstance).sort()).toEqual(men.map((m) => instances[m]).sort());
    const diff = byRule.shown!.changes.find((c) => c.hookInstance === instances.w1)!.diff;
    expect(diff).toContain('-  "summary": "shown for w1",');
    expect(diff).toContain('+  "summary": "Shown to w1",');
    // The removed card was silent: the diff says so.
    expect(byRule.quiet!.changes[0]!.diff).toContain('-  "silent": true,');
    expect(byRule.quiet!.changes[0]!.kind).toBe('removed');
  });

  it('counts calls stored without payloads and replays none of them', async () => {
    const bare = await testApp({ ruleSet: compileInline(v1()) });
    await post(bare.app, '/cds-services/demo', demoRequest('w9'));
    const report = await replay(bare.store.db, compileInline(v2()), { since: 0, limits: DEFAULT_CONFIG });
    expect(report).toMatchObject({ calls: 0, withoutPayload: 1, rules: [] });
    await bare.close();
  });
});
