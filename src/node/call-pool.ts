/**
 * Hook calls evaluated in worker threads, with a hard deadline.
 *
 * FHIRPath is synchronous: one expression over a crafted input (`x in %selections` over 50,000
 * drafts) can run for a minute, and on the main thread it would hold every other call, `/health`
 * and SIGTERM with it. So the main thread only speaks HTTP and writes SQLite; each call's body
 * bytes go (transferred, not copied) to one of `size` workers (one per core), which parses,
 * validates, prefetches, evaluates and renders, and posts back the answer and the rows to record.
 *
 * A worker runs one call at a time; calls wait in a queue for a free one. A call that is not done
 * `budgetMs + marginMs` after it started (plus the prefetch timeout once it goes to the FHIR
 * server) has its worker terminated: the call is answered 200 with no cards from the cut rules,
 * all of them named in the `org.cds-rules.degraded` extension with reason `deadline`, and
 * recorded as degraded; a fresh worker takes the terminated one's place.
 *
 * Workers compile the content themselves (compiled FHIRPath is closures, which cannot cross
 * threads): the pool sends them the source files of the RuleSet in force whenever it changes.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from './ts-worker.ts';
import type { ServiceConfig } from '../config.ts';
import type { CallAnswer as CallResult } from '../http/routes.ts';
import { type CallMeta, servedVersion } from '../http/invoke.ts';
import type { Logger } from '../log/logger.ts';
import { HttpError, operationOutcome } from '../protocol/errors.ts';
import type { CompiledService, RuleSet } from '../rules/compile.ts';
import type { SourceFile } from '../rules/source.ts';
import type { InvocationCardRow, InvocationRow } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { InvocationWriter } from './invocation-writer.ts';
import { bySeverity, type Card } from '../protocol/card.ts';

/** A generous floor for JSON parsing speed (V8 parses well over 100 MB/s on one idle core). */
const PARSE_BYTES_PER_MS = 10_000;
import { type CallerFields, type CallRecord, FINISHED, type FinishedRule, type FromWorker, type LogLine, type Observation, type ToWorker } from './call-messages.ts';
import { CallBoard, instant } from './call-board.ts';
import { DEGRADED_EXTENSION, degradedExtension } from '../protocol/degraded.ts';

export interface CallPoolOptions {
  /** Workers (default: one per core). */
  size?: number;
  config: ServiceConfig;
  /** Time a call may run past its evaluation budget before its worker is terminated. */
  marginMs: number;
  /**
   * Each worker's young generation in MB (V8's default when absent). A call allocates its
   * parsed body and what is made from it (2-3 MB at 500 resources) and drops it all when done:
   * with room for several calls between scavenges, most of it dies unseen instead of being
   * copied (or promoted) by a scavenge that finds the call in progress. Measured at 500 meds,
   * 8 in flight: 64 MB took the service's CPU per call from 5.2-5.3 to 4.5-4.8 ms (V8's helper
   * threads most of it), for about 80 MB more resident memory over two workers and the spare.
   */
  youngGenerationMb?: number;
  log: Logger;
  /** The source files a RuleSet was compiled from (content-files.ts keeps them). */
  filesOf: (ruleSet: RuleSet) => SourceFile[] | undefined;
  now?: () => Date;
  newUuid?: () => string;
  /** Hears what each call tells the main thread's counters (`/metrics`, `/health`). */
  observe?: (observation: Observation) => void;
  /**
   * The SQLite invocation writer: each worker sends its calls' rows to it over a port of its
   * own, so the commit starts as soon as the call is done, not after a hop through this thread.
   * Without it (PostgreSQL) the rows come back with the answer and `call` records them.
   */
  writer?: Pick<InvocationWriter, 'connect' | 'reserve' | 'written'>;
}

export interface PooledCall {
  result: CallResult;
  /** Rows to record (durably) before the answer is sent. */
  records: CallRecord[];
  /** The id the worker sent the call's rows to the writer under: wait for them before answering. */
  recorded?: number;
}

interface Job {
  id: number;
  service: CompiledService;
  generation: number;
  body: ArrayBuffer;
  contentType: string | undefined;
  meta: CallMeta;
  receivedAt: number;
  /** When it went to its worker (an `instant()`), and the time it may take to parse its body. */
  dispatched?: { at: number; parseMs: number };
  /** Rules that fired or failed that the worker sent as messages, its board being full (call-board.ts). */
  said: FinishedRule[];
  /** A byte per rule of the service, set by the worker when the rule ran quiet or was skipped (FINISHED). */
  finished: Uint8Array;
  resolve(call: PooledCall): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  /** What the worker writes about its call for this thread (call-board.ts). */
  board: CallBoard;
  ready: boolean;
  job?: Job;
  timer?: ReturnType<typeof setTimeout>;
}

const WORKER = new URL('./call-worker.ts', import.meta.url);

