/**
 * The hook catalog: what each CDS hook puts in `context`.
 *
 * This is data, not code. Supporting another hook means adding an entry here: request
 * validation, prefetch token checks, rule compilation, `cds-rules new --hook` and discovery all
 * read from it. Fields, optionality, prefetch tokens and `hookVersion` follow the HL7 CDS Hooks
 * Library (HL7/cds-hooks-library at 5d04c4d, 2026-04-22, input/pagecontent/<hook>.md and
 * input/fsh/logicals/*.fsh): the ten hooks it lists, without the two it marks deprecated.
 */

/** What a context field holds; each kind has one validator in `request.ts`. */
export type ContextFieldKind =
  /** A FHIR id, e.g. `patientId`. */
  | 'id'
  /** A relative reference `{type}/{id}`, e.g. `userId: Practitioner/123`. */
  | 'reference'
  /** A non-empty list of relative references, e.g. order-dispatch `dispatchedOrders`. */
  | 'references'
  /** A list of relative references into `draftOrders`, e.g. order-select `selections`. */
  | 'selections'
  /** A FHIR Bundle of resources, e.g. `draftOrders`. */
  | 'bundle'
  /** One FHIR resource, e.g. allergyintolerance-create `allergyIntolerance`. */
  | 'resource'
  /** A list of FHIR resources, e.g. order-dispatch `fulfillmentTasks`. */
  | 'resources';

export interface ContextField {
  kind: ContextFieldKind;
  required: boolean;
  /** May appear in a prefetch template as `{{context.<name>}}`. */
  prefetchToken: boolean;
  /**
   * `reference`: the types it may name (absent: any). `resource`, `resources`: the types it may
   * hold. `bundle`: the types an EHR may send bare, which are read as a Bundle holding the one
   * resource (a leniency; a Bundle may hold anything).
   */
  resourceTypes?: readonly string[];
}

export interface HookDefinition {
  description: string;
  /** The Library's `hookVersion` (discovery's `hookVersion`, CDS Hooks 3.0 ballot). */
  hookVersion: string;
  context: Readonly<Record<string, ContextField>>;
}

const userTypesAny = ['Practitioner', 'PractitionerRole', 'Patient', 'RelatedPerson'] as const;
const userTypesClinician = ['Practitioner', 'PractitionerRole'] as const;

const userId = (resourceTypes: readonly string[]): ContextField => ({ kind: 'reference', required: true, prefetchToken: true, resourceTypes });
const patientId: ContextField = { kind: 'id', required: true, prefetchToken: true };
const encounterId: ContextField = { kind: 'id', required: false, prefetchToken: true };
const requiredEncounterId: ContextField = { ...encounterId, required: true };
/** Request resources (R4) an order hook carries; the bare-resource leniency accepts these. */
const ORDER_TYPES = ['MedicationRequest', 'ServiceRequest', 'NutritionOrder', 'DeviceRequest', 'VisionPrescription', 'CommunicationRequest', 'SupplyRequest', 'ImmunizationRecommendation'] as const;
const draftOrders: ContextField = { kind: 'bundle', required: true, prefetchToken: false, resourceTypes: ORDER_TYPES };

export const HOOKS = {
  'patient-view': {
    description: 'The user opens a patient record.',
    hookVersion: '1.0',
    context: { userId: userId(userTypesAny), patientId, encounterId },
  },
  'order-select': {
    description: 'The user selects one or more new orders.',
    hookVersion: '1.0',
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
    hookVersion: '1.0',
    context: { userId: userId(userTypesClinician), patientId, encounterId, draftOrders },
  },
  'order-dispatch': {
    description: 'The user selects a performer for orders that did not name one.',
    hookVersion: '1.1',
    // No userId: the Library's context has none (dispatch may run in a back office).
    context: {
      patientId,
      dispatchedOrders: { kind: 'references', required: true, prefetchToken: true },
      // "Practitioner, PractitionerRole, Organization, CareTeam, etc.": the list is open.
      performer: { kind: 'reference', required: true, prefetchToken: true },
      fulfillmentTasks: { kind: 'resources', required: false, prefetchToken: false, resourceTypes: ['Task'] },
    },
  },
  'appointment-book': {
    description: 'The user books one or more future appointments.',
    hookVersion: '1.0',
    context: {
      userId: userId(userTypesAny),
      patientId,
      encounterId,
      appointments: { kind: 'bundle', required: true, prefetchToken: false, resourceTypes: ['Appointment'] },
    },
  },
  'encounter-start': {
    description: 'The user starts an encounter.',
    hookVersion: '1.0',
    context: { userId: userId(userTypesClinician), patientId, encounterId: requiredEncounterId },
  },
  'encounter-discharge': {
    description: 'The user discharges a patient from an encounter.',
    hookVersion: '1.0',
    context: { userId: userId(userTypesClinician), patientId, encounterId: requiredEncounterId },
  },
  'medication-refill': {
    description: 'A refill is requested for an existing prescription.',
    hookVersion: '0.1.0',
    context: {
      // Optional: refill requests often arrive from a pharmacy or portal with no user in context.
      userId: { ...userId(userTypesClinician), required: false },
      patientId,
      encounterId,
      medications: { kind: 'bundle', required: true, prefetchToken: false, resourceTypes: ['MedicationRequest'] },
    },
  },
  'allergyintolerance-create': {
    description: 'The user is about to add an allergy or intolerance to the patient record.',
    hookVersion: '0.1.0',
    context: {
      userId: userId(['Practitioner']),
      patientId,
      encounterId,
      allergyIntolerance: { kind: 'resource', required: true, prefetchToken: false, resourceTypes: ['AllergyIntolerance'] },
    },
  },
  'problem-list-item-create': {
    description: 'The user has added one or more problems to the problem list.',
    hookVersion: '0.1.0',
    context: {
      userId: userId(userTypesClinician),
      patientId,
      encounterId,
      conditions: { kind: 'bundle', required: true, prefetchToken: false, resourceTypes: ['Condition'] },
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
