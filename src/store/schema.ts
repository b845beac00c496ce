/**
 * What lasts: one drizzle schema for SQLite (Node) and D1 (Workers), one migrations folder.
 * Times are epoch milliseconds. Clinical payloads are columns only an operator fills (opt-in).
 */
import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** The org.cds-rules.degraded extension's content (src/protocol/degraded.ts), as stored. */
export interface DegradedReasons {
  skipped: { rule: string; reason: string; prefetch?: string[] }[];
  failed: { rule: string; error: string }[];
  budgetMs?: number;
}

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
    /** ok | degraded (a rule failed, or was skipped for the evaluation budget or unavailable prefetch) | rejected (4xx) */
    outcome: text('outcome').notNull(),
    /** The 4xx reason, field names only. */
    error: text('error'),
    rulesEvaluated: text('rules_evaluated', { mode: 'json' }).$type<string[]>().notNull(),
    /** Rules whose output went to the EHR. */
    rulesFired: text('rules_fired', { mode: 'json' }).$type<string[]>().notNull(),
    /** Rules that fired but were held back (silent, or outside their rollout share). */
    rulesSilent: text('rules_silent', { mode: 'json' }).$type<string[]>().notNull().default([]),
    /** Per failed rule: an error class and the expression's file:line:col; the message (it may quote data) only with CDS_STORE_PAYLOADS. */
    ruleErrors: text('rule_errors', { mode: 'json' }).$type<{ rule: string; class: string; location?: string; message?: string }[]>().notNull(),
    /** Rules not evaluated: the call's evaluation budget ran out, or a prefetch key they read was unavailable. */
    rulesSkipped: text('rules_skipped', { mode: 'json' }).$type<string[]>().notNull().default([]),
    /**
     * Why the answer is degraded, as the response's org.cds-rules.degraded extension says it
     * (rule ids, reasons, prefetch keys and error classes: no data), or null when it is not.
     */
    degradedReasons: text('degraded_reasons', { mode: 'json' }).$type<DegradedReasons>(),
    /** Prefetch keys that could be had neither from the request nor from the FHIR server. */
    prefetchUnavailable: text('prefetch_unavailable', { mode: 'json' }).$type<string[]>().notNull().default([]),
    cardCount: integer('card_count').notNull(),
    prefetchFetched: text('prefetch_fetched', { mode: 'json' }).$type<string[]>().notNull(),
    prefetchMs: real('prefetch_ms'),
    evaluateMs: real('evaluate_ms'),
    totalMs: real('total_ms').notNull(),
    /** Request and response bodies, only when the operator opts in (CDS_STORE_PAYLOADS). */
    requestBody: text('request_body'),
    responseBody: text('response_body'),
    /** The prefetch the rules saw (sent and fetched), by key: payload opt-in, for replay. */
    prefetchBody: text('prefetch_body'),
    /** The service's content version (hash of its rules' versions) at the time of the call. */
    serviceVersion: text('service_version'),
    /**
     * The first earlier call of the same service with the same hookInstance: this one is a retry
     * (or a client reusing ids). Both are answered and kept; counts exclude rows with retry_of.
     */
    retryOf: text('retry_of'),
  },
  (t) => [
    index('invocations_received_at').on(t.receivedAt),
    index('invocations_service').on(t.serviceId, t.receivedAt),
    // Every recorded call looks up the first call of its hookInstance (retryOfFirstCall, store.ts):
    // with retry_of and received_at in the index, that lookup is one seek. With (service_id,
    // hook_instance) alone SQLite walked invocations_service in received_at order instead, every
    // row of the service's history on each write (measured: 0.85 ms at 4,000 rows, growing).
    index('invocations_hook_instance').on(t.serviceId, t.hookInstance, t.retryOf, t.receivedAt),
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
    /** The version of the rule that made it (rule_versions); null on rows older than versions. */
    ruleVersion: text('rule_version'),
    /** Made by a silent rule (or outside an active rule's rollout): recorded, never returned. */
    silent: integer('silent', { mode: 'boolean' }).notNull().default(false),
    /** Suggestion labels in the order of suggestion_uuids, for suggestion-level figures. */
    suggestionLabels: text('suggestion_labels', { mode: 'json' }).$type<string[]>(),
    /** The card as rendered: payload opt-in (it may quote patient data), for replay diffs. */
    cardBody: text('card_body'),
  },
  (t) => [index('invocation_cards_invocation').on(t.invocationId), index('invocation_cards_rule').on(t.ruleId)],
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

/**
 * Each rule version, stored when it first serves: the files it was made of by their hash, so a
 * past card leads to the exact texts (content_texts) that produced it.
 */
export const ruleVersions = sqliteTable('rule_versions', {
  version: text('version').primaryKey(),
  serviceId: text('service_id').notNull(),
  ruleId: text('rule_id').notNull(),
  authorVersion: text('author_version'),
  firstServedAt: integer('first_served_at').notNull(),
  sources: text('sources', { mode: 'json' }).$type<{ path: string; sha256: string }[]>().notNull(),
});

/** File texts by their SHA-256, shared by every version that uses the same text. */
export const contentTexts = sqliteTable('content_texts', {
  sha256: text('sha256').primaryKey(),
  text: text('text').notNull(),
});

/**
 * Calls that never became an invocation (refused by the JWT gate, too large, unknown service,
 * wrong method) and every admin API call: method, path, status, who; never a body.
 */
export const accessAudit = sqliteTable(
  'access_audit',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    receivedAt: integer('received_at').notNull(),
    /** refused (a hook/discovery/feedback call answered 4xx before it was recorded) | admin */
    kind: text('kind').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    status: integer('status').notNull(),
    /** The admin token's name; null for refused calls. */
    principal: text('principal'),
    role: text('role'),
  },
  (t) => [index('access_audit_received_at').on(t.receivedAt)],
);

/** One row the readiness probe rewrites, to prove the database takes writes. */
export const healthProbe = sqliteTable('health_probe', {
  id: integer('id').primaryKey(),
  checkedAt: integer('checked_at').notNull(),
});

export type InvocationRow = typeof invocations.$inferInsert;
export type InvocationCardRow = typeof invocationCards.$inferInsert;
export type FeedbackRow = typeof feedback.$inferInsert;
export type RuleVersionRow = typeof ruleVersions.$inferInsert;
export type AccessAuditRow = typeof accessAudit.$inferInsert;
