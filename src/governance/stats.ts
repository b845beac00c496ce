/**
 * Quality figures per rule over a period, as SQL over the store (SQLite's and D1's json_each,
 * PostgreSQL's json_array_elements: `jsonSql`), so the CLI (SQLite file) and the admin API
 * (SQLite, D1 or PostgreSQL) give the same numbers.
 *
 * Definitions (docs/governance.md says the same for readers):
 * - calls: answered calls (200) of the rule's service in which the rule was evaluated; a retry
 *   of a hookInstance (retry_of) is not counted again.
 * - fired: calls in which its card or actions went to the EHR; silentWouldFire: calls in which
 *   it fired but was held back (status silent, or outside its rollout share).
 * - per 1,000 calls: fired / calls x 1000 (and the same for silent).
 * - accepted / overridden: returned cards with at least one feedback item of that outcome;
 *   acceptance and override rates are over the cards returned.
 * - suggestions: per suggestion label, how often it was shown and accepted.
 * - medianSecondsToFeedback: from the call to the card's first feedback outcome time.
 * - errors, skips: calls in which the rule failed, or was skipped (evaluation budget).
 * Ids of patients and users never appear in the figures.
 */
import { type NonAdherenceConcept, nonAdherenceConcept } from '../protocol/non-adherence.ts';
import { type SQL, sql } from 'drizzle-orm';
import { allRows, isPostgres } from '../store/dialect.ts';
import type { Database } from '../store/dialect.ts';

export interface StatsOptions {
  /** Epoch ms, inclusive. */
  since: number;
  /** Epoch ms, exclusive. */
  until: number;
  serviceId?: string;
  alarm?: AlarmOptions;
}

export interface AlarmOptions {
  /** The window whose firing rate is tested (ms before `until`); default 7 days. */
  recentMs: number;
  /** The trailing baseline before it (ms); default 28 days. */
  baselineMs: number;
}

export interface OverrideReasonCount {
  system: string | null;
  code: string | null;
  display: string | null;
  count: number;
  /** The HL7 non-adherence reason it is a case of (the code itself, or the project code's mapping). */
  nonAdherence: NonAdherenceConcept | null;
}

/** Overrides counted by HL7 non-adherence reason, whichever code system the EHR sent back. */
export interface NonAdherenceCount extends NonAdherenceConcept {
  count: number;
}

export interface SuggestionFigures {
  label: string;
  shown: number;
  accepted: number;
  acceptanceRate: number | null;
}

export interface RuleStats {
  serviceId: string;
  ruleId: string;
  calls: number;
  fired: number;
  firedPer1000: number | null;
  silentWouldFire: number;
  silentPer1000: number | null;
  cards: number;
  accepted: number;
  overridden: number;
  acceptanceRate: number | null;
  overrideRate: number | null;
  overrideReasons: OverrideReasonCount[];
  /** The same overrides by HL7 non-adherence reason (those with none left out), most first. */
  nonAdherenceReasons: NonAdherenceCount[];
  suggestions: SuggestionFigures[];
  medianSecondsToFeedback: number | null;
  errors: number;
  skips: number;
  /** Rule versions that made cards in the period. */
  versions: string[];
}

export interface FiringAlarm {
  serviceId: string;
  ruleId: string;
  kind: 'drop' | 'rise' | 'zero';
  baselineCalls: number;
  /** Fired or would have fired (silent), per 1,000 calls. */
  baselinePer1000: number;
  recentCalls: number;
  recentFirings: number;
  expectedFirings: number;
  /** (observed - expected) / sqrt(expected). */
  z: number;
}

export interface StatsReport {
  since: string;
  until: string;
  rules: RuleStats[];
  alarms: FiringAlarm[];
  alarm: { recentFrom: string; baselineFrom: string; test: string };
}

const DAY = 86_400_000;
export const DEFAULT_ALARM: AlarmOptions = { recentMs: 7 * DAY, baselineMs: 28 * DAY };
/** A move is flagged past this many standard deviations (Poisson: sqrt(expected)). */
const Z_LIMIT = 3;
/** Fewer expected firings than this and no test is made: too few to tell noise from a change. */
const MIN_EXPECTED = 5;
export const ALARM_TEST = `firings (shown + silent) in the recent window against the rate of the trailing baseline: expected = baseline rate x recent calls; flagged when expected >= ${MIN_EXPECTED} and |observed - expected| / sqrt(expected) > ${Z_LIMIT}, or when observed is 0 (a drop to zero: P(0) = e^-expected < 0.7%)`;

