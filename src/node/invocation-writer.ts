/** The main thread's side of the invocation writer thread (sqlite-writer.ts). */
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import type { InvocationCardRow, InvocationRow } from '../store/schema.ts';
import type { ServedVersion } from '../store/store.ts';
import type { FromWriter, ToWriter } from './sqlite-writer.ts';
import { startTsWorker } from './ts-worker.ts';

export interface InvocationWriter {
  /** Resolves once the rows are committed (durable with synchronous=FULL). */
  recordInvocation(invocation: InvocationRow, cards: InvocationCardRow[], versions?: readonly ServedVersion[]): Promise<void>;
  /** A port for an evaluation worker to send its calls' rows over, straight to the writer thread. */
  connect(): MessagePort;
  /** An id for rows an evaluation worker will send over its port; `written(id)` waits for them. */
  reserve(): number;
  /** Resolves once the rows sent under `id` are committed (even if that was before this was asked). */
  written(id: number): Promise<void>;
  close(): Promise<void>;
}

/** Answers heard for ids nobody waits on yet (a worker's rows can commit before its answer reaches the main thread). */
const EARLY_MAX = 10_000;

export async function startInvocationWriter(path: string, synchronous: 'FULL' | 'NORMAL'): Promise<InvocationWriter> {
  const worker: Worker = startTsWorker(new URL('./sqlite-writer.ts', import.meta.url), { workerData: { path, synchronous } });
  const waiting = new Map<number, { resolve(): void; reject(error: Error): void }>();
  const early = new Map<number, Error | undefined>();
  // Rule versions the writer has committed: a call that ran them sends none of their texts
  // again (they are megabytes with the value sets, and every call would copy them across).
  const committed = new Set<string>();
  let nextId = 1;
  let stopped: Error | undefined;
  const settle = (id: number, error: Error | undefined) => {
    const waiter = waiting.get(id);
    if (!waiter) {
      // A cut call's rows arrive for nobody: kept a while, then let go.
      early.set(id, error);
      if (early.size > EARLY_MAX) early.delete(early.keys().next().value!);
      return;
    }
    waiting.delete(id);
    if (error) waiter.reject(error);
    else waiter.resolve();
  };
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (message: FromWriter) => {
      if (message.type === 'ready') return resolve();
      settle(message.id, message.type === 'written' ? undefined : new Error(`recording the invocation failed: ${message.error}`));
    });
  });
  worker.on('exit', () => {
    // Calls waiting on a writer that is gone fail (500) rather than answer without their rows.
    stopped = new Error('the invocation writer stopped');
    for (const [id, waiter] of waiting) {
      waiter.reject(stopped);
      waiting.delete(id);
    }
  });
  const written = (id: number) =>
    new Promise<void>((resolve, reject) => {
      if (early.has(id)) {
        const error = early.get(id);
        early.delete(id);
        return error ? reject(error) : resolve();
      }
      if (stopped) return reject(stopped);
      waiting.set(id, { resolve, reject });
    });
  return {
    recordInvocation(invocation, cards, versions = []) {
      const id = nextId++;
      const fresh = versions.filter((v) => !committed.has(v.version));
      const done = written(id).then(() => {
        for (const v of fresh) committed.add(v.version);
      });
      if (!stopped) worker.postMessage({ type: 'record', id, records: [[invocation, cards, fresh]] } satisfies ToWriter);
      return done;
    },
    connect() {
      const { port1, port2 } = new MessageChannel();
      worker.postMessage({ type: 'port', port: port2 } satisfies ToWriter, [port2]);
      return port1;
    },
    reserve: () => nextId++,
    written,
    async close() {
      await worker.terminate();
    },
  };
}
