/** The messages between the call pool (main thread) and its evaluation workers. */
import type { CallAnswer as CallResult } from '../http/routes.ts';
import type { CallMeta } from '../http/invoke.ts';
import type { LogFields, LogLevel } from '../log/logger.ts';
import type { Card } from '../protocol/card.ts';
import type { RuleErrorClass } from '../protocol/degraded.ts';
import type { SourceFile } from '../rules/source.ts';
import type { InvocationCardRow, InvocationRow } from '../store/schema.ts';
import type { ServedVersion } from '../store/store.ts';
import type { CallFigures } from '../observe/metrics.ts';
import type { HookResult } from '../pipeline/run.ts';

/** The rows of one call: invocation, its cards, the rule versions it served. */
export type CallRecord = [InvocationRow, InvocationCardRow[], ServedVersion[]];

/**
 * What a call tells the counters of the main thread (`/metrics`, `/health`): they live there,
 * one per process, not in the worker that ran the call.
 */
export type Observation =
  | { kind: 'metric'; figures: CallFigures }
  | { kind: 'answered'; result: Pick<HookResult, 'skipped' | 'failed'> }
  | { kind: 'rejected'; status: number };

export type ToWorker =
  /** New content: compile it; calls that follow use it. */
  | { type: 'content'; generation: number; files: SourceFile[] }
  /** A hook call: the raw body bytes (transferred, not copied) and what the HTTP layer knows. */
  | { type: 'call'; id: number; serviceId: string; body: ArrayBuffer; contentType: string | undefined; meta: CallMeta };

export interface CallerFields {
  hookInstance: string | null;
  patientId: string | null;
  userId: string | null;
  encounterId: string | null;
}

/** A rule of the call that is done: its card when it fired, its error class when it failed. */
export interface FinishedRule {
  rule: string;
  card?: Card;
  error?: RuleErrorClass;
  /** Skipped for the evaluation budget. */
  skipped?: true;
}

export type FromWorker =
  | { type: 'ready' }
  /** The body parsed: who the call is for, should the main thread have to record it itself. */
  | { type: 'accepted'; id: number; who: CallerFields }
  /** The call goes to the FHIR server: its deadline includes the prefetch timeout. */
  | { type: 'fetching'; id: number }
  | { type: 'outcome'; id: number; finished: FinishedRule }
  | { type: 'log'; id: number; level: LogLevel; msg: string; fields?: LogFields }
  /** The answer, and the rows to record before it is sent. */
  | { type: 'done'; id: number; result: CallResult; records: CallRecord[] }
  | { type: 'observe'; id: number; observation: Observation }
  /** The call threw something that is not an HTTP answer (a bug): its error name. */
  | { type: 'failed'; id: number; error: string };
