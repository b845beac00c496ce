/**
 * Dates relative to the day a rule test runs: `$today`, `$today-7mo`, `$today-40y+1d`, `$now-2h`
 * (units y, mo, w, d, h). One pattern for the test runner, which replaces them, and for `check`,
 * which refuses a misspelt one: left as it is, `$today-2days` would reach the rule as text.
 */
import { type ContentProblem, type SourceFile, YamlSource } from '../rules/source.ts';

export const RELATIVE_DATE = /^\$(today|now)((?:[+-]\d+(?:y|mo|w|d|h))*)$/;

/** What an author meant as a relative date: `$` and a word, alone or followed by + or -. */
const LOOKS_RELATIVE = /^\$[A-Za-z]+(?:[+-]|$)/;

/** A problem for each string in a test file that looks like a relative date and is not one. */
export function misspeltRelativeDates(file: SourceFile): ContentProblem[] {
  const { source } = YamlSource.parse(file);
  if (!source) return [];
  const problems: ContentProblem[] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    if (typeof value === 'string') {
      if (LOOKS_RELATIVE.test(value) && !RELATIVE_DATE.test(value)) {
        problems.push(
          source.problemAt(path, `'${value}' is not a relative date: expected $today or $now, then +N or -N with a unit y, mo, w, d or h (e.g. $today-2d)`),
        );
      }
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(source.toJS(), []);
  return problems;
}
