/**
 * A rule and its card fit together: the card exists, every placeholder it (and the rule's
 * systemActions) uses is filled by the rule's `with`, and every `with` value is shown somewhere.
 */
import type { ActionTemplate, CardTemplate } from '../cards/schema.ts';
import { malformedPlaceholders, placeholdersOf } from '../cards/placeholders.ts';
import type { Shared } from './compile-expression.ts';
import type { RuleFile } from './schema.ts';
import { type ContentProblem, didYouMean, problem, type YamlSource } from './source.ts';

/** The rule's card template; undefined (and reported, unless its file is broken) when missing. */
export function resolveCard(source: YamlSource, rule: RuleFile, shared: Shared, problems: ContentProblem[]): CardTemplate | undefined {
  if (rule.card === undefined) return undefined;
  const card = shared.cards.get(rule.card);
  // A card whose file is broken has its own problem; "does not exist" would send the author
  // looking for a missing file.
  if (!card && !shared.brokenCards.has(rule.card)) {
    const hint = didYouMean(rule.card, [...shared.cards.keys()]);
    problems.push(source.problemAt(['card'], `card template '${rule.card}' does not exist in cards/${hint}`));
  }
  return card;
}

export function checkPlaceholders(
  source: YamlSource,
  rule: { card?: string; with?: Record<string, string>; systemActions?: ActionTemplate[] },
  card: CardTemplate | undefined,
  problems: ContentProblem[],
): void {
  const provided = new Set(Object.keys(rule.with ?? {}));
  const cardUses = card ? placeholdersOf(card) : [];
  const actionUses = placeholdersOf(rule.systemActions ?? []);
  const used = new Set([...cardUses, ...actionUses].map((u) => u.name));
  if (card || rule.systemActions) {
    for (const name of provided) {
      if (!used.has(name)) problems.push(source.problemAt(['with', name], `no card text or system action uses {{${name}}}: this value is never shown`, 'warning', true));
    }
  }
  const unfilled = (use: { name: string }) => !use.name.startsWith('context.') && !provided.has(use.name);
  for (const use of cardUses.filter(unfilled)) {
    problems.push(source.problemAt(['card'], `card '${rule.card}' uses {{${use.name}}} (at ${use.path.join('.')}), which this rule's 'with' does not fill`));
  }
  for (const bad of malformedPlaceholders(rule.systemActions ?? [])) {
    const pos = source.positionInString(['systemActions', ...bad.path], bad.offset);
    problems.push(problem(source.path, pos.line, pos.column, bad.message));
  }
  for (const use of actionUses.filter(unfilled)) {
    problems.push(source.problemAt(['systemActions', ...use.path], `{{${use.name}}} is not filled by this rule's 'with'`));
  }
}
