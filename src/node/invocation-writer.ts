/** The main thread's side of the invocation writer thread (sqlite-writer.ts). */
import type { Worker } from 'node:worker_threads';
import type { InvocationCardRow, InvocationRow } from '../store/schema.ts';
import type { ServedVersion } from '../store/store.ts';
import type { FromWriter, ToWriter } from './sqlite-writer.ts';
import { startTsWorker } from './ts-worker.ts';

export interface InvocationWriter {
  /** Resolves once the rows are committed (durable with synchronous=FULL). */
  recordInvocation(invocation: InvocationRow, cards: InvocationCardRow[], versions?: readonly ServedVersion[]): Promise<void>;
  close(): Promise<void>;
}

export async function startInvocationWriter(path: string, synchronous: 'FULL' | 'NORMAL'): Promise<InvocationWriter> {
  const worker: Worker = startTsWorker(new URL('./sqlite-writer.ts', import.meta.url), { workerData: { path, synchronous } });
  const waiting: Record<number, { resolve(): void; reject(error: Error): void }> = {};
  // Rule versions the writer has committed: a call that ran them sends none of their texts
  // again (they are megabytes with the value sets, and every call would copy them across).
  const committed = new Set<string>();
  let nextId = 1;
  let stopped: Error | undefined;
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (message: FromWriter) => {
      if (message.type === 'ready') return resolve();
      const waiter = waiting[message.id];
      delete waiting[message.id];
      if (message.type === 'written') waiter?.resolve();
      else waiter?.reject(new Error(`recording the invocation failed: ${message.error}`));
    });
  });
  worker.on('exit', () => {
    // Calls waiting on a writer that is gone fail (500) rather than answer without their rows.
    stopped = new Error('the invocation writer stopped');
    for (const [id, waiter] of Object.entries(waiting)) {
      waiter.reject(stopped);
      delete waiting[Number(id)];
    }
  });
  return {
    recordInvocation(invocation, cards, versions = []) {
      if (stopped) return Promise.reject(stopped);
      const id = nextId++;
      const fresh = versions.filter((v) => !committed.has(v.version));
      return new Promise((resolve, reject) => {
        waiting[id] = {
          resolve: () => {
            for (const v of fresh) committed.add(v.version);
            resolve();
          },
          reject,
        };
        worker.postMessage({ id, invocation, cards, versions: fresh } satisfies ToWriter);
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}
