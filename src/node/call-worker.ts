/**
 * One evaluation worker thread (see call-pool.ts). It compiles the content it is given and runs
 * hook calls one at a time, from the raw body bytes (parsed here, not on the main thread) to the
 * answer. Nothing here touches the database or stdout: the rows a call would record go to the
 * invocation writer over this worker's port (or, without one, back to the main thread, which
 * records them), the lines it would log go back to the main thread, which answers once the rows
 * are committed.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { ServiceConfig } from '../config.ts';
import { RunAhead } from '../pipeline/run-ahead.ts';
import { type CallDeps, callService } from '../http/invoke.ts';
import type { CallAnswer } from '../http/routes.ts';
import { HttpError, operationOutcome } from '../protocol/errors.ts';
import type { CompiledRule, CompiledService } from '../rules/compile.ts';
import type { RenderedRule } from '../pipeline/run.ts';
import type { RuleOutcome } from '../rules/evaluate.ts';
import { parseJsonBody } from '../http/json-body.ts';
import type { LogFields, Logger, LogLevel } from '../log/logger.ts';
import { compileContent, type RuleSet } from '../rules/compile.ts';
import type { SourceFile } from '../rules/source.ts';
import type { CallCounts } from '../http/call-counts.ts';
import type { Metrics } from '../observe/metrics.ts';
import type { Store } from '../store/store.ts';
import type { ToEvaluationWorker, ToWriter, WriterRecord } from './sqlite-writer.ts';
import { type CallRecord, FINISHED, type FinishedRule, type FromWorker, type LogLine, type Observation, type ToWorker } from './call-messages.ts';
import { CallBoard } from './call-board.ts';

const port = parentPort!;
const post = (message: FromWorker) => port.postMessage(message);
const { config, generation: firstGeneration, files: firstFiles, writer, board: boardBuffer } = workerData as {
  config: ServiceConfig;
  generation: number;
  files: SourceFile[];
  writer?: MessagePort;
  board: SharedArrayBuffer;
};
// What the main thread needs only should it cut a call (call-board.ts).
const board = new CallBoard(boardBuffer);
// Rule versions the invocation writer has stored: their texts (megabytes with the value sets)
// are sent once, not with every call.
const storedVersions = new Set<string>();
writer?.on('message', ({ stored }: ToEvaluationWorker) => {
  for (const version of stored) storedVersions.add(version);
});
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

/**
 * A call's logger: lines are held and go with the answer (one message), except that a warning or
 * an error is sent at once, with the lines before it, so a call cut later does not lose it.
 */