type Count = { service_id: string; rule: string; what: 'calls' | 'fired' | 'silent' | 'skipped' | 'errors'; n: number };
type Counts = Map<string, { serviceId: string; ruleId: string; calls: number; fired: number; silent: number; skipped: number; errors: number }>;

const key = (serviceId: string, ruleId: string) => `${serviceId}\u0000${ruleId}`;

const all = <T>(db: Database, query: SQL): Promise<T[]> => allRows<T>(db, query);

/**
 * The JSON and aggregate spellings that differ between SQLite (and D1) and PostgreSQL; the rest
 * of each query is the same text. Arguments are fixed column names, never request data.
 */
function jsonSql(db: Database) {
  const raw = sql.raw;
  if (isPostgres(db)) {
    return {
      /** A FROM item: each element of a JSON list column as `alias.value` (text), `alias.key` (from 0). */
      each: (column: string, alias: string) => raw(`lateral (select e.value, e.ord - 1 as key from json_array_elements_text(${column}::json) with ordinality as e(value, ord)) ${alias}`),
      /** A FROM item: each object of a JSON list column as `alias.value`. */
      eachObject: (column: string, alias: string) => raw(`json_array_elements(${column}::json) as ${alias}(value)`),
      field: (alias: string, name: string) => raw(`(${alias}.value ->> '${name}')`),
      at: (column: string, key: string) => raw(`(${column}::json ->> (${key})::int)`),
      concatDistinct: (column: string) => raw(`string_agg(distinct ${column}, ',')`),
    };
  }
  return {
    each: (column: string, alias: string) => raw(`json_each(${column}) ${alias}`),
    eachObject: (column: string, alias: string) => raw(`json_each(${column}) ${alias}`),
    field: (alias: string, name: string) => raw(`json_extract(${alias}.value, '$.${name}')`),
    at: (column: string, key: string) => raw(`json_extract(${column}, '$[' || ${key} || ']')`),
    concatDistinct: (column: string) => raw(`group_concat(distinct ${column})`),
  };
}

/** Per rule: calls, shown firings, silent firings, skips and errors in [from, to). */
async function ruleCounts(db: Database, from: number, to: number, serviceId?: string): Promise<Counts> {
  // A retried hookInstance (retry_of) is one call, counted once.
  const where = sql`i.status = 200 and i.retry_of is null and i.received_at >= ${from} and i.received_at < ${to}${serviceId ? sql` and i.service_id = ${serviceId}` : sql``}`;
  const j = jsonSql(db);
  const rows = await all<Count>(
    db,
    sql`select i.service_id, j.value as rule, 'calls' as what, count(*) as n from invocations i, ${j.each('i.rules_evaluated', 'j')} where ${where} group by 1, 2
    union all select i.service_id, j.value, 'fired', count(*) from invocations i, ${j.each('i.rules_fired', 'j')} where ${where} group by 1, 2
    union all select i.service_id, j.value, 'silent', count(*) from invocations i, ${j.each('i.rules_silent', 'j')} where ${where} group by 1, 2
    union all select i.service_id, j.value, 'skipped', count(*) from invocations i, ${j.each('i.rules_skipped', 'j')} where ${where} group by 1, 2
    union all select i.service_id, ${j.field('j', 'rule')}, 'errors', count(distinct i.id) from invocations i, ${j.eachObject('i.rule_errors', 'j')} where ${where} group by 1, 2`,
  );
  const counts: Counts = new Map();
  for (const row of rows) {
    const k = key(row.service_id, row.rule);
    let entry = counts.get(k);
    if (!entry) counts.set(k, (entry = { serviceId: row.service_id, ruleId: row.rule, calls: 0, fired: 0, silent: 0, skipped: 0, errors: 0 }));
    entry[row.what] += Number(row.n);
  }
  return counts;
}

const rate = (n: number, of: number) => (of > 0 ? n / of : null);
const per1000 = (n: number, of: number) => (of > 0 ? Math.round((n / of) * 1_000_000) / 1000 : null);

