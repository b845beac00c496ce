/** Periods as people write them on a command line or in a query string: `30d`, `12h`, `90m`. */
const UNITS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

export class PeriodError extends Error {}

/** Milliseconds in a period such as `7d`; throws PeriodError naming what was expected. */
export function parsePeriod(text: string, name = 'since'): number {
  const m = /^(\d{1,5})([dhm])$/.exec(text.trim());
  if (!m || Number(m[1]) === 0) throw new PeriodError(`${name}=${JSON.stringify(text)}: expected a period such as 7d, 12h or 90m`);
  return Number(m[1]) * UNITS[m[2] as keyof typeof UNITS];
}
