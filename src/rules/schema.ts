/**
 * The schemas of service and rule files. The loader validates with them, the types come from
 * them, and the editor JSON Schemas are generated from them: one definition for all three.
 */
import { z } from 'zod';
import { HOOK_NAMES } from '../protocol/hooks.ts';
import { actionTemplateSchema } from '../cards/schema.ts';

/** Names usable as FHIRPath `%variables`: prefetch keys, defines, card values. */
export const variableName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must start with a letter and use only letters, digits and _');

export const ruleIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, ., _ and -');

export const RULE_STATUSES = ['active', 'silent', 'retired'] as const;
export type RuleStatus = (typeof RULE_STATUSES)[number];

/** A calendar date written YYYY-MM-DD that exists (no 2026-02-30). */
const isoDate = z.string().refine((s) => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}, 'a date that exists, written YYYY-MM-DD');

const expression = z.string().min(1, 'must be a FHIRPath expression');

export type Condition = string | { all: Condition[] } | { any: Condition[] } | { not: Condition };

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    expression,
    z.strictObject({ all: z.array(conditionSchema).min(1) }),
    z.strictObject({ any: z.array(conditionSchema).min(1) }),
    z.strictObject({ not: conditionSchema }),
  ]),
);

const prefetchSchema = z.record(variableName, z.string().min(1, 'must be a FHIR query'));
const defineSchema = z.record(variableName, expression);

export const referenceSchema = z.strictObject({
  label: z.string().min(1),
  url: z.url({ protocol: /^https?$/ }),
});

export const libraryFileSchema = z.strictObject({
  description: z.string().min(1).optional(),
  /** Queries every including service gets. */
  prefetch: prefetchSchema.optional(),
  /** FHIRPath every including service gets, as if it were the service's own defines. */
  define: defineSchema.optional(),
});

export const serviceFileSchema = z.strictObject({
  /** Libraries (rules/libraries/<name>.yaml) whose prefetch and defines this service uses. */
  include: z.array(z.string().regex(/^[A-Za-z0-9._-]+$/, 'a library name (its file name under rules/libraries/)')).optional(),
  hook: z.enum(HOOK_NAMES as [string, ...string[]], { error: `must be one of ${HOOK_NAMES.join(', ')}` }),
  title: z.string().min(1),
  description: z.string().min(1),
  usageRequirements: z.string().min(1).optional(),
  /** Queries shared by every rule of the service. */
  prefetch: prefetchSchema.optional(),
  /** FHIRPath shared by every rule of the service, computed at most once per call. */
  define: defineSchema.optional(),
});

export const ruleFileSchema = z.strictObject({
  id: ruleIdSchema,
  title: z.string().min(1),
  description: z.string().min(1).optional(),
  /** Guidelines, labels or papers the rule implements; at least one. */
  references: z.array(referenceSchema).min(1, 'cite at least one source'),
  /** The author's own version label (e.g. `2.1`); the content hash is added to it. */
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'a short label: letters, digits, ., _ and - (e.g. 2.1)').optional(),
  /**
   * `active` (default) answers the EHR; `silent` is evaluated and recorded but returns nothing;
   * `retired` stays loaded and checked but is never evaluated.
   */
  status: z.enum(RULE_STATUSES, { error: `must be one of ${RULE_STATUSES.join(', ')}` }).optional(),
  /** Older spelling: `enabled: false` is `status: retired`. */
  enabled: z.boolean().optional(),
  /** Share of patients (or users) an active rule answers, e.g. `10%`; the rest is recorded as silent. */
  rollout: z.string().regex(/^(100|[1-9]?[0-9])(\.[0-9]+)?%$/, 'a percentage from 0% to 100%, e.g. 10%').optional(),
  /** Whose id decides the rollout share: the patient's (default) or the user's. */
  rolloutBy: z.enum(['patient', 'user'], { error: 'must be patient or user' }).optional(),
  /** Who approved the rule for use (`check --strict` requires it of active rules). */
  approvedBy: z.string().min(1).optional(),
  /** The approval date, YYYY-MM-DD. */
  approvedOn: isoDate.optional(),
  /** Where the review is recorded: a URL or a ticket id. */
  review: z.string().min(1).optional(),
  prefetch: prefetchSchema.optional(),
  define: defineSchema.optional(),
  when: conditionSchema,
  /** The card template, by its path under cards/ without the extension. */
  card: z.string().min(1).optional(),
  /** Actions the EHR may apply without a card (response-level systemActions), with placeholders. */
  systemActions: z.array(actionTemplateSchema).min(1).optional(),
  /** Card and system action placeholder values, each a FHIRPath expression. */
  with: defineSchema.optional(),
})
  .refine((rule) => rule.card !== undefined || rule.systemActions !== undefined, {
    message: 'a rule needs a card, systemActions, or both',
    path: ['card'],
  })
  .refine((rule) => !(rule.enabled === false && rule.status !== undefined && rule.status !== 'retired'), {
    message: 'false means status: retired; give status alone',
    path: ['enabled'],
  })
  .refine((rule) => (rule.approvedBy === undefined) === (rule.approvedOn === undefined), {
    message: 'approvedBy and approvedOn go together',
    path: ['approvedOn'],
  });

export type ServiceFile = z.infer<typeof serviceFileSchema>;
export type LibraryFile = z.infer<typeof libraryFileSchema>;
export type RuleFile = z.infer<typeof ruleFileSchema>;
