/**
 * One evaluation worker thread (see call-pool.ts). It compiles the content it is given and runs
 * hook calls one at a time, from the raw body bytes (parsed here, not on the main thread) to the
 * answer. Nothing here touches the database or stdout: the rows a call would record and the
 * lines it would log are posted back, and the main thread records them before it answers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ServiceConfig } from '../config.ts';
import { RunAhead } from '../pipeline/run-ahead.ts';
import type { CallAnswer } from '../http/routes.ts';
import { CardRenderError, renderCard } from '../cards/render.ts';
import { type CallDeps, callService } from '../http/invoke.ts';
import { HttpError, operationOutcome } from '../protocol/errors.ts';
import type { HookRequest } from '../protocol/request.ts';
import type { CompiledRule } from '../rules/compile.ts';
import type { RuleOutcome } from '../rules/evaluate.ts';
import { readJsonBody } from '../http/json-body.ts';
import type { LogFields, Logger, LogLevel } from '../log/logger.ts';
import { compileContent, type RuleSet } from '../rules/compile.ts';
import type { SourceFile } from '../rules/source.ts';
import type { CallCounts } from '../http/call-counts.ts';
import type { Metrics } from '../observe/metrics.ts';
import type { Store } from '../store/store.ts';
import type { CallRecord, FinishedRule, FromWorker, Observation, ToWorker } from './call-messages.ts';

const port = parentPort!;
const post = (message: FromWorker) => port.postMessage(message);
const { config, generation: firstGeneration, files: firstFiles } = workerData as { config: ServiceConfig; generation: number; files: SourceFile[] };
// Run-ahead lives in the thread that runs the calls: an order-sign served by another thread than
// its order-select misses (and costs what it did without run-ahead).
const runAhead = new RunAhead(config.runAheadWindowMs);

let content: { generation: number; ruleSet: RuleSet } | undefined;
function load(generation: number, files: SourceFile[]): void {
  const { ruleSet } = compileContent(files);
  // The main thread compiled the same files without errors before sending them.
  if (!ruleSet) throw new Error('content sent to the worker does not compile');
  content = { generation, ruleSet };
}
load(firstGeneration, firstFiles);

const log = (id: number): Logger => {
  const at = (level: LogLevel) => (msg: string, fields?: LogFields) => post({ type: 'log', id, level, msg, fields });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
};

/** The rows of the call, kept for the main thread, which writes them before answering. */
function recorder(records: CallRecord[]): Store {
  const mainThreadOnly = () => Promise.reject(new Error('only hook calls run in an evaluation worker'));
  return {
    db: undefined as never,
    recordInvocation: async (invocation, cards, versions = []) => void records.push([invocation, cards, [...versions]]),
    recordAccess: mainThreadOnly,
    probeWritable: mainThreadOnly,
    findCards: mainThreadOnly,
    recordFeedback: mainThreadOnly,
    claimJti: mainThreadOnly,
    purgeExpiredJtis: mainThreadOnly,
    purgeOlderThan: mainThreadOnly,
  };
}

/** Short string fields of the parsed body, for the main thread's record should the call be cut. */
function who(body: unknown) {
  const record = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const context = record.context && typeof record.context === 'object' ? (record.context as Record<string, unknown>) : {};
  const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 200) : null);
  return { hookInstance: text(record.hookInstance), patientId: text(context.patientId), userId: text(context.userId), encounterId: text(context.encounterId) };
}

async function call(message: Extract<ToWorker, { type: 'call' }>): Promise<void> {
  const { id, serviceId, body, contentType, meta } = message;
  const service = content!.ruleSet.services.get(serviceId);
  if (!service) throw new Error(`service '${serviceId}' is not in the worker's content`);
  const records: CallRecord[] = [];
  const observe = (observation: Observation) => post({ type: 'observe', id, observation });
  // (one call at a time per worker: the pool sends the next only after 'done')
  let fetching = false;
  const deps: CallDeps = {
      store: recorder(records),
      config,
      runAhead,
      fetch: (input, init) => {
        // The main thread gives a call that goes to the FHIR server the prefetch deadline too.
        if (!fetching) post({ type: 'fetching', id });
        fetching = true;
        return fetch(input, init);
      },
    log: log(id),
    // The counters live on the main thread (one per process): tell them, do not keep them here.
    metrics: { call: (figures) => observe({ kind: 'metric', figures }) } as Pick<Metrics, 'call'> as Metrics,
    counts: {
      answered: (result) => observe({ kind: 'answered', result: { skipped: result.skipped, failed: result.failed } }),
      rejected: (status) => observe({ kind: 'rejected', status }),
    } as Pick<CallCounts, 'answered' | 'rejected'> as CallCounts,
    now: () => new Date(),
    newUuid: () => crypto.randomUUID(),
    // Each rule's result as soon as it is known, its card rendered: should the call be cut at
    // the deadline, the main thread answers with the cards of the rules that finished.
    onRuleOutcome: (outcome, rule, request) => post({ type: 'outcome', id, finished: finished(outcome, rule, request) }),
  };
  const readBody = async () => {
    const request = new Request('http://worker/', { method: 'POST', headers: contentType ? { 'content-type': contentType } : {}, body });
    const parsed = await readJsonBody(request, config.maxJsonDepth);
    post({ type: 'accepted', id, who: who(parsed) });
    return parsed;
  };
  let result: CallAnswer;
  try {
    result = { status: 200, body: await callService(deps, service, readBody, meta) };
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    result = { status: error.status, body: operationOutcome(error.problems) };
  }
  post({ type: 'done', id, result, records });
}

function finished(outcome: RuleOutcome, rule: CompiledRule, request: HookRequest): FinishedRule {
  if (outcome.skipped) return { rule: rule.id, skipped: true };
  if (outcome.error) return { rule: rule.id, error: outcome.error.class };
  if (!outcome.fired || !rule.card) return { rule: rule.id };
  try {
    return { rule: rule.id, card: renderCard(rule.card, outcome.values ?? {}, request.context, () => crypto.randomUUID()) };
  } catch (error) {
    if (error instanceof CardRenderError) return { rule: rule.id, error: 'card-render' };
    throw error;
  }
}

// Messages are handled one after another: new content is compiled only once the call in
// progress is done (compiling mid-call would spend that call's deadline).
let previous: Promise<void> = Promise.resolve();
port.on('message', (message: ToWorker) => {
  previous = previous.then(() => handle(message));
});

function handle(message: ToWorker): Promise<void> {
  if (message.type === 'content') {
    load(message.generation, message.files);
    // Ready again: the pool sends no call while a worker compiles (a compile is not a call's time).
    post({ type: 'ready' });
    return Promise.resolve();
  }
  return call(message).catch((error: unknown) => {
    // The name only: a message may quote request data.
    post({ type: 'failed', id: message.id, error: error instanceof Error ? error.name : 'Error' });
  });
}
post({ type: 'ready' });
