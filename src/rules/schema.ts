/**
 * The schemas of service and rule files. The loader validates with them, the types come from
 * them, and the editor JSON Schemas are generated from them: one definition for all three.
 */
import { z } from 'zod';
import { HOOK_NAMES } from '../protocol/hooks.ts';
import { actionTemplateSchema } from '../cards/schema.ts';
import { httpUrlSchema } from '../protocol/validators.ts';

/** Names usable as FHIRPath `%variables`: prefetch keys, defines, card values. */
const variableName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must start with a letter and use only letters, digits and _');

/** A rule id: lower-case letters, digits, ., _ and -. */
export const RULE_ID = /^[a-z0-9][a-z0-9._-]*$/;

export const ruleIdSchema = z
  .string()
  .regex(RULE_ID, 'must be lower-case letters, digits, ., _ and -')
  .describe('The rule id: lower-case letters, digits, ., _ and -; unique in its service')
  .meta({ examples: ['warfarin-nsaid'] });

const expression = z.string().min(1, 'must be a FHIRPath expression');

export type Condition = string | { all: Condition[] } | { any: Condition[] } | { not: Condition };

// The getter returns one schema object: a new one per call would make the JSON Schema infinite.
const conditionSchema: z.ZodType<Condition> = z.lazy(() => conditionForms);
const conditionForms: z.ZodType<Condition> = z.union([
  expression.describe('A FHIRPath expression that gives true, false or empty (empty is false)'),
  z.strictObject({ all: z.array(conditionSchema).min(1).describe('True when every condition is true') }),
  z.strictObject({ any: z.array(conditionSchema).min(1).describe('True when at least one condition is true') }),
  z.strictObject({ not: conditionSchema.describe('True when the condition is false or empty') }),
]);

const prefetchSchema = z
  .record(variableName, z.string().min(1, 'must be a FHIR query').describe('A relative FHIR query with {{context.*}} tokens'))
  .describe('FHIR queries the EHR may prefetch, by key; each key is a FHIRPath variable %key (the resource, or the search Bundle)')
  .meta({ examples: [{ patient: 'Patient/{{context.patientId}}', meds: 'MedicationRequest?patient={{context.patientId}}&status=active' }] });
const defineSchema = z
  .record(variableName, expression.describe('A FHIRPath expression'))
  .describe('Named FHIRPath expressions, read as %name; computed at most once per call, and only when a condition reaches them')
  .meta({ examples: [{ adult: '%patient.birthDate.ageInYears() >= 18' }] });

/**
 * Each object needs at least one of `keys`: checked by the loader (refine) and stated in the
 * editor's JSON Schema (anyOf required), from this one list.
 */
function atLeastOneOf<T extends z.ZodObject>(schema: T, keys: readonly (keyof z.infer<T> & string)[], message: string) {
  return schema
    .refine((value) => keys.some((key) => (value as Record<string, unknown>)[key] !== undefined), { message, path: [keys[0]!] })
    .meta({ anyOf: keys.map((key) => ({ required: [key] })) });
}

const referenceSchema = z.strictObject({
  label: z.string().min(1).describe('How the source is cited').meta({ examples: ['CDC Clinical Practice Guideline for Prescribing Opioids for Pain, 2022'] }),
  url: httpUrlSchema().describe('Where the source can be read (http or https)').meta({ examples: ['https://www.cdc.gov/mmwr/volumes/71/rr/rr7103a1.htm'] }),
});

export const libraryFileSchema = z.strictObject({
  description: z.string().min(1).optional().describe('What the library offers'),
  prefetch: prefetchSchema.optional().describe('Queries every including service gets'),
  define: defineSchema.optional().describe('FHIRPath every including service gets, as if it were its own defines'),
});

export const serviceFileSchema = z.strictObject({
  include: z
    .array(z.string().regex(/^[A-Za-z0-9._-]+$/, 'a library name (its file name under rules/libraries/)'))
    .optional()
    .describe('Libraries (rules/libraries/<name>.yaml) whose prefetch and defines this service uses')
    .meta({ examples: [['opioid-common']] }),
  hook: z.enum(HOOK_NAMES as [string, ...string[]], { error: `must be one of ${HOOK_NAMES.join(', ')}` }).describe('The CDS hook the service answers'),
  title: z.string().min(1).describe('The service title in discovery'),
  description: z.string().min(1).describe('What the service checks, in discovery'),
  usageRequirements: z.string().min(1).optional().describe('What an EHR must do to use the service, in discovery'),
  prefetch: prefetchSchema.optional().describe('Queries shared by every rule of the service'),
  define: defineSchema.optional().describe('FHIRPath shared by every rule of the service, computed at most once per call'),
});

export const ruleFileSchema = atLeastOneOf(
  z.strictObject({
    id: ruleIdSchema,
    title: z.string().min(1).describe('What the rule checks, in one line'),
    description: z.string().min(1).optional().describe('The clinical reasoning, for reviewers'),
    references: z.array(referenceSchema).min(1, 'cite at least one source').describe('Guidelines, labels or papers the rule implements; at least one'),
    enabled: z.boolean().optional().describe('false keeps the rule loaded and checked but never evaluated'),
    prefetch: prefetchSchema.optional(),
    define: defineSchema.optional(),
    when: conditionSchema
      .describe('When the rule fires: a FHIRPath yes/no, or all/any/not of such conditions')
      .meta({ examples: ["%draftOrders.entry.resource.where(medication.coding.inValueSet('nsaids')).exists()", { all: ['%adult', '%onWarfarin'] }] }),
    card: z.string().min(1).optional().describe('The card template, by its path under cards/ without the extension').meta({ examples: ['bleeding-risk'] }),
    systemActions: z.array(actionTemplateSchema).min(1).optional().describe('Actions the EHR may apply without a card (response-level systemActions), with placeholders'),
    with: defineSchema
      .optional()
      .describe('Values for the card and system action placeholders {{name}}, each a FHIRPath expression')
      .meta({ examples: [{ drug: '%nsaidDrafts.first().medication' }] }),
  }),
  ['card', 'systemActions'],
  'a rule needs a card, systemActions, or both',
);

export type ServiceFile = z.infer<typeof serviceFileSchema>;
export type LibraryFile = z.infer<typeof libraryFileSchema>;
export type RuleFile = z.infer<typeof ruleFileSchema>;
