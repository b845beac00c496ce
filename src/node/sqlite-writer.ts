/**
 * The invocation writer: a worker thread with its own SQLite connection that records hook calls.
 * better-sqlite3 is synchronous, and with synchronous=FULL every commit waits for an fsync (10 ms
 * and more on a busy disk): on the main thread that wait would hold HTTP, `/health` and the
 * dispatch of calls to the evaluation workers. Here it holds nothing but this thread, and the
 * rows that arrive while a commit runs are committed together in the next (group commit, as in
 * sqlite.ts). A call is answered only once the writer has told the main thread its rows are
 * committed, so what was answered is on disk.
 *
 * Rows come two ways: from the main thread (a call cut at its deadline, which the main thread
 * answers itself), and straight from an evaluation worker over a port of its own (every other
 * call), so the rows do not wait for a hop through the main thread before their commit starts.
 * Either way the main thread hears `written` with the id it gave the call. The same invocation
 * can arrive both ways (a worker cut just after it sent its rows): the second is not written
 * again, and is acknowledged with the first.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { InvocationCardRow, InvocationRow } from '../store/schema.ts';
import type { ServedVersion } from '../store/store.ts';
import { openSqliteStore } from './sqlite.ts';

/** The rows of one call: its invocation, its cards, the rule versions it ran that may be new. */
export type WriterRecord = [InvocationRow, InvocationCardRow[], ServedVersion[]];
/** Rows to record, under the id the main thread waits on. */
export type ToWriter = { type: 'record'; id: number; records: WriterRecord[] } | { type: 'port'; port: MessagePort };
export type FromWriter = { type: 'ready' } | { type: 'written'; id: number } | { type: 'failed'; id: number; error: string };
/** Told to an evaluation worker: rule versions now stored, whose texts it need not send again. */
export type ToEvaluationWorker = { stored: string[] };

const port = parentPort!;
const { path, synchronous } = workerData as { path: string; synchronous: 'FULL' | 'NORMAL' };
// The main thread opened the file and applied the migrations before starting this thread.
const { store } = openSqliteStore(path, { synchronous, migrate: false });
const post = (message: FromWriter) => port.postMessage(message);

/** Invocations written or being written, by id (the last 10,000): a second arrival waits on the first. */
const seen = new Map<string, Promise<void>>();
const SEEN_MAX = 10_000;

function recordOnce([invocation, cards, versions]: WriterRecord): Promise<void> {
  const earlier = seen.get(invocation.id);
  if (earlier) return earlier;
  const writing = store.recordInvocation(invocation, cards, versions);
  seen.set(invocation.id, writing);
  // A failed write is forgotten: the same rows sent again are tried again.
  writing.catch(() => seen.delete(invocation.id));
  if (seen.size > SEEN_MAX) seen.delete(seen.keys().next().value!);
  return writing;
}

function record({ id, records }: Extract<ToWriter, { type: 'record' }>, from?: MessagePort): void {
  Promise.all(records.map(recordOnce)).then(
    () => {
      post({ type: 'written', id });
      const stored = records.flatMap(([, , versions]) => versions.map((v) => v.version));
      if (from && stored.length > 0) from.postMessage({ stored } satisfies ToEvaluationWorker);
    },
    // The name only: a constraint message can quote the row.
    (error: unknown) => post({ type: 'failed', id, error: error instanceof Error ? error.name : 'Error' }),
  );
}

port.on('message', (message: ToWriter) => {
  if (message.type === 'port') message.port.on('message', (sent: ToWriter) => sent.type === 'record' && record(sent, message.port));
  else record(message);
});
post({ type: 'ready' });
