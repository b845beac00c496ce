/**
 * Fills a card template with a rule's values and checks the result against the CDS Hooks card
 * schema. Text placeholders read as a clinician would ("ibuprofen 400 MG Oral Tablet", "7.2 %");
 * a placeholder that is a whole value inside a FHIR resource keeps its JSON shape.
 */
import { type Action, actionSchema, type Card, cardSchema, type ClientFeature, SUMMARY_MAX } from '../protocol/card.ts';
import { firstIssue } from '../protocol/problems.ts';
import { fillPlaceholders, wholePlaceholder } from './placeholders.ts';
import type { ActionTemplate, CardTemplate } from './schema.ts';
import { markdownText, plainText } from './escape.ts';

/** Values for placeholders: FHIRPath results by name. `context.x` is looked up in `context`. */
export type CardValues = Record<string, unknown[]>;

export class CardRenderError extends Error {}

/**
 * @example
 * renderCard(template, { drug: ['ibuprofen 400 MG Oral Tablet'] }, context, () => crypto.randomUUID())
 */
export function renderCard(
  template: CardTemplate,
  values: CardValues,
  context: Record<string, unknown>,
  newUuid: () => string,
  /** Ballot features the calling client supports (CDS_TRUSTED_CLIENTS `supports`). */
  clientSupports: readonly ClientFeature[] = [],
): Card {
  const actionSelection = clientSupports.includes('actionSelectionBehavior');
  const { lookup, text, markdown, present } = filler(values, context);

  const summary = text(template.summary);
  const card = {
    uuid: newUuid(),
    summary: summary.length > SUMMARY_MAX ? `${summary.slice(0, SUMMARY_MAX - 1)}…` : summary,
    ...(template.detail !== undefined ? optionalText(markdown(template.detail), 'detail') : {}),
    indicator: template.indicator,
    source: {
      label: text(template.source.label),
      ...(template.source.url ? { url: text(template.source.url) } : {}),
      ...(template.source.icon ? { icon: text(template.source.icon) } : {}),
      ...(template.source.topic ? { topic: template.source.topic } : {}),
    },
    ...nonEmpty(
      'suggestions',
      (template.suggestions ?? [])
        .filter((s) => present(s.if))
        .map((s) => ({
          label: text(s.label),
          uuid: newUuid(),
          ...(s.isRecommended !== undefined ? { isRecommended: s.isRecommended } : {}),
          ...(actionSelection && s.actionSelectionBehavior ? { actionSelectionBehavior: s.actionSelectionBehavior } : {}),
          ...nonEmpty(
            'actions',
            (s.actions ?? []).map((a) => renderAction(a, lookup, text)),
          ),
        })),
    ),
    ...nonEmpty(
      'links',
      (template.links ?? [])
        .filter((l) => present(l.if))
        .map((l) => ({
          label: text(l.label),
          url: text(l.url),
          type: l.type,
          ...(l.appContext !== undefined ? { appContext: appContextOf(fill(l.appContext, lookup, text)) } : {}),
          ...(l.autolaunchable !== undefined ? { autolaunchable: l.autolaunchable } : {}),
        })),
    ),
    ...(template.overrideReasons ? { overrideReasons: template.overrideReasons } : {}),
  } as Record<string, unknown>;
  if (card.suggestions && template.selectionBehavior) card.selectionBehavior = template.selectionBehavior;
  else if (card.suggestions) card.selectionBehavior = 'at-most-one';

  const checked = cardSchema.safeParse(card);
  if (!checked.success) {
    throw new CardRenderError(`rendered card is invalid at ${firstIssue(checked.error, 'card')}`);
  }
  return checked.data;
}

/**
 * Response-level `systemActions` a rule asks for (actions the EHR may apply without a card),
 * filled like card actions and checked against the spec's Action.
 */
export function renderSystemActions(templates: ActionTemplate[], values: CardValues, context: Record<string, unknown>): Action[] {
  const { lookup, text } = filler(values, context);
  return templates.map((template, i) => {
    const checked = actionSchema.safeParse(renderAction(template, lookup, text));
    if (!checked.success) {
      throw new CardRenderError(`rendered system action ${i + 1} is invalid at ${firstIssue(checked.error, 'action')}`);
    }
    return checked.data;
  });
}

type Lookup = (name: string) => unknown[];

/** Placeholder lookups for one rule's values and the call's context. */
function filler(values: CardValues, context: Record<string, unknown>) {
  const lookup: Lookup = (name) => {
    // Own properties only: `{{context.constructor}}` must not read Object.prototype.
    if (name.startsWith('context.')) {
      const field = name.slice('context.'.length);
      const v = Object.hasOwn(context, field) ? context[field] : undefined;
      return v === undefined || v === null ? [] : [v];
    }
    return Object.hasOwn(values, name) ? values[name]! : [];
  };
  // What fills a placeholder is data: plain text in text fields, escaped in markdown (escape.ts).
  const filled = (s: string, as: (value: string) => string) => fillPlaceholders(s, (name) => as(lookup(name).map(readable).join(', ')));
  const text = (s: string) => filled(s, plainText);
  const markdown = (s: string) => filled(s, markdownText);
  const present = (name: string | undefined) => name === undefined || lookup(name).length > 0;
  return { lookup, text, markdown, present };
}

function renderAction(a: ActionTemplate, lookup: Lookup, text: (s: string) => string) {
  return {
    type: a.type,
    description: text(a.description),
    ...('resource' in a ? { resource: fill(a.resource, lookup, text) } : {}),
    ...('resourceId' in a ? { resourceId: text(a.resourceId) } : {}),
  };
}

/** Fills placeholders inside a JSON value; a string that is one placeholder becomes its value. */
function fill(value: unknown, lookup: (name: string) => unknown[], text: (s: string) => string): unknown {
  if (typeof value === 'string') {
    const whole = wholePlaceholder(value);
    if (whole === undefined) return text(value);
    const items = lookup(whole);
    return items.length === 0 ? undefined : items.length === 1 ? items[0] : items;
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, lookup, text)).filter((v) => v !== undefined);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const filled = fill(v, lookup, text);
      if (filled !== undefined && !(Array.isArray(filled) && filled.length === 0)) out[k] = filled;
    }
    return out;
  }
  return value;
}

function appContextOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** How a FHIRPath value reads in a sentence. */
export function readable(item: unknown): string {
  if (item === null || item === undefined) return '';
  if (typeof item !== 'object') return String(item);
  const o = item as Record<string, unknown>;
  if (typeof o.display === 'string') return o.display;
  if (typeof o.text === 'string') return o.text;
  if (typeof o.value === 'number' || typeof o.value === 'string') {
    const unit = typeof o.unit === 'string' ? o.unit : typeof o.code === 'string' ? o.code : '';
    return unit ? `${o.value} ${unit}` : String(o.value);
  }
  if (Array.isArray(o.coding) && o.coding.length > 0) return readable(o.coding[0]);
  return JSON.stringify(item);
}

const nonEmpty = <K extends string>(key: K, list: unknown[]) => (list.length > 0 ? { [key]: list } : {});
const optionalText = (value: string, key: string) => (value.trim() ? { [key]: value } : {});