export async function ruleStats(db: Database, options: StatsOptions): Promise<StatsReport> {
  const { since, until, serviceId } = options;
  const inPeriod = sql`i.received_at >= ${since} and i.received_at < ${until}${serviceId ? sql` and i.service_id = ${serviceId}` : sql``}`;
  const counts = await ruleCounts(db, since, until, serviceId);
  const j = jsonSql(db);

  const cards = await all<{ service_id: string; rule_id: string; cards: number; versions: string }>(
    db,
    sql`select c.service_id, c.rule_id, count(*) as cards, ${j.concatDistinct('c.rule_version')} as versions
        from invocation_cards c join invocations i on i.id = c.invocation_id where c.silent = 0 and ${inPeriod} group by 1, 2`,
  );
  // One row per card with feedback: whether it was ever accepted / overridden, and its first outcome time.
  const outcomes = await all<{ service_id: string; rule_id: string; accepted: number; overridden: number; received_at: number; first_outcome: string }>(
    db,
    sql`select c.service_id, c.rule_id, max(case when f.outcome = 'accepted' then 1 else 0 end) as accepted,
               max(case when f.outcome = 'overridden' then 1 else 0 end) as overridden, i.received_at, min(f.outcome_timestamp) as first_outcome
        from feedback f join invocation_cards c on c.card_uuid = f.card_uuid join invocations i on i.id = c.invocation_id
        where ${inPeriod} group by c.card_uuid, c.service_id, c.rule_id, i.received_at`,
  );
  const reasons = await all<{ service_id: string; rule_id: string; system: string | null; code: string | null; display: string | null; n: number }>(
    db,
    sql`select c.service_id, c.rule_id, f.override_reason_system as system, f.override_reason_code as code, f.override_reason_display as display, count(*) as n
        from feedback f join invocation_cards c on c.card_uuid = f.card_uuid join invocations i on i.id = c.invocation_id
        where f.outcome = 'overridden' and ${inPeriod} group by 1, 2, 3, 4, 5 order by n desc`,
  );
  const shown = await all<{ service_id: string; rule_id: string; label: string; n: number }>(
    db,
    sql`select c.service_id, c.rule_id, l.value as label, count(*) as n
        from invocation_cards c join invocations i on i.id = c.invocation_id, ${j.each('c.suggestion_labels', 'l')}
        where c.silent = 0 and ${inPeriod} group by 1, 2, 3`,
  );
  // An accepted suggestion is found by its uuid's place in the card's list, which names its label.
  const acceptedSuggestions = await all<{ service_id: string; rule_id: string; label: string; n: number }>(
    db,
    sql`select c.service_id, c.rule_id, ${j.at('c.suggestion_labels', 's.key')} as label, count(distinct c.card_uuid) as n
        from feedback f join invocation_cards c on c.card_uuid = f.card_uuid join invocations i on i.id = c.invocation_id,
             ${j.each('f.accepted_suggestions', 'a')}, ${j.each('c.suggestion_uuids', 's')}
        where f.outcome = 'accepted' and a.value = s.value and ${inPeriod} group by 1, 2, 3`,
  );

  const rules = new Map<string, RuleStats>();
  const ruleOf = (service: string, rule: string) => {
    const k = key(service, rule);
    let entry = rules.get(k);
    if (!entry) {
      const c = counts.get(k);
      rules.set(
        k,
        (entry = {
          serviceId: service,
          ruleId: rule,
          calls: c?.calls ?? 0,
          fired: c?.fired ?? 0,
          firedPer1000: per1000(c?.fired ?? 0, c?.calls ?? 0),
          silentWouldFire: c?.silent ?? 0,
          silentPer1000: per1000(c?.silent ?? 0, c?.calls ?? 0),
          cards: 0,
          accepted: 0,
          overridden: 0,
          acceptanceRate: null,
          overrideRate: null,
          overrideReasons: [],
          nonAdherenceReasons: [],
          suggestions: [],
          medianSecondsToFeedback: null,
          errors: c?.errors ?? 0,
          skips: c?.skipped ?? 0,
          versions: [],
        }),
      );
    }
    return entry;
  };
  for (const c of counts.values()) ruleOf(c.serviceId, c.ruleId);
  for (const row of cards) {
    const r = ruleOf(row.service_id, row.rule_id);
    r.cards = Number(row.cards);
    r.versions = (row.versions ?? '').split(',').filter(Boolean).sort();
  }
  const delays = new Map<string, number[]>();
  for (const row of outcomes) {
    const r = ruleOf(row.service_id, row.rule_id);
    r.accepted += Number(row.accepted);
    r.overridden += Number(row.overridden);
    const at = Date.parse(row.first_outcome);
    if (Number.isFinite(at)) delays.set(key(row.service_id, row.rule_id), [...(delays.get(key(row.service_id, row.rule_id)) ?? []), (at - row.received_at) / 1000]);
  }
  for (const row of reasons) {
    const r = ruleOf(row.service_id, row.rule_id);
    const concept = nonAdherenceConcept(row.system, row.code) ?? null;
    r.overrideReasons.push({ system: row.system, code: row.code, display: row.display, count: Number(row.n), nonAdherence: concept });
    if (!concept) continue;
    const counted = r.nonAdherenceReasons.find((c) => c.code === concept.code);
    if (counted) counted.count += Number(row.n);
    else r.nonAdherenceReasons.push({ ...concept, count: Number(row.n) });
  }
  for (const r of rules.values()) r.nonAdherenceReasons.sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  const acceptedBy = new Map(acceptedSuggestions.map((a) => [`${key(a.service_id, a.rule_id)}\u0000${a.label}`, Number(a.n)]));
  for (const row of shown) {
    const accepted = acceptedBy.get(`${key(row.service_id, row.rule_id)}\u0000${row.label}`) ?? 0;
    ruleOf(row.service_id, row.rule_id).suggestions.push({ label: row.label, shown: Number(row.n), accepted, acceptanceRate: rate(accepted, Number(row.n)) });
  }
  for (const [k, r] of rules) {
    r.acceptanceRate = rate(r.accepted, r.cards);
    r.overrideRate = rate(r.overridden, r.cards);
    r.medianSecondsToFeedback = median(delays.get(k) ?? []);
    r.suggestions.sort((a, b) => a.label.localeCompare(b.label));
  }

  const alarm = options.alarm ?? DEFAULT_ALARM;
  const recentFrom = until - alarm.recentMs;
  const baselineFrom = recentFrom - alarm.baselineMs;
  return {
    since: new Date(since).toISOString(),
    until: new Date(until).toISOString(),
    rules: [...rules.values()].sort((a, b) => a.serviceId.localeCompare(b.serviceId) || a.ruleId.localeCompare(b.ruleId)),
    alarms: firingAlarms(await ruleCounts(db, baselineFrom, recentFrom, serviceId), await ruleCounts(db, recentFrom, until, serviceId)),
    alarm: { recentFrom: new Date(recentFrom).toISOString(), baselineFrom: new Date(baselineFrom).toISOString(), test: ALARM_TEST },
  };
}

/** The firing-rate test of ALARM_TEST, for every rule with a baseline. */
export function firingAlarms(baseline: Counts, recent: Counts): FiringAlarm[] {
  const alarms: FiringAlarm[] = [];
  for (const [k, base] of baseline) {
    const now = recent.get(k);
    if (!now || now.calls === 0 || base.calls === 0) continue;
    const baseRate = (base.fired + base.silent) / base.calls;
    const expected = baseRate * now.calls;
    if (expected < MIN_EXPECTED) continue;
    const observed = now.fired + now.silent;
    const z = (observed - expected) / Math.sqrt(expected);
    const kind = observed === 0 ? 'zero' : Math.abs(z) > Z_LIMIT ? (z < 0 ? 'drop' : 'rise') : undefined;
    if (!kind) continue;
    alarms.push({
      serviceId: base.serviceId,
      ruleId: base.ruleId,
      kind,
      baselineCalls: base.calls,
      baselinePer1000: Math.round(baseRate * 1_000_000) / 1000,
      recentCalls: now.calls,
      recentFirings: observed,
      expectedFirings: Math.round(expected * 100) / 100,
      z: Math.round(z * 100) / 100,
    });
  }
  return alarms.sort((a, b) => a.z - b.z);
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
