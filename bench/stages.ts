/**
 * In-process time per stage of one hook call, the stages `callService` runs, each timed on its
 * own over the same body: parse (UTF-8 + depth check + JSON.parse), validate (the request
 * schema), prefetch (everything was sent, so this is resolving what was sent), evaluate (the
 * rules), render (the cards of the rules that fired) and record (the SQLite transaction, with the
 * default durability). Validate, prefetch, evaluate and render are the pure pipeline's own timings.
 */
import { DEFAULT_CONFIG } from '../src/config.ts';
import { readJsonBody } from '../src/http/json-body.ts';
import { runHook } from '../src/pipeline/run.ts';
import type { RuleSet } from '../src/rules/compile.ts';
import type { Store } from '../src/store/store.ts';
import { percentile } from './http-load.ts';

export type StageName = 'parse' | 'validate' | 'prefetch' | 'evaluate' | 'render' | 'record';
export type StageTimes = Record<StageName, number>;

export async function stageTimes(ruleSet: RuleSet, store: Store, serviceId: string, body: string, runs: number): Promise<StageTimes> {
  const service = ruleSet.services.get(serviceId)!;
  const samples: Record<StageName, number[]> = { parse: [], validate: [], prefetch: [], evaluate: [], render: [], record: [] };
  const deps = { fetch, now: () => new Date(), newUuid: () => crypto.randomUUID(), limits: DEFAULT_CONFIG };
  for (let i = 0; i < runs + 5; i++) {
    if (i === 5) for (const list of Object.values(samples)) list.length = 0; // the first five warm up
    let start = performance.now();
    const raw = await readJsonBody(new Request('http://bench/', { method: 'POST', headers: { 'content-type': 'application/json' }, body }), DEFAULT_CONFIG.maxJsonDepth);
    samples.parse.push(performance.now() - start);
    // The pure pipeline times its own stages.
    const result = await runHook(deps, service, raw);
    if (result.rejected) throw new Error(`${serviceId}: ${JSON.stringify(result.rejected)}`);
    samples.validate.push(result.timings.requestMs);
    samples.prefetch.push(result.timings.prefetchMs ?? 0);
    samples.evaluate.push(result.timings.evaluateMs ?? 0);
    samples.render.push(result.timings.renderMs ?? 0);
    const id = crypto.randomUUID();
    start = performance.now();
    await store.recordInvocation(
      {
        id,
        receivedAt: Date.now(),
        serviceId,
        hook: service.hook,
        client: null,
        hookInstance: result.request!.hookInstance,
        patientId: null,
        userId: null,
        encounterId: null,
        status: 200,
        outcome: 'ok',
        rulesEvaluated: result.rules.map((r) => r.ruleId),
        rulesSkipped: [],
        rulesFired: result.cards.map((c) => c.ruleId),
        ruleErrors: [],
        cardCount: result.cards.length,
        prefetchFetched: [],
        prefetchMs: 0,
        evaluateMs: 0,
        totalMs: 0,
      },
      result.cards.map(({ card, ruleId }) => ({ cardUuid: card.uuid, invocationId: id, serviceId, ruleId, indicator: card.indicator, suggestionUuids: [] })),
    );
    samples.record.push(performance.now() - start);
  }
  const p50 = (list: number[]) => percentile([...list].sort((a, b) => a - b), 50);
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, p50(v)])) as StageTimes;
}
