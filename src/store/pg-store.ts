/**
 * The store over PostgreSQL (pg-schema.ts), for several Node instances on one database. Same
 * contract as store.ts: a call's rows are committed (one transaction) before its promise
 * resolves, audit rows are only ever inserted (triggers refuse updates), and every piece of
 * shared state is decided by the database, not by one instance's memory:
 * - a JWT id is claimed by one INSERT ... ON CONFLICT, so of two instances seeing the same token
 *   exactly one gets the row;
 * - rule versions and file texts are insert-or-ignore, so instances serving one version agree;
 * - the retention purge runs under a transaction-scoped advisory lock: one instance at a time,
 *   the others skip it (their turn comes the next day).
 *
 * A database that cannot be reached (refused, reset, restarting, a pool or statement timeout)
 * becomes an HttpError 503 with an OperationOutcome saying so, never a 500 or a hang: the
 * driver's timeouts bound every wait (src/node/postgres.ts).
 */
import { count, inArray, lt, sql } from 'drizzle-orm';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import { HttpError } from '../protocol/errors.ts';
import { registerPostgres, type Tables } from './dialect.ts';
import * as pgTables from './pg-schema.ts';
import { accessAudit, contentTexts, feedback, healthProbe, invocationCards, invocations, jwtReplay, ruleVersions } from './pg-schema.ts';
import type { FeedbackRow } from './schema.ts';
import { chunked, type KnownCard, linkFeedback, retryOfFirstCall, ruleVersionRow, type Store } from './store.ts';

/** pg-schema's tables in the shape the shared helpers and readers take (same columns and JS types). */
const tables = pgTables as unknown as Tables;

// biome-ignore lint: drizzle's PostgreSQL database is generic over its driver's result types.
export type PgDb = PgDatabase<any, any, any>;

/** Retention purges of different instances exclude each other on this advisory lock key. */
export const RETENTION_LOCK = 0x63647372; // 'cdsr'

/**
 * SQLSTATE classes and driver errors that mean "the database is not there now", as opposed to a
 * bad statement: 08 connection exception, 53 insufficient resources, 57 operator intervention
 * (shutdown, statement timeout), and the driver's own connect and pool timeouts.
 */
export function isUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined; e && !seen.has(e); e = e.cause as typeof e) {
    seen.add(e);
    const code = typeof e.code === 'string' ? e.code : '';
    if (/^(08|53|57)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOENT'].includes(code)) return true;
    const message = typeof e.message === 'string' ? e.message : '';
    if (/timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error|terminating connection/i.test(message)) return true;
  }
  return false;
}

/** The 503 a call gets while the database is away: the client may retry. */
export const databaseUnavailable = () =>
  new HttpError(
    503,
    { message: 'the database is unavailable; nothing was recorded and the call was not answered: retry shortly', code: 'transient' },
    { 'retry-after': '5' },
  );

/** Runs a database step, turning "not reachable" into the 503 and keeping other errors as they are. */
async function guarded<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (isUnavailable(error)) throw databaseUnavailable();
    throw error;
  }
}

