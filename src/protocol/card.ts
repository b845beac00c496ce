/**
 * The CDS Hooks 2.0 response, as zod schemas. Every card the service renders is checked against
 * these before it leaves, so a template mistake becomes a recorded rule error, never a malformed
 * card in an EHR.
 */
import { z } from 'zod';
import { httpUrlSchema, RELATIVE_REFERENCE } from './validators.ts';

const nonEmpty = z.string().min(1, 'must not be empty');

const absoluteUrl = httpUrlSchema();

export const codingSchema = z.strictObject({
  system: nonEmpty,
  code: nonEmpty,
  display: nonEmpty.optional(),
});

export const actionSchema = z
  .strictObject({
    type: z.enum(['create', 'update', 'delete']),
    description: nonEmpty,
    resource: z.looseObject({ resourceType: nonEmpty }).optional(),
    resourceId: z.string().regex(RELATIVE_REFERENCE, 'must be a relative reference {type}/{id}').optional(),
  })
  .superRefine((action, ctx) => {
    if ((action.type === 'create' || action.type === 'update') && !action.resource) {
      ctx.addIssue({ code: 'custom', path: ['resource'], message: `is required for a ${action.type} action` });
    }
    if (action.type === 'delete' && !action.resourceId) {
      ctx.addIssue({ code: 'custom', path: ['resourceId'], message: 'is required for a delete action' });
    }
    if (action.type === 'delete' && action.resource) {
      ctx.addIssue({ code: 'custom', path: ['resource'], message: 'must be omitted for a delete action (use resourceId)' });
    }
  });

/** CDS Hooks 3.0 ballot, Suggestion.actionSelectionBehavior (`all` is the default when absent). */
export const ACTION_SELECTION_BEHAVIORS = ['all', 'any', 'at-most-one'] as const;

/** Features of the 3.0 ballot a CDS client must say it supports before a service uses them. */
export const CLIENT_FEATURES = ['actionSelectionBehavior'] as const;
export type ClientFeature = (typeof CLIENT_FEATURES)[number];

export const suggestionSchema = z.strictObject({
  label: nonEmpty,
  uuid: z.uuid(),
  isRecommended: z.boolean().optional(),
  /**
   * CDS Hooks 3.0 ballot (STU): which of the suggestion's actions the user may pick. A service
   * "SHALL NOT make use of" it "without knowing that the requesting client supports it", so it is
   * sent only to clients configured as supporting it (`supports` in CDS_TRUSTED_CLIENTS).
   */
  actionSelectionBehavior: z.enum(ACTION_SELECTION_BEHAVIORS).optional(),
  actions: z.array(actionSchema).min(1).optional(),
});

export const linkSchema = z
  .strictObject({
    label: nonEmpty,
    url: absoluteUrl,
    type: z.enum(['absolute', 'smart']),
    appContext: nonEmpty.optional(),
    autolaunchable: z.boolean().optional(),
  })
  .refine((link) => link.type === 'smart' || link.appContext === undefined, {
    message: 'appContext is only allowed on smart links',
    path: ['appContext'],
  });

export const sourceSchema = z.strictObject({
  label: nonEmpty,
  url: absoluteUrl.optional(),
  icon: absoluteUrl.optional(),
  topic: codingSchema.optional(),
});

export const SUMMARY_MAX = 139;

export const cardSchema = z
  .strictObject({
    uuid: z.uuid(),
    summary: nonEmpty.max(SUMMARY_MAX, `must be under 140 characters`),
    detail: nonEmpty.optional(),
    indicator: z.enum(['info', 'warning', 'critical']),
    source: sourceSchema,
    suggestions: z.array(suggestionSchema).min(1).optional(),
    selectionBehavior: z.enum(['at-most-one', 'any']).optional(),
    overrideReasons: z.array(codingSchema.required({ display: true })).min(1).optional(),
    links: z.array(linkSchema).min(1).optional(),
  })
  .superRefine((card, ctx) => {
    if (card.suggestions && !card.selectionBehavior) {
      ctx.addIssue({ code: 'custom', path: ['selectionBehavior'], message: 'is required when there are suggestions' });
    }
    if (card.selectionBehavior === 'at-most-one' && (card.suggestions ?? []).filter((s) => s.isRecommended).length > 1) {
      ctx.addIssue({ code: 'custom', path: ['suggestions'], message: 'at most one suggestion may be recommended with at-most-one' });
    }
  });

export type Coding = z.infer<typeof codingSchema>;
export type Action = z.infer<typeof actionSchema>;
export type Suggestion = z.infer<typeof suggestionSchema>;
export type Link = z.infer<typeof linkSchema>;
export type Card = z.infer<typeof cardSchema>;

const SEVERITY: Record<Card['indicator'], number> = { critical: 0, warning: 1, info: 2 };

/**
 * Orders cards most severe first, for `Array.prototype.sort` (stable: cards of one severity keep
 * their order).
 */
export function bySeverity(a: Pick<Card, 'indicator'>, b: Pick<Card, 'indicator'>): number {
  return SEVERITY[a.indicator] - SEVERITY[b.indicator];
}

export interface HookResponse {
  cards: Card[];
  systemActions?: Action[];
  /** CDS Hooks extensions, keyed by a reverse-domain name. */
  extension?: Record<string, unknown>;
}
