/**
 * The messages between the call pool (main thread) and its evaluation workers.
 *
 * Every message costs both threads a structured clone and the main thread a wake-up, so a call
 * sends as few as it can: one to the worker (the call), one back (`done`, with the answer as JSON
 * text, the rows, the log lines and the counters' observations), and log lines of warning level
 * as they happen. What the main thread needs only should it cut the call at its deadline is not
 * sent but written on the worker's board (call-board.ts: parsed, who, fetching, each rule that
 * fired or failed), or set in the call's shared `finished` array (a rule that ran and stayed
 * quiet, or was skipped for the budget): should the call be cut, the main thread reads there
 * which rules were done.
 */
import type { CallMeta } from '../http/invoke.ts';
import type { CallAnswer } from '../http/routes.ts';
import type { LogFields, LogLevel } from '../log/logger.ts';
import type { Card } from '../protocol/card.ts';
import type { FailedRule, RuleErrorClass, SkippedRule } from '../protocol/degraded.ts';
import type { SourceFile } from '../rules/source.ts';
import type { InvocationCardRow, InvocationRow } from '../store/schema.ts';
import type { CallFigures } from '../observe/metrics.ts';

/**
 * The rows of one call: invocation, its cards, and the ids of the rules it ran. Not their
 * versions: those hold the texts the rules were compiled from (megabytes with the value sets),
 * and the main thread has them already, in the content it sent the worker.
 */
export type CallRecord = [InvocationRow, InvocationCardRow[], string[]];

/**
 * What a call tells the counters of the main thread (`/metrics`, `/health`): they live there,
 * one per process, not in the worker that ran the call.
 */
export type Observation =
  | { kind: 'metric'; figures: CallFigures }
  | { kind: 'answered'; result: { skipped: SkippedRule[]; failed: FailedRule[] } }
  | { kind: 'rejected'; status: number };

export type LogLine = [level: LogLevel, msg: string, fields?: LogFields];

/** A rule's byte in a call's `finished` array (indexed like the service's rules): 0 while not done. */
export const FINISHED = { quiet: 1, skipped: 2 } as const;

export type ToWorker =
  /** New content: compile it; calls that follow use it. */
  | { type: 'content'; generation: number; files: SourceFile[] }
  /**
   * A hook call: the raw body bytes (transferred, not copied), what the HTTP layer knows (with
   * the id its invocation row gets), and a byte per rule of the service (shared memory) for the
   * worker to mark the quiet ones in. With `recordId`, the worker sends the call's rows to the
   * invocation writer itself (its `writer` port), under that id. The worker's board was cleared
   * for it.
   */
  | { type: 'call'; id: number; serviceId: string; body: ArrayBuffer; contentType: string | undefined; meta: CallMeta; finished: SharedArrayBuffer; recordId?: number };

export interface CallerFields {
  hookInstance: string | null;
  patientId: string | null;
  userId: string | null;
  encounterId: string | null;
}

/** A rule of the call that fired (its card) or failed (its error class). */
export interface FinishedRule {
  rule: string;
  card?: Card;
  /** The card is recorded but not returned (a silent rule, or outside its rollout share). */
  silent?: true;
  error?: RuleErrorClass;
}

export type FromWorker =
  | { type: 'ready' }
  /** A rule that fired or failed, when the board had no room left for it (call-board.ts). */
  | { type: 'outcome'; id: number; finished: FinishedRule }
  /** Log lines to write now (a warning and the lines before it). */
  | { type: 'log'; id: number; lines: LogLine[] }
  /**
   * The answer, the rows to record before it is sent (or `recorded`: they went to the writer
   * under that id), the log lines and observations still held.
   */
  | { type: 'done'; id: number; result: CallAnswer; records: CallRecord[]; recorded?: number; lines: LogLine[]; observations: Observation[] }
  /** The call threw something that is not an HTTP answer (a bug): its error name. */
  | { type: 'failed'; id: number; error: string };
