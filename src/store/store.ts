/**
 * The store the core writes to: invocations with their cards, and feedback. One implementation
 * over drizzle serves SQLite and D1; the runtime shell supplies the database and how to write
 * several statements atomically (a better-sqlite3 transaction, or a D1 batch). PostgreSQL has
 * its own implementation of the same interface (pg-store.ts).
 *
 * Audit rows (invocations, cards, feedback) are append-only: there is no update path, and
 * `purgeOlderThan` (the retention period) is the one way they leave. The database enforces the
 * no-update half with triggers (migration 0002).
 */
import { count, getTableColumns, inArray, lt, type SQL, sql } from 'drizzle-orm';
import type { BaseSQLiteDatabase, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { HttpError } from '../protocol/errors.ts';
import type { Database, Tables } from './dialect.ts';
import * as sqliteTables from './schema.ts';
import { accessAudit, type AccessAuditRow, contentTexts, feedback, type FeedbackRow, healthProbe, invocationCards, type InvocationCardRow, invocations, type InvocationRow, jwtReplay, ruleVersions, type RuleVersionRow } from './schema.ts';

/** Runs insert statements so that all or none land (transaction on SQLite, batch on D1). */
export type Atomic = (statements: { run(): unknown }[]) => Promise<void>;

/** A rule version the call ran, with its files' texts, kept the first time it serves. */
export interface ServedVersion {
  version: string;
  serviceId: string;
  ruleId: string;
  authorVersion?: string;
  sources: readonly { path: string; sha256: string; text: string }[];
}

/** A card this store returned: whose it is, and what could be accepted of it. */
export interface KnownCard {
  invocationId: string;
  ruleId: string;
  serviceId: string;
  suggestionUuids: string[];
}

export interface Store {
  /**
   * The database, for the read-only figures (src/governance/) and the admin API that read it;
   * on PostgreSQL the same builder API over pg-schema's tables: read through `tablesFor(db)` and
   * `allRows(db, sql)` (dialect.ts), never `db.all`.
   */
  readonly db: Database;
  /**
   * Resolves once the rows are durable. Rule versions not yet stored (insert-or-ignore, so two
   * nodes serving the same version agree) land in the same atomic write.
   */
  recordInvocation(invocation: InvocationRow, cards: InvocationCardRow[], versions?: readonly ServedVersion[]): Promise<void>;
  /** Audit of a call that never became an invocation, or of an admin call: no body. */
  recordAccess(row: AccessAuditRow): Promise<void>;
  /** Rewrites the probe row: resolves when the database takes writes, throws when it does not. */
  probeWritable(now: number): Promise<void>;
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
  /**
   * The answer for an error of this store's database that is no bug (PostgreSQL unreachable: a
   * 503), for errors raised outside the store's own methods (the figures' reads of `db`).
   */
  errorAnswer?(error: unknown): HttpError | undefined;
  /** Drops JWT ids whose tokens have expired. */
  purgeExpiredJtis(now: number): Promise<void>;
  /**
   * Retention: deletes audit rows received before `cutoff` (epoch ms). The only delete path.
   * `skipped` when another instance sharing the database is purging at the same time.
   */
  purgeOlderThan(cutoff: number): Promise<{ invocations: number; feedback: number; skipped?: boolean }>;
}

export interface StoreOptions {
  /**
   * Insert each call's rows with statements prepared once (better-sqlite3): building an insert
   * with drizzle's query builder, and SQLite compiling it, cost more than running it (measured:
   * 0.23 vs 0.06 ms of CPU per recorded call). D1 batches builders, so it keeps them.
   */
  prepared?: boolean;
}

export function createStore(db: Database, atomic: Atomic, { prepared = false }: StoreOptions = {}): Store {
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

  /** Versions this process knows are stored: each is written once per process, not per call. */
  const stored = new Set<string>();
  const insertInvocation = prepared
    ? preparedInsert(db, invocations, { retryOf: retryOfFirstCall(sqliteTables, { serviceId: sql.placeholder('serviceId'), hookInstance: sql.placeholder('hookInstance') }) })
    : (row: InvocationRow) => db.insert(invocations).values({ ...row, retryOf: row.hookInstance ? retryOfFirstCall(sqliteTables, row) : null });
  const insertCard = prepared ? preparedInsert(db, invocationCards) : undefined;
  const insertCards = (rows: InvocationCardRow[]) => (insertCard ? rows.map(insertCard) : chunked(rows, 10).map((some) => db.insert(invocationCards).values(some)));
  return {
    db,
    async recordInvocation(invocation, cards, versions = []) {
      const fresh = versions.filter((v) => !stored.has(v.version));
      const texts = new Map(fresh.flatMap((v) => v.sources.map((s) => [s.sha256, s.text] as const)));
      await atomic([
        ...[...texts].map(([sha256, text]) => db.insert(contentTexts).values({ sha256, text }).onConflictDoNothing()),
        ...fresh.map((v) =>
          db
            .insert(ruleVersions)
            .values(ruleVersionRow(v, invocation.receivedAt))
            .onConflictDoNothing(),
        ),
        insertInvocation(invocation),
        ...insertCards(cards),
      ]);
      for (const v of fresh) stored.add(v.version);
    },

    async recordAccess(row) {
      await atomic([db.insert(accessAudit).values(row)]);
    },

    async probeWritable(now) {
      await atomic([db.insert(healthProbe).values({ id: 1, checkedAt: now }).onConflictDoUpdate({ target: healthProbe.id, set: { checkedAt: now } })]);
    },

    findCards,

    async recordFeedback(items, known) {
      if (items.length === 0) return { stored: 0, unknownCards: 0 };
      const rows = linkFeedback(items, known ?? (await findCards(items.map((i) => i.cardUuid))));
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
        db.delete(accessAudit).where(lt(accessAudit.receivedAt, cutoff)),
      ]);
      return { invocations: old[0]?.n ?? 0, feedback: oldFeedback[0]?.n ?? 0 };
    },
  };
}

