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
const ifUnavailableSchema = z
  .record(variableName, z.enum(PREFETCH_ABSENCE, { error: `must be one of ${PREFETCH_ABSENCE.join(', ')}` }))
  .describe("Per prefetch key of this file, what it means when the EHR can give it neither in the request nor from its FHIR server: skip the rules that read it (default), treat it as empty (exclusion-only data; cards say it was not checked), or fail the call with 412")
  .meta({ examples: [{ encounters: 'empty' }] });

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
  ifUnavailable: ifUnavailableSchema.optional(),
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
  ifUnavailable: ifUnavailableSchema.optional(),
  define: defineSchema.optional().describe('FHIRPath shared by every rule of the service, computed at most once per call'),
});

export const ruleFileSchema = atLeastOneOf(
  z.strictObject({
    id: ruleIdSchema,
    title: z.string().min(1).describe('What the rule checks, in one line'),
    description: z.string().min(1).optional().describe('The clinical reasoning, for reviewers'),
    references: z.array(referenceSchema).min(1, 'cite at least one source').describe('Guidelines, labels or papers the rule implements; at least one'),
    version: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'a short label: letters, digits, ., _ and - (e.g. 2.1)')
      .optional()
      .describe("The author's own version label; the content version becomes <label>+<hash>")
      .meta({ examples: ['2.1'] }),
    status: z
      .enum(RULE_STATUSES, { error: `must be one of ${RULE_STATUSES.join(', ')}` })
      .optional()
      .describe('active (default) answers the EHR; silent is evaluated and recorded but returns nothing; retired is checked, never evaluated'),
    enabled: z.boolean().optional().describe('Older spelling: false is status: retired'),
    rollout: z
      .string()
      .regex(/^(100|[1-9]?[0-9])(\.[0-9]+)?%$/, 'a percentage from 0% to 100%, e.g. 10%')
      .optional()
      .describe('The share of patients (or users) an active rule answers; the rest is recorded as silent')
      .meta({ examples: ['10%'] }),
    rolloutBy: z.enum(['patient', 'user'], { error: 'must be patient or user' }).optional().describe("Whose id decides the rollout share: the patient's (default) or the user's"),
    approvedBy: z.string().min(1).optional().describe('Who approved the rule for use (check --strict requires it of active rules)'),
    approvedOn: isoDate.optional().describe('The approval date, YYYY-MM-DD').meta({ examples: ['2026-11-02'] }),
    review: z.string().min(1).optional().describe('Where the review is recorded: a URL or a ticket id'),
    prefetch: prefetchSchema.optional(),
    ifUnavailable: ifUnavailableSchema.optional(),
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
)
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
