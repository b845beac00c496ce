/**
 * Card template files (`cards/*.yaml`): a CDS Hooks card with `{{placeholders}}` that a rule's
 * `with` values (or `context.<field>`) fill. `uuid`s are added at render time.
 */
import { z } from 'zod';

const text = z.string().min(1, 'must not be empty');

const codingTemplate = z.strictObject({ system: text, code: text, display: text.optional() });

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
  summary: text,
  detail: text.optional(),
  indicator: z.enum(['info', 'warning', 'critical']),
  source: z.strictObject({
    label: text,
    url: text.optional(),
    icon: text.optional(),
    topic: codingTemplate.optional(),
  }),
  suggestions: z
    .array(
      z.strictObject({
        label: text,
        isRecommended: z.boolean().optional(),
        /** Include the suggestion only when this card value is non-empty. */
        if: text.optional(),
        actions: z.array(actionTemplateSchema).min(1).optional(),
      }),
    )
    .min(1)
    .optional(),
  selectionBehavior: z.enum(['at-most-one', 'any']).optional(),
  overrideReasons: z.array(z.strictObject({ system: text, code: text, display: text })).min(1).optional(),
  links: z
    .array(
      z.strictObject({
        label: text,
        url: text,
        type: z.enum(['absolute', 'smart']),
        /** A string, or an object that is sent JSON-encoded. */
        appContext: z.union([text, z.record(z.string(), z.unknown())]).optional(),
        autolaunchable: z.boolean().optional(),
        if: text.optional(),
      }),
    )
    .min(1)
    .optional(),
});

export type CardTemplate = z.infer<typeof cardTemplateSchema>;
export type ActionTemplate = z.infer<typeof actionTemplateSchema>;
