/**
 * In-process time per stage of one hook call, the stages `callService` runs, each timed on its
 * own over the same body: parse (UTF-8 + depth check + JSON.parse), validate (the request
 * schema), prefetch (everything was sent, so this is resolving what was sent), evaluate (the
 * rules), render (the cards of the rules that fired) and record (the SQLite transaction, with the
 * default durability).
 */
import { renderCard } from '../src/cards/render.ts';
import { DEFAULT_CONFIG } from '../src/config.ts';
import { readJsonBody } from '../src/http/json-body.ts';
import { resolvePrefetch } from '../src/pipeline/prefetch.ts';
import type { HookName } from '../src/protocol/hooks.ts';
import { parseHookRequest } from '../src/protocol/request.ts';
import type { RuleSet } from '../src/rules/compile.ts';
import { evaluateService } from '../src/rules/evaluate.ts';
import type { Store } from '../src/store/store.ts';
import { percentile } from './http-load.ts';

export type StageName = 'parse' | 'validate' | 'prefetch' | 'evaluate' | 'render' | 'record';
export type StageTimes = Record<StageName, number>;

export async function stageTimes(ruleSet: RuleSet, store: Store, serviceId: string, body: string, runs: number): Promise<StageTimes> {
  const service = ruleSet.services.get(serviceId)!;
  const samples: Record<StageName, number[]> = { parse: [], validate: [], prefetch: [], evaluate: [], render: [], record: [] };
  const time = async <T>(stage: StageName, fn: () => T | Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await fn();
    samples[stage].push(performance.now() - start);
    return result;
  };
  for (let i = 0; i < runs + 5; i++) {
    if (i === 5) for (const list of Object.values(samples)) list.length = 0; // the first five warm up
    const raw = await time('parse', () => readJsonBody(new Request('http://bench/', { method: 'POST', headers: { 'content-type': 'application/json' }, body }), DEFAULT_CONFIG.maxJsonDepth));
    const request = await time('validate', () => parseHookRequest(raw, service.hook as HookName));
    const { values } = await time('prefetch', () => resolvePrefetch(service, request, { fetch, timeoutMs: 1000, maxBytes: 1e7, maxPages: 1 }));
    const outcomes = await time('evaluate', () => evaluateService(service, { context: request.context, prefetch: values }, { budgetMs: DEFAULT_CONFIG.evaluationBudgetMs }));
    const cards = await time('render', () =>
      outcomes.filter((o) => o.fired).flatMap((o) => {
        const rule = service.rules.find((r) => r.id === o.ruleId)!;
        return rule.card ? [{ card: renderCard(rule.card, o.values ?? {}, request.context, () => crypto.randomUUID()), ruleId: rule.id }] : [];
      }),
    );
    const id = crypto.randomUUID();
    await time('record', () =>
      store.recordInvocation(
        {
          id,
          receivedAt: Date.now(),
          serviceId,
          hook: service.hook,
          client: null,
          hookInstance: request.hookInstance,
          patientId: null,
          userId: null,
          encounterId: null,
          status: 200,
          outcome: 'ok',
          rulesEvaluated: outcomes.map((o) => o.ruleId),
          rulesSkipped: [],
          rulesFired: outcomes.filter((o) => o.fired).map((o) => o.ruleId),
          ruleErrors: [],
          cardCount: cards.length,
          prefetchFetched: [],
          prefetchMs: 0,
          evaluateMs: 0,
          totalMs: 0,
        },
        cards.map(({ card, ruleId }) => ({ cardUuid: card.uuid, invocationId: id, serviceId, ruleId, indicator: card.indicator, suggestionUuids: [] })),
      ),
    );
  }
  const p50 = (list: number[]) => percentile([...list].sort((a, b) => a - b), 50);
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, p50(v)])) as StageTimes;
}
