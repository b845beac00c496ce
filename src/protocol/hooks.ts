/**
 * The hook catalog: what each CDS hook puts in `context`.
 *
 * This is data, not code. Supporting another hook (say `encounter-discharge`) means adding an
 * entry here: request validation, prefetch token checks and discovery all read from it.
 * Field kinds and requirements follow the HL7 CDS Hooks Library (hookVersion 1.0).
 */

/** What a context field holds; each kind has one validator in `request.ts`. */
export type ContextFieldKind =
  /** A FHIR id, e.g. `patientId`. */
  | 'id'
  /** A relative reference `{type}/{id}`, e.g. `userId: Practitioner/123`. */
  | 'reference'
  /** A list of relative references into `draftOrders`, e.g. order-select `selections`. */
  | 'selections'
  /** A FHIR Bundle of resources, e.g. `draftOrders`. */
  | 'bundle';

export interface ContextField {
  kind: ContextFieldKind;
  required: boolean;
  /** May appear in a prefetch template as `{{context.<name>}}`. */
  prefetchToken: boolean;
  /** For `reference` fields: the resource types allowed. */
  resourceTypes?: readonly string[];
}

export interface HookDefinition {
  description: string;
  context: Readonly<Record<string, ContextField>>;
}

const userTypesAny = ['Practitioner', 'PractitionerRole', 'Patient', 'RelatedPerson'] as const;
const userTypesClinician = ['Practitioner', 'PractitionerRole'] as const;

const userId = (resourceTypes: readonly string[]): ContextField => ({
  kind: 'reference',
  required: true,
  prefetchToken: true,
  resourceTypes,
});
const patientId: ContextField = { kind: 'id', required: true, prefetchToken: true };
const encounterId: ContextField = { kind: 'id', required: false, prefetchToken: true };
const requiredEncounterId: ContextField = { ...encounterId, required: true };
const draftOrders: ContextField = { kind: 'bundle', required: true, prefetchToken: false };

export const HOOKS = {
  'patient-view': {
    description: 'The user opens a patient record.',
    context: { userId: userId(userTypesAny), patientId, encounterId },
  },
  'order-select': {
    description: 'The user selects one or more new orders.',
    context: {
      userId: userId(userTypesClinician),
      patientId,
      encounterId,
      selections: { kind: 'selections', required: true, prefetchToken: false },
      draftOrders,
    },
  },
  'order-sign': {
    description: 'The user is ready to sign one or more orders.',
    context: { userId: userId(userTypesClinician), patientId, encounterId, draftOrders },
  },
  'encounter-start': {
    description: 'The user starts an encounter.',
    context: { userId: userId(userTypesClinician), patientId, encounterId: requiredEncounterId },
  },
  'encounter-discharge': {
    description: 'The user discharges a patient from an encounter.',
    context: { userId: userId(userTypesClinician), patientId, encounterId: requiredEncounterId },
  },
  'appointment-book': {
    description: 'The user books one or more future appointments.',
    context: {
      userId: userId(userTypesAny),
      patientId,
      encounterId,
      appointments: { kind: 'bundle', required: true, prefetchToken: false },
    },
  },
} as const satisfies Record<string, HookDefinition>;

export type HookName = keyof typeof HOOKS;

export const HOOK_NAMES = Object.keys(HOOKS) as HookName[];

export function isHookName(name: string): name is HookName {
  return Object.hasOwn(HOOKS, name);
}

export function hookDefinition(name: HookName): HookDefinition {
  return HOOKS[name];
}

/**
 * Prefetch tokens derived from `context.userId`: `{{userPractitionerId}}` is the id part of
 * `userId` when it is a Practitioner reference, and so on.
 */
export const USER_TOKENS = {
  userPractitionerId: 'Practitioner',
  userPractitionerRoleId: 'PractitionerRole',
  userPatientId: 'Patient',
  userRelatedPersonId: 'RelatedPerson',
} as const;

export type UserToken = keyof typeof USER_TOKENS;
