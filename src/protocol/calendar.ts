/**
 * The call's calendar day, as FHIRPath's `today()` gives it (the local date of the call's one
 * clock reading): rules (src/rules/functions.ts) and prefetch tokens (`{{today() - 90 days}}`)
 * count from the same day.
 */
const two = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DD` of `d` in local time. */
export const localDate = (d: Date): string => `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;

/** The local date `days` calendar days after (or, negative, before) `d`. */
export function localDateAfter(d: Date, days: number): string {
  return localDate(new Date(d.getFullYear(), d.getMonth(), d.getDate() + days));
}
