/**
 * The same tables as schema.ts in PostgreSQL's dialect (drizzle pg-core), for several Node
 * instances sharing one database. Column names and stored shapes are SQLite's on purpose: JSON
 * lists are text, `silent` is 0/1, times are epoch milliseconds (bigint, read as numbers). So a
 * row reads the same whichever database holds it, and plain SQL over the tables (the tests'
 * `rows()`, an operator's query) means the same on SQLite, D1 and PostgreSQL.
 *
 * Keep it in step with schema.ts: a column added there is added here, then
 * `npm run db:generate` writes both dialects' migrations.
 */
import { bigint, customType, doublePrecision, index, integer, pgTable, primaryKey, serial, text } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import type { DegradedReasons } from './schema.ts';

/** Custom types' defaults are written as SQL: drizzle-kit cannot serialise their JS values. */
const EMPTY_LIST = sql`'[]'`;

/** JSON kept as text, as SQLite's `text(..., { mode: 'json' })` keeps it. */
const jsonText = <T>(name: string) =>
  customType<{ data: T; driverData: string }>({
    dataType: () => 'text',
    toDriver: (value) => JSON.stringify(value),
    fromDriver: (value) => JSON.parse(value) as T,
  })(name);

/** A boolean stored 0/1, as SQLite's `integer(..., { mode: 'boolean' })` stores it. */
const flag = customType<{ data: boolean; driverData: number }>({
  dataType: () => 'integer',
  toDriver: (value) => (value ? 1 : 0),
  fromDriver: (value) => value === 1,
});

/** Epoch milliseconds: past 2^31, so bigint; numbers in JS (exact up to 2^53). */
const epochMs = (name: string) => bigint(name, { mode: 'number' });

export const invocations = pgTable(
  'invocations',
  {
    id: text('id').primaryKey(),
    receivedAt: epochMs('received_at').notNull(),
    serviceId: text('service_id').notNull(),
    hook: text('hook').notNull(),
    hookInstance: text('hook_instance'),
    client: text('client'),
    patientId: text('patient_id'),
    userId: text('user_id'),
    encounterId: text('encounter_id'),
    status: integer('status').notNull(),
    outcome: text('outcome').notNull(),
    error: text('error'),
    rulesEvaluated: jsonText<string[]>('rules_evaluated').notNull(),
    rulesFired: jsonText<string[]>('rules_fired').notNull(),
    rulesSilent: jsonText<string[]>('rules_silent').notNull().default(EMPTY_LIST),
    ruleErrors: jsonText<{ rule: string; class: string; location?: string; message?: string }[]>('rule_errors').notNull(),
    rulesSkipped: jsonText<string[]>('rules_skipped').notNull().default(EMPTY_LIST),
    degradedReasons: jsonText<DegradedReasons>('degraded_reasons'),
    prefetchUnavailable: jsonText<string[]>('prefetch_unavailable').notNull().default(EMPTY_LIST),
    cardCount: integer('card_count').notNull(),
    prefetchFetched: jsonText<string[]>('prefetch_fetched').notNull(),
    prefetchMs: doublePrecision('prefetch_ms'),
    evaluateMs: doublePrecision('evaluate_ms'),
    totalMs: doublePrecision('total_ms').notNull(),
    requestBody: text('request_body'),
    responseBody: text('response_body'),
    prefetchBody: text('prefetch_body'),
    serviceVersion: text('service_version'),
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

export const invocationCards = pgTable(
  'invocation_cards',
  {
    cardUuid: text('card_uuid').primaryKey(),
    invocationId: text('invocation_id')
      .notNull()
      .references(() => invocations.id),
    serviceId: text('service_id').notNull(),
    ruleId: text('rule_id').notNull(),
    indicator: text('indicator').notNull(),
    suggestionUuids: jsonText<string[]>('suggestion_uuids').notNull(),
    ruleVersion: text('rule_version'),
    silent: flag('silent').notNull().default(sql`0`),
    suggestionLabels: jsonText<string[]>('suggestion_labels'),
    cardBody: text('card_body'),
  },
  (t) => [index('invocation_cards_invocation').on(t.invocationId), index('invocation_cards_rule').on(t.ruleId)],
);

export const feedback = pgTable(
  'feedback',
  {
    id: serial('id').primaryKey(),
    receivedAt: epochMs('received_at').notNull(),
    serviceId: text('service_id').notNull(),
    cardUuid: text('card_uuid').notNull(),
    invocationId: text('invocation_id'),
    ruleId: text('rule_id'),
    outcome: text('outcome').notNull(),
    acceptedSuggestions: jsonText<string[]>('accepted_suggestions'),
    overrideReasonSystem: text('override_reason_system'),
    overrideReasonCode: text('override_reason_code'),
    overrideReasonDisplay: text('override_reason_display'),
    overrideComment: text('override_comment'),
    outcomeTimestamp: text('outcome_timestamp').notNull(),
    client: text('client'),
  },
  (t) => [index('feedback_card').on(t.cardUuid), index('feedback_service').on(t.serviceId, t.receivedAt)],
);

export const jwtReplay = pgTable(
  'jwt_replay',
  {
    iss: text('iss').notNull(),
    jti: text('jti').notNull(),
    expiresAt: epochMs('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.iss, t.jti] }), index('jwt_replay_expires').on(t.expiresAt)],
);

export const ruleVersions = pgTable('rule_versions', {
  version: text('version').primaryKey(),
  serviceId: text('service_id').notNull(),
  ruleId: text('rule_id').notNull(),
  authorVersion: text('author_version'),
  firstServedAt: epochMs('first_served_at').notNull(),
  sources: jsonText<{ path: string; sha256: string }[]>('sources').notNull(),
});

export const contentTexts = pgTable('content_texts', {
  sha256: text('sha256').primaryKey(),
  text: text('text').notNull(),
});

export const accessAudit = pgTable(
  'access_audit',
  {
    id: serial('id').primaryKey(),
    receivedAt: epochMs('received_at').notNull(),
    kind: text('kind').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    status: integer('status').notNull(),
    principal: text('principal'),
    role: text('role'),
  },
  (t) => [index('access_audit_received_at').on(t.receivedAt)],
);

export const healthProbe = pgTable('health_probe', {
  id: integer('id').primaryKey(),
  checkedAt: epochMs('checked_at').notNull(),
});
