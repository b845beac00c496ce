/**
 * What lasts: one drizzle schema for SQLite (Node) and D1 (Workers), one migrations folder.
 * Times are epoch milliseconds. Clinical payloads are columns only an operator fills (opt-in).
 */
import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** One row per hook call that reached a known service, whatever its status. */
export const invocations = sqliteTable(
  'invocations',
  {
    id: text('id').primaryKey(),
    receivedAt: integer('received_at').notNull(),
    serviceId: text('service_id').notNull(),
    hook: text('hook').notNull(),
    hookInstance: text('hook_instance'),
    /** The authenticated client's `iss`, when known. */
    client: text('client'),
    patientId: text('patient_id'),
    userId: text('user_id'),
    encounterId: text('encounter_id'),
    status: integer('status').notNull(),
    /** ok | degraded (a rule failed or was skipped for the evaluation budget) | rejected (4xx) */
    outcome: text('outcome').notNull(),
    /** The 4xx reason, field names only. */
    error: text('error'),
    rulesEvaluated: text('rules_evaluated', { mode: 'json' }).$type<string[]>().notNull(),
    rulesFired: text('rules_fired', { mode: 'json' }).$type<string[]>().notNull(),
    /** Per failed rule: an error class and the expression's file:line:col; the message (it may quote data) only with CDS_STORE_PAYLOADS. */
    ruleErrors: text('rule_errors', { mode: 'json' }).$type<{ rule: string; class: string; location?: string; message?: string }[]>().notNull(),
    /** Rules not evaluated because the call's evaluation budget ran out. */
    rulesSkipped: text('rules_skipped', { mode: 'json' }).$type<string[]>().notNull().default([]),
    cardCount: integer('card_count').notNull(),
    prefetchFetched: text('prefetch_fetched', { mode: 'json' }).$type<string[]>().notNull(),
    prefetchMs: real('prefetch_ms'),
    evaluateMs: real('evaluate_ms'),
    totalMs: real('total_ms').notNull(),
    /** Request and response bodies, only when the operator opts in (CDS_STORE_PAYLOADS). */
    requestBody: text('request_body'),
    responseBody: text('response_body'),
    /**
     * The first earlier call of the same service with the same hookInstance: this one is a retry
     * (or a client reusing ids). Both are answered and kept; counts exclude rows with retry_of.
     */
    retryOf: text('retry_of'),
  },
  (t) => [
    index('invocations_received_at').on(t.receivedAt),
    index('invocations_service').on(t.serviceId, t.receivedAt),
    index('invocations_hook_instance').on(t.serviceId, t.hookInstance),
  ],
);

/** Every card returned, so feedback can be tied to the call and rule that produced it. */
export const invocationCards = sqliteTable(
  'invocation_cards',
  {
    cardUuid: text('card_uuid').primaryKey(),
    invocationId: text('invocation_id')
      .notNull()
      .references(() => invocations.id),
    serviceId: text('service_id').notNull(),
    ruleId: text('rule_id').notNull(),
    indicator: text('indicator').notNull(),
    suggestionUuids: text('suggestion_uuids', { mode: 'json' }).$type<string[]>().notNull(),
  },
  (t) => [index('invocation_cards_invocation').on(t.invocationId)],
);

/** One row per feedback item; the same card may be reported many times. */
export const feedback = sqliteTable(
  'feedback',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    receivedAt: integer('received_at').notNull(),
    serviceId: text('service_id').notNull(),
    cardUuid: text('card_uuid').notNull(),
    /** Null when the card is not one this store returned (another node, or before a reset). */
    invocationId: text('invocation_id'),
    ruleId: text('rule_id'),
    outcome: text('outcome').notNull(),
    acceptedSuggestions: text('accepted_suggestions', { mode: 'json' }).$type<string[]>(),
    overrideReasonSystem: text('override_reason_system'),
    overrideReasonCode: text('override_reason_code'),
    overrideReasonDisplay: text('override_reason_display'),
    overrideComment: text('override_comment'),
    outcomeTimestamp: text('outcome_timestamp').notNull(),
    client: text('client'),
  },
  (t) => [index('feedback_card').on(t.cardUuid), index('feedback_service').on(t.serviceId, t.receivedAt)],
);

/**
 * JWT ids already accepted, per issuer: a token is good once (CDS Hooks best practice). A row
 * lives until the token could no longer be accepted anyway, then the verifier purges it. In the
 * database, not in memory, so a restart does not reopen the replay window.
 */
export const jwtReplay = sqliteTable(
  'jwt_replay',
  {
    iss: text('iss').notNull(),
    jti: text('jti').notNull(),
    /** Epoch ms after which the token is rejected on its own (exp or max age, plus skew). */
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.iss, t.jti] }), index('jwt_replay_expires').on(t.expiresAt)],
);

export type InvocationRow = typeof invocations.$inferInsert;
export type InvocationCardRow = typeof invocationCards.$inferInsert;
export type FeedbackRow = typeof feedback.$inferInsert;
