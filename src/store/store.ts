/**
 * The store the core writes to: invocations with their cards, and feedback. One implementation
 * over drizzle serves SQLite and D1; the runtime shell supplies the database and how to write
 * several statements atomically (a better-sqlite3 transaction, or a D1 batch).
 *
 * Audit rows (invocations, cards, feedback) are append-only: there is no update path, and
 * `purgeOlderThan` (the retention period) is the one way they leave. The database enforces the
 * no-update half with triggers (migration 0002).
 */
import { count, inArray, lt, sql } from 'drizzle-orm';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import { feedback, type FeedbackRow, invocationCards, type InvocationCardRow, invocations, type InvocationRow, jwtReplay } from './schema.ts';

// biome-ignore lint: drizzle's database type is generic over sync (better-sqlite3) and async (D1).
export type Database = BaseSQLiteDatabase<'sync' | 'async', any, any>;

/** Runs insert statements so that all or none land (transaction on SQLite, batch on D1). */
export type Atomic = (statements: { run(): unknown }[]) => Promise<void>;

/** A card this store returned: whose it is, and what could be accepted of it. */
export interface KnownCard {
  invocationId: string;
  ruleId: string;
  serviceId: string;
  suggestionUuids: string[];
}

export interface Store {
  /** Resolves once the rows are durable. */
  recordInvocation(invocation: InvocationRow, cards: InvocationCardRow[]): Promise<void>;
  /** The cards among `uuids` this store returned. */
  findCards(uuids: readonly string[]): Promise<Map<string, KnownCard>>;
  /**
   * Links each item to its card's invocation when known (`known`: from `findCards`, to look up
   * only once); resolves once durable.
   */
  recordFeedback(items: Omit<FeedbackRow, 'invocationId' | 'ruleId'>[], known?: ReadonlyMap<string, KnownCard>): Promise<{ stored: number; unknownCards: number }>;
  /**
   * Records a JWT id as used. True the first time; false when (iss, jti) was already accepted and
   * has not expired (a replay). Durable before it resolves, so a restart keeps it.
   */
  claimJti(iss: string, jti: string, expiresAt: number, now: number): Promise<boolean>;
  /** Drops JWT ids whose tokens have expired. */
  purgeExpiredJtis(now: number): Promise<void>;
  /** Retention: deletes audit rows received before `cutoff` (epoch ms). The only delete path. */
  purgeOlderThan(cutoff: number): Promise<{ invocations: number; feedback: number }>;
}

export function createStore(db: Database, atomic: Atomic): Store {
  async function findCards(uuids: readonly string[]): Promise<Map<string, KnownCard>> {
    const byCard = new Map<string, KnownCard>();
    for (const some of chunked([...new Set(uuids)], 1)) {
      const rows = await db
        .select({
          cardUuid: invocationCards.cardUuid,
          invocationId: invocationCards.invocationId,
          ruleId: invocationCards.ruleId,
          serviceId: invocationCards.serviceId,
          suggestionUuids: invocationCards.suggestionUuids,
        })
        .from(invocationCards)
        .where(inArray(invocationCards.cardUuid, some));
      for (const { cardUuid, ...card } of rows) byCard.set(cardUuid, card);
    }
    return byCard;
  }

  return {
    async recordInvocation(invocation, cards) {
      // A hookInstance seen before on this service links to its first call, in the same
      // statement as the insert (so two concurrent retries cannot both be "first").
      const retryOf = invocation.hookInstance
        ? sql`(select ${invocations.id} from ${invocations} where ${invocations.serviceId} = ${invocation.serviceId} and ${invocations.hookInstance} = ${invocation.hookInstance} and ${invocations.retryOf} is null order by ${invocations.receivedAt} limit 1)`
        : null;
      await atomic([
        db.insert(invocations).values({ ...invocation, retryOf }),
        ...chunked(cards, 6).map((rows) => db.insert(invocationCards).values(rows)),
      ]);
    },

    findCards,

    async recordFeedback(items, known) {
      if (items.length === 0) return { stored: 0, unknownCards: 0 };
      const byCard = known ?? (await findCards(items.map((i) => i.cardUuid)));
      const rows = items.map((item) => ({
        ...item,
        invocationId: byCard.get(item.cardUuid)?.invocationId ?? null,
        ruleId: byCard.get(item.cardUuid)?.ruleId ?? null,
      }));
      await atomic(chunked(rows, 14).map((some) => db.insert(feedback).values(some)));
      return { stored: rows.length, unknownCards: rows.filter((r) => !r.invocationId).length };
    },

    async claimJti(iss, jti, expiresAt, now) {
      // One statement, so two concurrent calls with the same jti cannot both win. An expired row
      // with the same id is taken over (that token is rejected on its own anyway).
      const claimed = await db
        .insert(jwtReplay)
        .values({ iss, jti, expiresAt })
        .onConflictDoUpdate({ target: [jwtReplay.iss, jwtReplay.jti], set: { expiresAt }, setWhere: lt(jwtReplay.expiresAt, now) })
        .returning({ jti: jwtReplay.jti });
      return claimed.length === 1;
    },

    async purgeExpiredJtis(now) {
      await db.delete(jwtReplay).where(lt(jwtReplay.expiresAt, now));
    },

    async purgeOlderThan(cutoff) {
      const old = await db.select({ n: count() }).from(invocations).where(lt(invocations.receivedAt, cutoff));
      const oldFeedback = await db.select({ n: count() }).from(feedback).where(lt(feedback.receivedAt, cutoff));
      // Cards first: they reference their invocation. Feedback keeps no foreign key (a card may
      // be unknown), so its own receivedAt decides.
      await atomic([
        db.delete(invocationCards).where(inArray(invocationCards.invocationId, db.select({ id: invocations.id }).from(invocations).where(lt(invocations.receivedAt, cutoff)))),
        db.delete(invocations).where(lt(invocations.receivedAt, cutoff)),
        db.delete(feedback).where(lt(feedback.receivedAt, cutoff)),
      ]);
      return { invocations: old[0]?.n ?? 0, feedback: oldFeedback[0]?.n ?? 0 };
    },
  };
}

/**
 * Splits rows so that no statement binds more than 100 parameters: D1's limit per query
 * (SQLite allows more; one rule for both keeps the code single).
 */
function chunked<T>(rows: T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(100 / columns));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