/**
 * The answer for a call the pool can no longer run (it is closing: SIGTERM's drain ran out, or a
 * call came in after it): a 503 the client may retry elsewhere, not a 500 and an "unhandled
 * error" in the log.
 */
const shuttingDown = () => new HttpError(503, { message: 'the service is shutting down; try the call again', code: 'transient' });

export class CallPool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  /**
   * A worker started and compiled ahead, idle: it takes a terminated worker's place at once, so a
   * cut call does not leave the pool one worker short for the seconds a start takes.
   */
  private spare: Slot | undefined;
  private readonly queue: Job[] = [];
  private readonly generations = new WeakMap<RuleSet, number>();
  private content: { generation: number; files: SourceFile[] } | undefined;
  private nextId = 1;
  private closed = false;
  /** Workers terminated at the deadline so far (for /health and tests). */
  replaced = 0;

  constructor(private readonly options: CallPoolOptions) {
    this.size = Math.max(1, options.size ?? availableParallelism());
  }

  /** Starts the workers on `ruleSet` and resolves once every one has compiled it. */
  async start(ruleSet: RuleSet): Promise<void> {
    this.use(ruleSet);
    await Promise.all(this.slots.map((slot) => (slot.ready ? undefined : new Promise((resolve) => slot.worker.once('message', resolve)))));
  }

  /** Runs one hook call in a worker; resolves with its answer (never rejects for the call's own sake). */
  run(ruleSet: RuleSet, service: CompiledService, body: ArrayBuffer, contentType: string | undefined, meta: CallMeta): Promise<PooledCall> {
    if (this.closed) return Promise.reject(shuttingDown());
    const generation = this.use(ruleSet);
    // The row's id is given here: a call cut at its deadline is recorded under the id its worker used.
    const invocationId = (this.options.newUuid ?? (() => crypto.randomUUID()))();
    return new Promise((resolve, reject) => {
      const finished = new Uint8Array(new SharedArrayBuffer(service.rules.length));
      this.queue.push({ id: this.nextId++, service, generation, body, contentType, meta: { ...meta, invocationId }, receivedAt: (this.options.now?.() ?? new Date()).getTime(), said: [], finished, resolve, reject });
      this.dispatch();
    });
  }

  /**
   * The HTTP side of a pooled call: the body bytes to a worker, its rows to the store (durable
   * before the answer leaves, as on the main thread), its answer back.
   */
  async call(ruleSet: RuleSet, service: CompiledService, req: Request, meta: CallMeta, store: Store): Promise<CallResult> {
    const body = await req.arrayBuffer();
    const { result, records, recorded } = await this.run(ruleSet, service, body, req.headers.get('content-type') ?? undefined, meta);
    if (recorded !== undefined) await this.options.writer!.written(recorded);
    const rules = new Map(service.rules.map((r) => [r.id, r]));
    for (const [invocation, cards, ran] of records) await store.recordInvocation(invocation, cards, ran.map((id) => servedVersion(service, rules.get(id)!)));
    return result;
  }

  /** Stops every worker; calls still queued are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(shuttingDown());
    await Promise.all([...this.slots, ...(this.spare ? [this.spare] : [])].map((s) => s.worker.terminate()));
  }

  /** The content generation of `ruleSet`, sending its files to the workers when it is new. */
  private use(ruleSet: RuleSet): number {
    const known = this.generations.get(ruleSet);
    if (known !== undefined) return known;
    const files = this.options.filesOf(ruleSet);
    if (!files) throw new Error('the call pool needs the source files of the content (loadContent keeps them)');
    const generation = (this.content?.generation ?? 0) + 1;
    this.generations.set(ruleSet, generation);
    this.content = { generation, files };
    if (this.slots.length === 0) {
      // The spare starts once a first worker is ready: at start-up the compiles share the cores.
      for (let i = 0; i < this.size; i++) this.slots.push(this.spawn());
    } else {
      for (const slot of [...this.slots, ...(this.spare ? [this.spare] : [])]) {
        // Busy until it has compiled the new content (it says 'ready' again).
        slot.ready = false;
        slot.worker.postMessage({ type: 'content', generation, files } satisfies ToWorker);
      }
    }
    return generation;
  }

  private spawn(): Slot {
    const { config } = this.options;
    // Trusted clients stay on the main thread: the worker never sees keys or the JWT gate.
    const writer = this.options.writer?.connect();
    const board = new CallBoard();
    const worker = startTsWorker(WORKER, {
      workerData: { config: { ...config, trustedClients: [] }, ...this.content, writer, board: board.buffer },
      ...(this.options.youngGenerationMb ? { resourceLimits: { maxYoungGenerationSizeMb: this.options.youngGenerationMb } } : {}),
      transferList: writer ? [writer] : [],
    });
    const slot: Slot = { worker, board, ready: false };
    worker.on('message', (message: FromWorker) => this.onMessage(slot, message));
    worker.on('error', (error) => {
      this.options.log.error('evaluation worker crashed', { error: error.name });
    });
    worker.on('exit', () => {
      if (this.closed) return;
      if (slot === this.spare) {
        this.spare = this.spawn();
        return;
      }
      if (!this.slots.includes(slot)) return;
      // Died on its own (out of memory, a crash): its call fails, a new worker takes its place
      // (after a pause when it never got ready, so a worker that cannot start does not spin).
      const job = slot.job;
      if (slot.ready) this.replace(slot);
      else setTimeout(() => this.slots.includes(slot) && !this.closed && this.replace(slot), 1000).unref();
      if (job) job.reject(new Error('the evaluation worker stopped'));
    });
    return slot;
  }

  private onMessage(slot: Slot, message: FromWorker): void {
    if (message.type === 'ready') {
      slot.ready = true;
      if (!this.spare && !this.closed) this.spare = this.spawn();
      this.dispatch();
      return;
    }
    const job = slot.job;
    if (!job || job.id !== message.id) return; // a late message of a call already cut
    switch (message.type) {
      case 'outcome':
        job.said.push(message.finished);
        return;
      case 'log':
        this.write(message.lines);
        return;
      case 'done':
        this.finish(slot);
        this.write(message.lines);
        for (const observation of message.observations) this.options.observe?.(observation);
        job.resolve({ result: message.result, records: message.records, recorded: message.recorded });
        return;
      case 'failed':
        this.finish(slot);
        job.reject(new Error(`evaluation worker: ${message.error}`));
        return;
    }
  }

  private write(lines: LogLine[]): void {
    for (const [level, msg, fields] of lines) this.options.log[level](msg, fields);
  }

  private limitMs(): number {
    return this.options.config.evaluationBudgetMs + this.options.marginMs;
  }

  /**
   * The instant the slot's call must be done by, as its worker's board tells it: once parsed, the
   * evaluation budget and margin; once it went to the FHIR server, the prefetch timeout before
   * that; until parsed, also the time to parse its body (a 15 MB body takes hundreds of ms on a
   * busy core): the deadline is for evaluation, not for reading.
   */
  private deadlineOf(slot: Slot, dispatched: NonNullable<Job['dispatched']>): number {
    const fetching = slot.board.fetchingSince();
    if (fetching !== undefined) return fetching + this.options.config.prefetchTimeoutMs + this.limitMs();
    const parsed = slot.board.parsedAt();
    if (parsed !== undefined) return parsed + this.limitMs();
    return dispatched.at + dispatched.parseMs + this.limitMs();
  }

  /**
   * Cuts the slot's call if it is past its deadline, or looks again when that comes. The first
   * look is at the earliest a deadline can be (`limitMs` after dispatch), so a call that is done
   * by then (nearly all) costs one timer, and the worker never has to tell this thread it parsed.
   */
  private watch(slot: Slot, ms: number): void {
    clearTimeout(slot.timer);
    slot.timer = setTimeout(() => {
      const dispatched = slot.job?.dispatched;
      if (!dispatched) return;
      const left = this.deadlineOf(slot, dispatched) - instant();
      if (left > 0) this.watch(slot, left);
      else this.cut(slot);
    }, Math.max(0, ms));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (!slot.ready || slot.job) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      // (the byte length before the body is transferred)
      job.dispatched = { at: instant(), parseMs: job.body.byteLength / PARSE_BYTES_PER_MS };
      slot.board.clear();
      this.watch(slot, this.limitMs());
      const recordId = this.options.writer?.reserve();
      const message: ToWorker = { type: 'call', id: job.id, serviceId: job.service.id, body: job.body, contentType: job.contentType, meta: job.meta, finished: job.finished.buffer as SharedArrayBuffer, recordId };
      slot.worker.postMessage(message, [job.body]);
    }
  }

  private finish(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.job = undefined;
    this.dispatch();
  }

  /** The hard deadline: terminate the worker, answer the call as cut, put a fresh worker in its place. */
  private cut(slot: Slot): void {
    const job = slot.job;
    if (!job) return;
    this.replaced++;
    this.replace(slot);
    void slot.worker.terminate();
    const ms = instant() - job.dispatched!.at;
    // What the worker wrote before it was stopped: the board is the terminated worker's alone.
    const who = slot.board.who();
    const said = [...slot.board.said(), ...job.said];
    this.options.log.warn('hard deadline: evaluation worker terminated', { service: job.service.id, hookInstance: who?.hookInstance ?? null, ms: Math.round(ms) });
    job.resolve(this.deadlineAnswer(job, who, said, ms));
  }

  private replace(slot: Slot): void {
    clearTimeout(slot.timer);
    const index = this.slots.indexOf(slot);
    if (index === -1) return;
    this.slots[index] = this.spare ?? this.spawn();
    this.spare = this.spawn();
    this.dispatch();
  }

  /**
   * A call cut at the deadline: 200 with the cards of the rules that finished and the others
   * named (reason `deadline`), when the body was a readable request; 503 when it never got that
   * far (nothing is known to be valid about it). Recorded with the versions of the rules that
   * ran, and counted like every other call (`/metrics`, `/health`).
   */
  private deadlineAnswer(job: Job, who: CallerFields | undefined, saidInOrder: FinishedRule[], ms: number): PooledCall {
    const { service } = job;
    const { config } = this.options;
    const said = new Map(saidInOrder.map((f) => [f.rule, f]));
    const enabled = service.rules.map((rule, i) => ({ rule, state: job.finished[i] })).filter(({ rule }) => rule.enabled);
    const quiet = enabled.filter(({ state }) => state === FINISHED.quiet).map(({ rule }) => rule);
    const ran = enabled.filter(({ rule, state }) => state === FINISHED.quiet || said.has(rule.id)).map(({ rule }) => rule);
    const fired = saidInOrder.filter((f): f is FinishedRule & { card: Card } => f.card !== undefined);
    fired.sort((a, b) => bySeverity(a.card, b.card));
    const shown = fired.filter((f) => !f.silent);
    const failed = saidInOrder.filter((f) => f.error).map((f) => ({ rule: f.rule, error: f.error! }));
    const skipped = [
      ...enabled.filter(({ state }) => state === FINISHED.skipped).map(({ rule }) => ({ rule: rule.id, reason: 'budget' as const })),
      ...enabled.filter(({ rule, state }) => state === 0 && !said.has(rule.id)).map(({ rule }) => ({ rule: rule.id, reason: 'deadline' as const })),
    ];
    const versionOf = new Map(service.rules.map((r) => [r.id, r.version]));
    // The id the worker had: should its rows have reached the writer, they are not written twice.
    const id = job.meta.invocationId!;
    const base = {
      id,
      receivedAt: job.receivedAt,
      serviceId: service.id,
      serviceVersion: service.version,
      hook: service.hook,
      client: job.meta.client ?? null,
      hookInstance: who?.hookInstance ?? null,
      patientId: who?.patientId ?? null,
      userId: who?.userId ?? null,
      encounterId: who?.encounterId ?? null,
      rulesEvaluated: ran.map((r) => r.id),
      rulesFired: shown.map((f) => f.rule),
      rulesSilent: fired.filter((f) => f.silent).map((f) => f.rule),
      rulesSkipped: skipped.map((s) => s.rule),
      ruleErrors: failed.map((f) => ({ rule: f.rule, class: f.error })),
      cardCount: shown.length,
      prefetchFetched: [],
      prefetchMs: null,
      evaluateMs: null,
      totalMs: ms,
    };
    const observe = this.options.observe ?? (() => {});
    if (!who) {
      const problem = { message: `the call could not be processed within ${Math.round(ms)} ms`, code: 'too-costly' as const };
      observe({ kind: 'rejected', status: 503 });
      observe({ kind: 'metric', figures: { service: service.id, hook: service.hook, status: 503, outcome: 'rejected', stagesMs: { totalMs: ms } } });
      return { result: { status: 503, json: JSON.stringify(operationOutcome([problem])) }, records: [[{ ...base, status: 503, outcome: 'rejected', error: 'deadline' }, [], []]] };
    }
    const extension = degradedExtension(skipped, failed, config.evaluationBudgetMs);
    const body = { cards: shown.map((f) => f.card), ...(extension ? { extension } : {}) };
    const cards: InvocationCardRow[] = fired.map(({ card, rule, silent }) => ({
      cardUuid: card.uuid,
      invocationId: id,
      serviceId: service.id,
      ruleId: rule,
      ruleVersion: versionOf.get(rule),
      silent: silent ?? false,
      indicator: card.indicator,
      suggestionUuids: (card.suggestions ?? []).map((s) => s.uuid),
      suggestionLabels: (card.suggestions ?? []).map((s) => s.label),
    }));
    observe({ kind: 'answered', result: { skipped, failed } });
    observe({
      kind: 'metric',
      figures: {
        service: service.id,
        hook: service.hook,
        status: 200,
        outcome: 'degraded',
        stagesMs: { totalMs: ms },
        cards: fired.map((f) => ({ rule: f.rule, version: versionOf.get(f.rule)!, silent: f.silent ?? false })),
        failed,
        skipped,
      },
    });
    return { result: { status: 200, json: JSON.stringify(body) }, records: [[{ ...base, status: 200, outcome: 'degraded', degradedReasons: extension?.[DEGRADED_EXTENSION] ?? null }, cards, ran.map((r) => r.id)]] };
  }
}