export function createPgStore(db: PgDb): Store {
  async function findCards(uuids: readonly string[]): Promise<Map<string, KnownCard>> {
    const byCard = new Map<string, KnownCard>();
    const distinct = [...new Set(uuids)];
    if (distinct.length === 0) return byCard;
    const rows = await guarded(() =>
      db
        .select({ cardUuid: invocationCards.cardUuid, invocationId: invocationCards.invocationId, ruleId: invocationCards.ruleId, serviceId: invocationCards.serviceId, suggestionUuids: invocationCards.suggestionUuids })
        .from(invocationCards)
        .where(inArray(invocationCards.cardUuid, distinct)),
    );
    for (const { cardUuid, ...card } of rows) byCard.set(cardUuid, card);
    return byCard;
  }

  const stored = new Set<string>();
  return {
    // The figures, replay and admin API read it through dialect.ts, with these tables.
    db: registerPostgres(db, { tables, all: async (query) => rowsOf(await db.execute(query)) }),
    async recordInvocation(invocation, cards, versions = []) {
      const fresh = versions.filter((v) => !stored.has(v.version));
      const texts = new Map(fresh.flatMap((v) => v.sources.map((s) => [s.sha256, s.text] as const)));
      const retryOf = invocation.hookInstance ? retryOfFirstCall(tables, invocation) : null;
      await guarded(() =>
        db.transaction(async (tx) => {
          if (texts.size > 0) await tx.insert(contentTexts).values([...texts].map(([sha256, text]) => ({ sha256, text }))).onConflictDoNothing();
          if (fresh.length > 0) {
            await tx
              .insert(ruleVersions)
              .values(fresh.map((v) => ruleVersionRow(v, invocation.receivedAt)))
              .onConflictDoNothing();
          }
          await tx.insert(invocations).values({ ...invocation, retryOf } as typeof invocations.$inferInsert);
          if (cards.length > 0) await tx.insert(invocationCards).values(cards as (typeof invocationCards.$inferInsert)[]);
        }),
      );
      for (const v of fresh) stored.add(v.version);
    },

    async recordAccess(row) {
      await guarded(() => db.insert(accessAudit).values(row));
    },

    async probeWritable(now) {
      await guarded(() => db.insert(healthProbe).values({ id: 1, checkedAt: now }).onConflictDoUpdate({ target: healthProbe.id, set: { checkedAt: now } }));
    },

    findCards,

    errorAnswer: (error) => (isUnavailable(error) ? databaseUnavailable() : undefined),

    async recordFeedback(items, known) {
      if (items.length === 0) return { stored: 0, unknownCards: 0 };
      const rows = linkFeedback(items, known ?? (await findCards(items.map((i) => i.cardUuid))));
      await guarded(() => db.transaction(async (tx) => {
        for (const some of chunked(rows, 14)) await tx.insert(feedback).values(some as FeedbackRow[] as (typeof feedback.$inferInsert)[]);
      }));
      return { stored: rows.length, unknownCards: rows.filter((r) => !r.invocationId).length };
    },

    async claimJti(iss, jti, expiresAt, now) {
      // One statement: two instances (or two calls) with the same jti cannot both get the row.
      const claimed = await guarded(() =>
        db
          .insert(jwtReplay)
          .values({ iss, jti, expiresAt })
          .onConflictDoUpdate({ target: [jwtReplay.iss, jwtReplay.jti], set: { expiresAt }, setWhere: lt(jwtReplay.expiresAt, now) })
          .returning({ jti: jwtReplay.jti }),
      );
      return claimed.length === 1;
    },

    async purgeExpiredJtis(now) {
      await guarded(() => db.delete(jwtReplay).where(lt(jwtReplay.expiresAt, now)));
    },

    async purgeOlderThan(cutoff) {
      return guarded(() =>
        db.transaction(async (tx) => {
          // Another instance purging now holds the lock: this one leaves it to that one.
          const [lock] = rowsOf<{ locked: boolean }>(await tx.execute(sql`select pg_try_advisory_xact_lock(${RETENTION_LOCK}) as locked`));
          if (!lock?.locked) return { invocations: 0, feedback: 0, skipped: true };
          const [old] = await tx.select({ n: count() }).from(invocations).where(lt(invocations.receivedAt, cutoff));
          const [oldFeedback] = await tx.select({ n: count() }).from(feedback).where(lt(feedback.receivedAt, cutoff));
          await tx.delete(invocationCards).where(inArray(invocationCards.invocationId, tx.select({ id: invocations.id }).from(invocations).where(lt(invocations.receivedAt, cutoff))));
          await tx.delete(invocations).where(lt(invocations.receivedAt, cutoff));
          await tx.delete(feedback).where(lt(feedback.receivedAt, cutoff));
          await tx.delete(accessAudit).where(lt(accessAudit.receivedAt, cutoff));
          return { invocations: old?.n ?? 0, feedback: oldFeedback?.n ?? 0 };
        }),
      );
    },
  };
}

/** node-postgres answers `execute` with a result object; other pg drivers with the rows. */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
