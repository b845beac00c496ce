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

/**
 * What it means when a prefetch key can be had neither from the request nor from the FHIR
 * server (an error status, an unsupported type, an OperationOutcome in its place):
 * - `skip` (the default): the rules that read it, directly or through defines, are left out
 *   and named in the response; the others run.
 * - `empty`: it is treated as an empty result (for exclusion-only data); the cards of rules
 *   that read it say what could not be checked.
 * - `fail`: the whole call is answered 412.
 */
export const PREFETCH_ABSENCE = ['skip', 'empty', 'fail'] as const;
export type PrefetchAbsence = (typeof PREFETCH_ABSENCE)[number];
const ifUnavailableSchema = z.record(variableName, z.enum(PREFETCH_ABSENCE, { error: `must be one of ${PREFETCH_ABSENCE.join(', ')}` }));

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
  /** Per prefetch key of this file: what its absence means (default skip). */
  ifUnavailable: ifUnavailableSchema.optional(),
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
  /** Per prefetch key of this file: what its absence means (default skip). */
  ifUnavailable: ifUnavailableSchema.optional(),
});

export const ruleFileSchema = z.strictObject({
  id: ruleIdSchema,
  title: z.string().min(1),
  description: z.string().min(1).optional(),
  /** Guidelines, labels or papers the rule implements; at least one. */
  references: z.array(referenceSchema).min(1, 'cite at least one source'),
  /** `false` keeps the rule loaded and checked but never evaluated. */
  enabled: z.boolean().optional(),
  prefetch: prefetchSchema.optional(),
  /** Per prefetch key of this file: what its absence means (default skip). */
  ifUnavailable: ifUnavailableSchema.optional(),
  define: defineSchema.optional(),
  when: conditionSchema,
  /** The card template, by its path under cards/ without the extension. */
  card: z.string().min(1).optional(),
  /** Actions the EHR may apply without a card (response-level systemActions), with placeholders. */
  systemActions: z.array(actionTemplateSchema).min(1).optional(),
  /** Card and system action placeholder values, each a FHIRPath expression. */
  with: defineSchema.optional(),
}).refine((rule) => rule.card !== undefined || rule.systemActions !== undefined, {
  message: 'a rule needs a card, systemActions, or both',
  path: ['card'],
});

export type ServiceFile = z.infer<typeof serviceFileSchema>;
export type LibraryFile = z.infer<typeof libraryFileSchema>;
export type RuleFile = z.infer<typeof ruleFileSchema>;