function callLog(id: number, lines: LogLine[]): Logger {
  const at = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    lines.push([level, msg, fields]);
    if (level === 'warn' || level === 'error') post({ type: 'log', id, lines: lines.splice(0) });
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** The rows of the call, with the rule versions it ran, handed to `keep` as the call records them. */
function recorder(keep: (record: WriterRecord) => void): Store {
  const mainThreadOnly = () => Promise.reject(new Error('only hook calls run in an evaluation worker'));
  return {
    db: undefined as never,
    recordInvocation: async (invocation, cards, versions = []) => keep([invocation, cards, [...versions]]),
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
  const records: WriterRecord[] = [];
  // With the writer, the rows go to it the moment the call records them (before its answer is
  // written out as JSON), so the commit starts as early as it can; the main thread answers once
  // the writer says they are committed. A call records one invocation.
  const direct = writer && message.recordId !== undefined ? { port: writer, id: message.recordId } : undefined;
  const keep = (record: WriterRecord) => {
    if (!direct) return void records.push(record);
    if (records.length > 0) throw new Error('a hook call records one invocation');
    records.push(record);
    const [invocation, cards, versions] = record;
    direct.port.postMessage({ type: 'record', id: direct.id, records: [[invocation, cards, versions.filter((v) => !storedVersions.has(v.version))]] } satisfies ToWriter);
  };
  const lines: LogLine[] = [];
  const observations: Observation[] = [];
  const observe = (observation: Observation) => void observations.push(observation);
  const finished = new Uint8Array(message.finished);
  const position = rulePositions(service);
  // (one call at a time per worker: the pool sends the next only after 'done')
  let fetching = false;
  let overflowed = false;
  const deps: CallDeps = {
      store: recorder(keep),
      config,
      runAhead,
      fetch: (input, init) => {
        // The main thread gives a call that goes to the FHIR server the prefetch deadline too.
        if (!fetching) board.fetching();
        fetching = true;
        return fetch(input, init);
      },
    log: callLog(id, lines),
    // The counters live on the main thread (one per process): tell them, do not keep them here.
    metrics: { call: (figures) => observe({ kind: 'metric', figures }) } as Pick<Metrics, 'call'> as Metrics,
    counts: {
      // Classes only: a failure's message may quote data.
      answered: (result) => observe({ kind: 'answered', result: { skipped: [...result.skipped], failed: result.failed.map(({ rule, error }) => ({ rule, error })) } }),
      rejected: (status) => observe({ kind: 'rejected', status }),
    } as Pick<CallCounts, 'answered' | 'rejected'> as CallCounts,
    now: () => new Date(),
    newUuid: () => crypto.randomUUID(),
    // Each rule's result as soon as it is known, its card rendered: should the call be cut at
    // the deadline, the main thread answers with the cards of the rules that finished.
    onRuleOutcome: (outcome, rule, _request, rendered) => {
      const index = position.get(rule)!;
      if (outcome.skipped) finished[index] = FINISHED.skipped;
      else if (!outcome.error && (!outcome.fired || !rule.card)) finished[index] = FINISHED.quiet;
      else {
        const finishedRule = saying(outcome, rule, rendered);
        if (!overflowed && board.say(finishedRule)) return;
        // The board is full: this one and the rest go as messages (after the board's, in order).
        overflowed = true;
        post({ type: 'outcome', id, finished: finishedRule });
      }
    },
  };
  const readBody = async () => {
    const parsed = parseJsonBody(contentType, body, config.maxJsonDepth);
    board.parsed(who(parsed));
    return parsed;
  };
  let result: CallAnswer;
  try {
    // JSON text here, so the main thread (which serves every call) only sends it.
    result = { status: 200, json: JSON.stringify(await callService(deps, service, readBody, meta)) };
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    result = { status: error.status, json: JSON.stringify(operationOutcome(error.problems)) };
  }
  if (direct) {
    // Nothing recorded (never so far): the writer still acknowledges the id the main thread waits on.
    if (records.length === 0) direct.port.postMessage({ type: 'record', id: direct.id, records: [] } satisfies ToWriter);
    post({ type: 'done', id, result, records: [], recorded: direct.id, lines, observations });
    return;
  }
  // The main thread has the versions' texts (it sent the content): only the rule ids go back.
  const back = records.map(([invocation, cards, versions]): CallRecord => [invocation, cards, versions.map((v) => v.ruleId)]);
  post({ type: 'done', id, result, records: back, lines, observations });
}

/** Each rule's index in its service's list: its byte in a call's `finished` array. */
const positions = new WeakMap<CompiledService, Map<CompiledRule, number>>();
function rulePositions(service: CompiledService): Map<CompiledRule, number> {
  let map = positions.get(service);
  if (!map) positions.set(service, (map = new Map(service.rules.map((rule, i) => [rule, i]))));
  return map;
}

/** A rule that fired or failed, as the main thread needs it should the call be cut: its card as rendered for the answer. */
function saying(outcome: RuleOutcome, rule: CompiledRule, rendered: RenderedRule | undefined): FinishedRule {
  if (outcome.error) return { rule: rule.id, error: outcome.error.class };
  if (!rendered || 'error' in rendered) return { rule: rule.id, error: 'card-render' };
  return { rule: rule.id, card: rendered.card!, ...(rendered.silent ? { silent: true as const } : {}) };
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
