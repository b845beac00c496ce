/**
 * The feedback body (CDS Hooks 2.0, "Feedback"): which cards were accepted or overridden, and why.
 * Lenient where the reference sandbox is sloppy (an override reason without `system`).
 */
import { z } from 'zod';
import { badRequest, HttpError } from '../protocol/errors.ts';
import { zodProblems } from '../protocol/problems.ts';

/** RFC 3339 date-time; the spec asks for UTC but an offset is unambiguous, so it is accepted. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

const feedbackItemSchema = z
  .looseObject({
    card: z.string().min(1, 'must be the uuid of a card'),
    outcome: z.enum(['accepted', 'overridden'], { error: "must be 'accepted' or 'overridden'" }),
    acceptedSuggestions: z.array(z.looseObject({ id: z.string().min(1, 'must be a suggestion uuid') })).optional(),
    overrideReason: z
      .looseObject({
        reason: z.looseObject({ code: z.string().min(1), system: z.string().optional(), display: z.string().optional() }).optional(),
        userComment: z.string().optional(),
      })
      .refine((r) => r.reason !== undefined || r.userComment !== undefined, 'needs a reason or a userComment')
      .optional(),
    outcomeTimestamp: z
      .string()
      .regex(RFC3339, 'must be an RFC 3339 date-time, e.g. 2021-12-11T10:05:31Z')
      .refine((s) => !Number.isNaN(Date.parse(s)), 'must be a real date and time'),
  })
  .superRefine((item, ctx) => {
    if (item.outcome === 'accepted' && !item.acceptedSuggestions?.length) {
      ctx.addIssue({ code: 'custom', path: ['acceptedSuggestions'], message: "is required when outcome is 'accepted'" });
    }
  });

export const feedbackBodySchema = z.looseObject({ feedback: z.array(feedbackItemSchema) });

export type FeedbackItem = z.infer<typeof feedbackItemSchema>;

export function parseFeedback(body: unknown): FeedbackItem[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('the feedback body must be a JSON object with a feedback array');
  }
  const parsed = feedbackBodySchema.safeParse(body);
  if (!parsed.success) throw new HttpError(400, zodProblems(parsed.error));
  return parsed.data.feedback;
}
