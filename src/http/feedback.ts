/**
 * The feedback body (CDS Hooks 2.0, "Feedback"): which cards were accepted or overridden, and why.
 * Lenient where the reference sandbox is sloppy (an override reason without `system`); strict
 * where a loose check let anything in (issue 13, finding 6): bounded sizes and item counts, real
 * dates, and a card and suggestions that are this service's.
 */
import { z } from 'zod';
import { badRequest, HttpError, type Problem } from '../protocol/errors.ts';
import { zodProblems } from '../protocol/problems.ts';
import type { KnownCard } from '../store/store.ts';

/** RFC 3339 date-time; the spec asks for UTC but an offset is unambiguous, so it is accepted. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/i;

/** Whether every field of an RFC 3339 date-time exists: no 30 February, hour 24 or offset +25:00. */
export function isRealDateTime(value: string): boolean {
  const m = RFC3339.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  const dayExists = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  // Second 60 is a leap second (RFC 3339 allows it).
  const timeExists = hour <= 23 && minute <= 59 && second <= 60;
  const offsetExists = m[9] === undefined || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  return dayExists && timeExists && offsetExists;
}

/** Limits on one feedback call (CDS_FEEDBACK_MAX_ITEMS, CDS_FEEDBACK_MAX_TEXT). */
export interface FeedbackLimits {
  maxItems: number;
  /** Characters of a free-text field (userComment, a reason's display). */
  maxText: number;
}

/** Ids and codes are short by nature; a card uuid is 36 characters. */
const ID_MAX = 256;
const id = (what: string) => z.string().min(1, `must be ${what}`).max(ID_MAX, `must be at most ${ID_MAX} characters`);

function feedbackBodySchema({ maxItems, maxText }: FeedbackLimits) {
  const text = z.string().max(maxText, `must be at most ${maxText} characters`);
  const item = z
    .looseObject({
      card: id('the uuid of a card'),
      outcome: z.enum(['accepted', 'overridden'], { error: "must be 'accepted' or 'overridden'" }),
      acceptedSuggestions: z.array(z.looseObject({ id: id('a suggestion uuid') })).max(maxItems, `must hold at most ${maxItems} items`).optional(),
      overrideReason: z
        .looseObject({
          reason: z.looseObject({ code: id('a code'), system: id('a code system').optional(), display: text.optional() }).optional(),
          userComment: text.optional(),
        })
        .refine((r) => r.reason !== undefined || r.userComment !== undefined, 'needs a reason or a userComment')
        .optional(),
      outcomeTimestamp: z
        .string()
        .max(64, 'must be an RFC 3339 date-time, e.g. 2021-12-11T10:05:31Z')
        .regex(RFC3339, 'must be an RFC 3339 date-time, e.g. 2021-12-11T10:05:31Z')
        .refine(isRealDateTime, 'must be a real date and time'),
    })
    .superRefine((item, ctx) => {
      if (item.outcome === 'accepted' && !item.acceptedSuggestions?.length) {
        ctx.addIssue({ code: 'custom', path: ['acceptedSuggestions'], message: "is required when outcome is 'accepted'" });
      }
    });
  // The item count is checked before the schema runs (parseFeedback).
  return z.looseObject({ feedback: z.array(item) });
}

type FeedbackBodySchema = ReturnType<typeof feedbackBodySchema>;
export type FeedbackItem = z.infer<FeedbackBodySchema>['feedback'][number];

/** One schema per limits (the settings do not change while the process runs). */
const schemas = new Map<string, FeedbackBodySchema>();

export function parseFeedback(body: unknown, limits: FeedbackLimits): FeedbackItem[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('the feedback body must be a JSON object with a feedback array');
  }
  const key = `${limits.maxItems}:${limits.maxText}`;
  let schema = schemas.get(key);
  if (!schema) schemas.set(key, (schema = feedbackBodySchema(limits)));
  // The item count first: validating 34,000 items only to refuse them blocked the service.
  const list = (body as { feedback?: unknown }).feedback;
  if (Array.isArray(list) && list.length > limits.maxItems) throw badRequest(`must hold at most ${limits.maxItems} items`, 'feedback');
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new HttpError(400, zodProblems(parsed.error));
  return parsed.data.feedback;
}

/**
 * Feedback through one service's endpoint is about that service's cards, and an accepted
 * suggestion is one of the card's. A card this store does not know (another node, before a
 * reset) cannot be checked and is stored unlinked.
 * @throws HttpError 400 naming each offending field.
 */
export function checkFeedbackBelongs(items: readonly FeedbackItem[], serviceId: string, known: ReadonlyMap<string, KnownCard>): void {
  const problems: Problem[] = [];
  items.forEach((item, i) => {
    const card = known.get(item.card);
    if (!card) return;
    if (card.serviceId !== serviceId) {
      problems.push({ field: `feedback[${i}].card`, message: 'is a card of another service' });
      return;
    }
    item.acceptedSuggestions?.forEach((s, j) => {
      if (!card.suggestionUuids.includes(s.id)) problems.push({ field: `feedback[${i}].acceptedSuggestions[${j}].id`, message: 'is not a suggestion of this card' });
    });
  });
  if (problems.length > 0) throw new HttpError(400, problems);
}
