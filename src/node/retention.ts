/**
 * Retention: audit rows leave the database only by age (Da Vinci CRD and most hospital policies
 * keep CDS logs for years; six by default). Runs at start, then once a day.
 */
import type { Logger } from '../log/logger.ts';
import type { Store } from '../store/store.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export async function purgeExpired(store: Store, retentionDays: number, log: Logger, now = Date.now()): Promise<void> {
  const cutoff = now - retentionDays * DAY_MS;
  const purged = await store.purgeOlderThan(cutoff);
  log.info('retention purge', { retentionDays, cutoff: new Date(cutoff).toISOString(), ...purged });
}

/** Purges now and every day; returns the function that stops it. */
export function scheduleRetention(store: Store, retentionDays: number, log: Logger): () => void {
  const run = () =>
    purgeExpired(store, retentionDays, log).catch((error: Error) => log.error('retention purge failed', { error: error.name }));
  void run();
  const timer = setInterval(run, DAY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