/** The rule_versions row of a version first served at `firstServedAt`: its files by hash, texts apart. */
export function ruleVersionRow(v: ServedVersion, firstServedAt: number): RuleVersionRow {
  return { version: v.version, serviceId: v.serviceId, ruleId: v.ruleId, authorVersion: v.authorVersion ?? null, firstServedAt, sources: v.sources.map(({ path, sha256 }) => ({ path, sha256 })) };
}

/**
 * A hookInstance seen before on this service links to its first call, computed in the same
 * statement as the insert (so two concurrent retries cannot both be "first"). No call matches a
 * null hookInstance (`= null` is never true), so a call without one gets null.
 */
export function retryOfFirstCall({ invocations: i }: Pick<Tables, 'invocations'>, { serviceId, hookInstance }: { serviceId: unknown; hookInstance?: unknown }): SQL {
  return sql`(select ${i.id} from ${i} where ${i.serviceId} = ${serviceId} and ${i.hookInstance} = ${hookInstance ?? null} and ${i.retryOf} is null order by ${i.receivedAt} limit 1)`;
}

/**
 * An insert of one row into `table`, prepared once with a placeholder per column (`computed`
 * columns are SQL over those placeholders instead): each row gets a statement to run in the
 * atomic write, a column it leaves out its default (or null), as the query builder would give it.
 */
function preparedInsert<T extends SQLiteTable>(db: Database, table: T, computed: Record<string, SQL> = {}): (row: T['$inferInsert']) => { run(): unknown } {
  const columns = Object.entries(getTableColumns(table)).filter(([name]) => !(name in computed));
  const statement = (db as BaseSQLiteDatabase<'sync', unknown>)
    .insert(table)
    .values({ ...Object.fromEntries(columns.map(([name]) => [name, sql.placeholder(name)])), ...computed } as T['$inferInsert'])
    .prepare();
  const defaults = columns.map(([name, column]) => [name, column.hasDefault ? column.default : null] as const);
  return (row) => {
    const values: Record<string, unknown> = {};
    for (const [name, fallback] of defaults) values[name] = (row as Record<string, unknown>)[name] ?? fallback;
    return { run: () => statement.run(values) };
  };
}

/** Feedback items with their card's invocation and rule, when the card is one this store returned. */
export function linkFeedback(items: Omit<FeedbackRow, 'invocationId' | 'ruleId'>[], byCard: ReadonlyMap<string, KnownCard>): FeedbackRow[] {
  return items.map((item) => ({
    ...item,
    invocationId: byCard.get(item.cardUuid)?.invocationId ?? null,
    ruleId: byCard.get(item.cardUuid)?.ruleId ?? null,
  }));
}

/**
 * Splits rows so that no statement binds more than 100 parameters: D1's limit per query
 * (SQLite allows more; one rule for both keeps the code single).
 */
export function chunked<T>(rows: T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(100 / columns));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
