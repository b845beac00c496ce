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
    // Syntax and schema problems are reported once, by the value set loader.
    const parsed = parseContentFile(file, valueSetFileSchema, []);
    if (!parsed?.data) continue;
    const extensions = (parsed.data as { extension?: { url?: string }[] }).extension ?? [];
    if (extensions.some((e) => e?.url === INTENTIONALLY_PARTIAL)) continue;
    for (const gap of ingredientCoverageGaps(conceptsOf(parsed.data), index)) {
      warnings.push(parsed.source.problemAt(['expansion'], `value set '${parsed.data.id}' ${describeGap(gap)}`, 'warning'));
    }
  }
  return warnings;
}
