/**
 * Card template files (`cards/*.yaml`): a CDS Hooks card with `{{placeholders}}` that a rule's
 * `with` values (or `context.<field>`) fill. `uuid`s are added at render time.
 */
import { ACTION_SELECTION_BEHAVIORS } from '../protocol/card.ts';
import { NON_ADHERENCE, NON_ADHERENCE_SYSTEM } from '../protocol/non-adherence.ts';
import { z } from 'zod';

const text = z.string().min(1, 'must not be empty');

const codingTemplate = z.strictObject({ system: text.describe('The code system URI'), code: text.describe('The code'), display: text.optional().describe('How the code reads') });

/**
 * An action, by its type as CDS Hooks defines it: create and update carry the `resource`, delete
 * names the resource to delete by `resourceId` (a delete with a `resource` is refused: the EHR
 * would get an action it cannot apply).
 */
export const actionTemplateSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.enum(['create', 'update']).describe('create: a new resource; update: the resource in its entirety'),
    description: text.describe('What the action does, as the clinician reads it'),
    resource: z
      .union([z.record(z.string(), z.unknown()), text])
      .describe('A FHIR resource with placeholders, or one placeholder that yields a whole resource')
      .meta({ examples: ['{{draftOrder}}', { resourceType: 'ServiceRequest', status: 'draft', intent: 'order', subject: { reference: 'Patient/{{context.patientId}}' } }] }),
  }),
  z.strictObject({
    type: z.literal('delete').describe('delete: remove the resource named by resourceId'),
    description: text.describe('What the action does, as the clinician reads it'),
    resourceId: text.describe('The resource to delete, as a relative reference').meta({ examples: ['{{draftOrderReference}}', 'MedicationRequest/{{orderId}}'] }),
  }),
]);

export const cardTemplateSchema = z.strictObject({
  summary: text.describe('One line for the clinician, under 140 characters once filled; {{name}} placeholders take the rule\'s with values').meta({ examples: ['Bleeding risk: {{drug}} with warfarin'] }),
  detail: text.optional().describe('More text (GitHub-flavoured markdown), with placeholders'),
  indicator: z.enum(['info', 'warning', 'critical']).describe('How urgent the card is'),
  source: z
    .strictObject({
      label: text.describe('Who says so: the guideline or organisation').meta({ examples: ['CDC Opioid Guideline 2022'] }),
      url: text.optional().describe('Where the clinician can read the source'),
      icon: text.optional().describe('An absolute URL of a 100x100 PNG'),
      topic: codingTemplate.optional().describe('A coded topic, for analytics'),
    })
    .describe('The source of the advice, shown with the card'),
  suggestions: z
    .array(
      z.strictObject({
        label: text.describe('What the suggestion does, as the clinician reads it').meta({ examples: ['Cancel the {{drug}} order'] }),
        isRecommended: z.boolean().optional().describe('The suggestion the card recommends'),
        actionSelectionBehavior: z
          .enum(ACTION_SELECTION_BEHAVIORS)
          .optional()
          .describe('CDS Hooks 3.0: which actions the clinician may pick (all, any, at-most-one); sent only to clients configured as supporting it, others apply all'),
        if: text.optional().describe('Include the suggestion only when this card value is non-empty'),
        actions: z.array(actionTemplateSchema).min(1).optional().describe('FHIR changes the EHR applies when the suggestion is taken'),
      }),
    )
    .min(1)
    .optional()
    .describe('Changes the clinician can accept with one click'),
  selectionBehavior: z.enum(['at-most-one', 'any']).optional().describe('How many suggestions may be taken; at-most-one when there are suggestions and this is absent'),
  overrideReasons: z
    .array(
      z
        .strictObject({ system: text, code: text, display: text })
        .refine((r) => r.system !== NON_ADHERENCE_SYSTEM || NON_ADHERENCE.has(r.code), {
          message: `is not a code of ${NON_ADHERENCE_SYSTEM} (its codes: docs/content.md, "Override reasons")`,
          path: ['code'],
        }),
    )
    .min(1)
    .optional()
    .describe(`Reasons the clinician may give for not following the card: an HL7 non-adherence reason (${NON_ADHERENCE_SYSTEM}) where one fits, with the card's own wording as display`),
  links: z
    .array(
      z.strictObject({
        label: text.describe('The link text'),
        url: text.describe('The URL, with placeholders'),
        type: z.enum(['absolute', 'smart']).describe('absolute: a web page; smart: a SMART app launch'),
        appContext: z.union([text, z.record(z.string(), z.unknown())]).optional().describe('For smart links: a string, or an object that is sent JSON-encoded'),
        autolaunchable: z.boolean().optional().describe('The EHR may launch the app without a click'),
        if: text.optional().describe('Include the link only when this card value is non-empty'),
      }),
    )
    .min(1)
    .optional()
    .describe('Links to read more or to launch an app'),
});

export type CardTemplate = z.infer<typeof cardTemplateSchema>;
export type ActionTemplate = z.infer<typeof actionTemplateSchema>;
