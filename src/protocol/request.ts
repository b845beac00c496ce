/**
 * The CDS Hooks request: one zod schema for the envelope, and per-hook context schemas built
 * from the hook catalog. Validation gives typed data or a 400 naming the field.
 */
import { z } from 'zod';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { badRequest, HttpError } from './errors.ts';
import { type ContextField, type HookName, hookDefinition } from './hooks.ts';
import { checkInputBounds, type InputBounds } from './input-bounds.ts';
import { zodProblems } from './problems.ts';
import { FHIR_ID, RELATIVE_REFERENCE } from './validators.ts';
import { fhirServerUrlProblem } from './fhir-server-url.ts';

/** A hookInstance: a UUID, optionally as a urn:uuid. */
export const UUID = /^(urn:uuid:)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const fhirAuthorizationSchema = z
  .object({
    access_token: z.string().min(1, 'must be a non-empty string'),
    token_type: z.string().regex(/^bearer$/i, "must be 'Bearer'"),
    expires_in: z.number().int().nonnegative().optional(),
    scope: z.string().optional(),
    subject: z.string().optional(),
    patient: z.string().optional(),
  })
  .loose();

export const hookRequestSchema = z
  .object({
    hook: z.string().min(1, 'must be a non-empty string'),
    hookInstance: z.string().regex(UUID, 'must be a UUID'),
    fhirServer: z
      .string()
      .superRefine((value, ctx) => {
        const problem = fhirServerUrlProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    fhirAuthorization: fhirAuthorizationSchema.optional(),
    context: z.record(z.string(), z.unknown()),
    prefetch: z.record(z.string(), z.unknown()).optional(),
    extension: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

export type HookRequestEnvelope = z.infer<typeof hookRequestSchema>;

const resourceSchema = z.looseObject({ resourceType: z.string().min(1, 'must name the resource type') });

const bundleSchema = z.looseObject({
  resourceType: z.literal('Bundle', { error: "must be 'Bundle'" }),
  entry: z.array(z.looseObject({ resource: resourceSchema.optional() })).optional(),
});

/**
 * An EHR may send one bare order or appointment where CDS Hooks asks for a Bundle of them
 * (draftOrders, appointments): a resource of a type the catalog lists for the field is read as a
 * Bundle holding it; anything else that is not a Bundle is refused (400 naming the field).
 */
function asBundle(value: unknown, members: readonly string[] | undefined): unknown {
  const type = value && typeof value === 'object' && !Array.isArray(value) ? (value as { resourceType?: unknown }).resourceType : undefined;
  return typeof type === 'string' && members?.includes(type) ? { resourceType: 'Bundle', type: 'collection', entry: [{ resource: value }] } : value;
}

const reference = z.string().regex(RELATIVE_REFERENCE, 'must be a relative reference {type}/{id}');

function resourceOf(types: readonly string[] | undefined): z.ZodType {
  if (!types) return resourceSchema;
  return z.looseObject({ resourceType: z.string().refine((t) => types.includes(t), `must be ${types.join(' or ')}`) });
}

/**
 * The Library's own R4 example of allergyintolerance-create wraps the resource as
 * `{"resource": {...}}`; such a wrapper holding exactly one resource is read as that resource.
 */
function unwrapResource(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const record = value as { resourceType?: unknown; resource?: unknown };
  return record.resourceType === undefined && record.resource && typeof record.resource === 'object' && Object.keys(record).length === 1 ? record.resource : value;
}

function fieldSchema(field: ContextField): z.ZodType {
  switch (field.kind) {
    case 'id':
      return z.string().regex(FHIR_ID, 'must be a FHIR id');
    case 'reference':
      return reference.refine(
        (value) => !field.resourceTypes || field.resourceTypes.includes(value.split('/')[0]!),
        `must reference one of ${field.resourceTypes?.join(', ')}`,
      );
    case 'references':
    case 'selections':
      return z.array(reference).min(1, 'must not be empty');
    case 'bundle':
      return z.preprocess((value) => asBundle(value, field.resourceTypes), bundleSchema);
    case 'resource':
      return z.preprocess(unwrapResource, resourceOf(field.resourceTypes));
    case 'resources':
      return z.array(resourceOf(field.resourceTypes));
  }
}

const contextSchemas = new Map<HookName, z.ZodType>();

/** The context schema of a hook, built once from the catalog; unknown fields pass through. */
function contextSchema(hook: HookName): z.ZodType<Record<string, unknown>> {
  let schema = contextSchemas.get(hook);
  if (!schema) {
    const shape: Record<string, z.ZodType> = {};
    for (const [name, field] of Object.entries(hookDefinition(hook).context)) {
      const base = fieldSchema(field);
      shape[name] = field.required ? base : base.optional();
    }
    schema = z.looseObject(shape);
    contextSchemas.set(hook, schema);
  }
  return schema as z.ZodType<Record<string, unknown>>;
}

export interface HookRequest extends HookRequestEnvelope {
  hook: HookName;
  context: Record<string, unknown>;
}

/**
 * Validates a parsed JSON body as a call of `hook`.
 * @param bounds the input shape bounds (input-bounds.ts), checked before anything else walks it.
 * @throws HttpError 400 naming the first offending field(s), 413 for a field over a bound.
 */
export function parseHookRequest(body: unknown, hook: HookName, bounds?: InputBounds): HookRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('the request body must be a JSON object');
  }
  if (bounds) checkInputBounds(body as Record<string, unknown>, bounds);
  const envelope = hookRequestSchema.safeParse(body);
  if (!envelope.success) throw new HttpError(400, zodProblems(envelope.error));
  const request = envelope.data;
  if (request.hook !== hook) {
    throw badRequest(`this service answers '${hook}', not '${request.hook}'`, 'hook');
  }
  if (request.fhirAuthorization && !request.fhirServer) {
    throw badRequest('fhirServer is required when fhirAuthorization is given', 'fhirServer');
  }
  const context = contextSchema(hook).safeParse(request.context);
  if (!context.success) throw new HttpError(400, zodProblems(context.error, 'context'));
  checkSelections(context.data);
  return { ...request, hook, context: context.data };
}

/** order-select: every selection must name an order in `draftOrders`. */
function checkSelections(context: Record<string, unknown>): void {
  const selections = context.selections as string[] | undefined;
  if (!selections) return;
  const drafts = new Set(
    ((context.draftOrders as Bundle | undefined)?.entry ?? [])
      .map((entry) => entry.resource as Resource | undefined)
      .filter((resource): resource is Resource => !!resource?.id)
      .map((resource) => `${resource.resourceType}/${resource.id}`),
  );
  selections.forEach((selection, index) => {
    if (!drafts.has(selection)) {
      throw badRequest(`'${selection}' is not an entry of context.draftOrders`, `context.selections[${index}]`);
    }
  });
}
