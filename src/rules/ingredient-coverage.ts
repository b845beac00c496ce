/**
 * The `check` warning for value sets that miss products of an ingredient they otherwise cover
 * (rxnorm.ts does the comparison; this reads the value set files and places the warning).
 */
import { conceptsOf, valueSetFileSchema } from './valuesets.ts';
import { describeGap, ingredientCoverageGaps, INTENTIONALLY_PARTIAL, rxnormIndex } from './rxnorm.ts';
import { parseContentFile, type ContentProblem, type SourceFile } from './source.ts';

export function valueSetCoverageWarnings(files: readonly SourceFile[], data: ReadonlyMap<string, unknown>): ContentProblem[] {
  const index = rxnormIndex(data);
  if (!index) return [];
  const warnings: ContentProblem[] = [];
  for (const file of files) {
    // A cheap JSON read first; the positional parse (for the warning's line) only when there is
    // a gap. Malformed files are reported once, by the value set loader.
    let json: unknown;
    try {
      json = JSON.parse(file.text);
    } catch {
      continue;
    }
    const checked = valueSetFileSchema.safeParse(json);
    if (!checked.success) continue;
    const extensions = (checked.data as { extension?: { url?: string }[] }).extension ?? [];
    if (extensions.some((e) => e?.url === INTENTIONALLY_PARTIAL)) continue;
    const gaps = ingredientCoverageGaps(conceptsOf(checked.data), index);
    if (gaps.length === 0) continue;
    const parsed = parseContentFile(file, valueSetFileSchema, []);
    if (!parsed?.data) continue;
    for (const gap of gaps) {
      warnings.push(parsed.source.problemAt(['expansion'], `value set '${parsed.data.id}' ${describeGap(gap)}`, 'warning'));
    }
  }
  return warnings;
}
