/**
 * The invocation writer: a worker thread with its own SQLite connection that records hook calls.
 * better-sqlite3 is synchronous, and with synchronous=FULL every commit waits for an fsync (10 ms
 * and more on a busy disk): on the main thread that wait would hold HTTP, `/health` and the
 * dispatch of calls to the evaluation workers. Here it holds nothing but this thread, and the
 * rows that arrive while a commit runs are committed together in the next (group commit, as in
 * sqlite.ts). A call is answered only once the writer has acknowledged its commit, so what was
 * answered is on disk.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { InvocationCardRow, InvocationRow } from '../store/schema.ts';
import type { ServedVersion } from '../store/store.ts';
import { openSqliteStore } from './sqlite.ts';

export type ToWriter = { id: number; invocation: InvocationRow; cards: InvocationCardRow[]; versions: ServedVersion[] };
export type FromWriter = { type: 'ready' } | { type: 'written'; id: number } | { type: 'failed'; id: number; error: string };

const port = parentPort!;
const { path, synchronous } = workerData as { path: string; synchronous: 'FULL' | 'NORMAL' };
// The main thread opened the file and applied the migrations before starting this thread.
const { store } = openSqliteStore(path, { synchronous, migrate: false });
const post = (message: FromWriter) => port.postMessage(message);

port.on('message', ({ id, invocation, cards, versions }: ToWriter) => {
  store.recordInvocation(invocation, cards, versions).then(
    () => post({ type: 'written', id }),
    // The name only: a constraint message can quote the row.
    (error: unknown) => post({ type: 'failed', id, error: error instanceof Error ? error.name : 'Error' }),
  );
});
post({ type: 'ready' });
