/**
 * Worker-only: a development bundle of content that does not compile (`npm run dev:worker` after
 * a broken edit) answers every request at once with 503 and the problems, instead of hanging.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { workerApp } from '../../src/worker/app.ts';
import type { WorkerEnv } from '../../src/worker/env.ts';

const problem = "rules/drug-interactions/duplicate-nsaid.yaml:14:8: %nsaidDraft is not a define, prefetch key or context variable here (did you mean 'nsaidDrafts'?)";
const app = workerApp({ files: [], builtAt: '2026-12-01T23:00:00.000Z', problems: [problem] }, env as WorkerEnv);

describe('the Worker with broken content from a dev build', () => {
  it('answers a hook call 503 with each problem, path:line:col', async () => {
    const res = await app.fetch(new Request('https://cds.example.org/cds-services/drug-interactions', { method: 'POST', body: '{}' }));
    expect(res.status).toBe(503);
    const body = (await res.json()) as { resourceType: string; issue: { diagnostics: string }[] };
    expect(body.resourceType).toBe('OperationOutcome');
    expect(body.issue.map((i) => i.diagnostics)).toEqual([expect.stringContaining('the content does not compile'), problem]);
  });

  it('answers discovery 503 too (no service list that would look empty but fine)', async () => {
    expect((await app.fetch(new Request('https://cds.example.org/cds-services'))).status).toBe(503);
  });

  it('reports degraded on /health, with the problems under reload', async () => {
    const res = await app.fetch(new Request('https://cds.example.org/health'));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'degraded',
      content: null,
      database: 'd1',
      auth: 'open',
      reload: { watching: false, status: 'error', at: '2026-12-01T23:00:00.000Z', problems: [problem] },
    });
  });
});
