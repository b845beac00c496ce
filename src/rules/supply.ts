/**
 * How long a prescription lasts, and how many days of a period prescriptions cover: the CDC
 * opioid IG's "acute (< 28 days) / subacute-chronic (>= 28 days)" split and its "days on opioids
 * during a period" (OpioidCDSCommon, RULES.md section 0). Runtime-neutral, no I/O.
 */

type Json = Record<string, unknown>;

/** A Map: the unit comes from the request, and a plain object has a `constructor` (issue 13). */
const DAYS_PER_UNIT = new Map<string, number>(Object.entries({
  s: 1 / 86400, min: 1 / 1440, h: 1 / 24, d: 1, wk: 7, mo: 30, a: 365,
  second: 1 / 86400, minute: 1 / 1440, hour: 1 / 24, day: 1, week: 7, month: 30, year: 365,
}));

/**
 * `dispenseRequest.expectedSupplyDuration` in days (UCUM code, or the unit spelled out as a
 * fallback: 'days', 'weeks'), as the IG's GetDurationInDays; undefined when absent or unknown.
 * A supply written "1 mo" is 30 days, not 1.
 */
export function supplyDays(request: Json): number | undefined {
  const duration = (request.dispenseRequest as Json | undefined)?.expectedSupplyDuration as Json | undefined;
  if (typeof duration?.value !== 'number') return undefined;
  const unit = String(duration.code ?? duration.unit ?? '').toLowerCase();
  const perUnit = DAYS_PER_UNIT.get(unit) ?? DAYS_PER_UNIT.get(unit.replace(/s$/, ''));
  return perUnit === undefined ? undefined : duration.value * perUnit;
}

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 (UTC) of an ISO date or dateTime's calendar date; undefined if not a date. */
export function dayNumber(iso: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS;
}

/**
 * Distinct calendar days d with from <= d < to covered by at least one request, where a request
 * authored on day A with S days' supply covers days A .. A+S-1. Overlapping prescriptions count
 * a day once (the IG collapses the intervals). Requests without authoredOn or supply are skipped.
 */
export function daysCovered(requests: readonly Json[], from: string, to: string): number {
  const start = dayNumber(from);
  const end = dayNumber(to);
  if (start === undefined || end === undefined || end <= start) return 0;
  const covered = new Set<number>();
  for (const request of requests) {
    const authored = typeof request.authoredOn === 'string' ? dayNumber(request.authoredOn) : undefined;
    const supply = supplyDays(request);
    if (authored === undefined || supply === undefined || supply <= 0) continue;
    const last = Math.min(end, authored + Math.ceil(supply));
    for (let d = Math.max(start, authored); d < last; d++) covered.add(d);
  }
  return covered.size;
}
