/**
 * Every hook of the HL7 CDS Hooks Library, as a client calls it: a valid context answers 200
 * with the rule's card, each required context field left out answers 400 naming it, and the
 * prefetch tokens of the new hooks' context fields are filled from the call and fetched from a
 * real FHIR server process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOOK_NAMES, type HookName } from '../../src/protocol/hooks.ts';
import { compileInline, post, type TestApp, testApp } from '../support/app.ts';
import { type Started, startFhirServerWith } from '../support/processes.ts';
import { bundle, medicationRequest } from '../support/requests.ts';

type Outcome = { resourceType: string; issue: { diagnostics: string; expression?: string[] }[] };

const patientId = 'pat-1';
const draftOrders = bundle('collection', [medicationRequest('mr-1', '197361', 'amlodipine 5 MG Oral Tablet')]);

/** A context each hook accepts, with every field the Library defines (required and optional). */
const VALID_CONTEXT: Record<HookName, Record<string, unknown>> = {
  'patient-view': { userId: 'Practitioner/dr', patientId, encounterId: 'enc-1' },
  'order-select': { userId: 'Practitioner/dr', patientId, encounterId: 'enc-1', selections: ['MedicationRequest/mr-1'], draftOrders },
  'order-sign': { userId: 'PractitionerRole/role-1', patientId, encounterId: 'enc-1', draftOrders },
  'order-dispatch': {
    patientId,
    dispatchedOrders: ['ServiceRequest/sr-1', 'ServiceRequest/sr-2'],
    performer: 'Practitioner/perf-1',
    fulfillmentTasks: [{ resourceType: 'Task', status: 'draft', intent: 'order', focus: { reference: 'ServiceRequest/sr-1' } }],
  },
  'appointment-book': {
    userId: 'Patient/pat-1',
    patientId,
    appointments: bundle('collection', [{ resourceType: 'Appointment', id: 'apt-1', status: 'proposed', participant: [{ actor: { reference: 'Patient/pat-1' }, status: 'tentative' }] }]),
  },
  'encounter-start': { userId: 'PractitionerRole/role-1', patientId, encounterId: 'enc-1' },
  'encounter-discharge': { userId: 'PractitionerRole/role-1', patientId, encounterId: 'enc-1' },
  'medication-refill': { userId: 'Practitioner/dr', patientId, encounterId: 'enc-1', medications: bundle('collection', [medicationRequest('mr-2', '197361', 'amlodipine 5 MG Oral Tablet')]) },
  'allergyintolerance-create': {
    userId: 'Practitioner/dr',
    patientId,
    allergyIntolerance: { resourceType: 'AllergyIntolerance', id: 'ai-1', patient: { reference: 'Patient/pat-1' }, code: { coding: [{ system: 'http://snomed.info/sct', code: '91936005', display: 'Allergy to penicillin' }] } },
  },
  'problem-list-item-create': {
    userId: 'Practitioner/dr',
    patientId,
    conditions: bundle('collection', [{ resourceType: 'Condition', id: 'c-1', subject: { reference: 'Patient/pat-1' }, code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] } }]),
  },
};

/** The Library's REQUIRED fields, written out again here so the catalog is checked, not copied. */
const REQUIRED: Record<HookName, string[]> = {
  'patient-view': ['userId', 'patientId'],
  'order-select': ['userId', 'patientId', 'selections', 'draftOrders'],
  'order-sign': ['userId', 'patientId', 'draftOrders'],
  'order-dispatch': ['patientId', 'dispatchedOrders', 'performer'],
  'appointment-book': ['userId', 'patientId', 'appointments'],
  'encounter-start': ['userId', 'patientId', 'encounterId'],
  'encounter-discharge': ['userId', 'patientId', 'encounterId'],
  'medication-refill': ['patientId', 'medications'],
  'allergyintolerance-create': ['userId', 'patientId', 'allergyIntolerance'],
  'problem-list-item-create': ['userId', 'patientId', 'conditions'],
};

/** Per hook, a rule that reads a field only that hook has, so the compiler's types are exercised too. */
const READS: Record<HookName, string> = {
  'patient-view': '%patientId.exists()',
  'order-select': '%selections.count() = 1',
  'order-sign': '%draftOrders.entry.resource.exists()',
  'order-dispatch': "%dispatchedOrders.count() = 2 and %performer.startsWith('Practitioner/') and %fulfillmentTasks.status = 'draft'",
  'appointment-book': "%appointments.entry.resource.status = 'proposed'",
  'encounter-start': "%encounterId = 'enc-1'",
  'encounter-discharge': "%encounterId = 'enc-1'",
  'medication-refill': '%medications.entry.resource.ofType(MedicationRequest).exists()',
  'allergyintolerance-create': "%allergyIntolerance.code.coding.code = '91936005'",
  'problem-list-item-create': "%conditions.entry.resource.ofType(Condition).code.coding.code = '44054006'",
};

function serviceFiles(hook: HookName) {
  return [
    { path: `rules/svc-${hook}/service.yaml`, text: `hook: ${hook}\ntitle: ${hook}\ndescription: Library hook ${hook}\n` },
    { path: `rules/svc-${hook}/reads.yaml`, text: `id: reads-${hook}\ntitle: reads\nreferences: [{ label: Test, url: "https://example.org" }]\nwhen: "${READS[hook]}"\ncard: seen\n` },
  ];
}

const request = (hook: HookName, context: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ hook, hookInstance: crypto.randomUUID(), context, ...extra });

let t: TestApp;
beforeAll(async () => {
  t = await testApp({
    ruleSet: compileInline([{ path: 'cards/seen.yaml', text: 'summary: Seen\nindicator: info\nsource:\n  label: Test\n' }, ...HOOK_NAMES.flatMap(serviceFiles)]),
  });
});
afterAll(() => t.close());

describe('the hook catalog holds the ten hooks of the CDS Hooks Library', () => {
  it('names exactly the Library hooks', () => {
    expect([...HOOK_NAMES].sort()).toEqual(Object.keys(REQUIRED).sort());
  });

  it('advertises each hook with its hookVersion in discovery', async () => {
    const { services } = (await (await t.app.request('/cds-services')).json()) as { services: { id: string; hook: string; hookVersion?: string }[] };
    const versions = Object.fromEntries(services.map((s) => [s.hook, s.hookVersion]));
    expect(versions).toEqual({
      'patient-view': '1.0',
      'order-select': '1.0',
      'order-sign': '1.0',
      'order-dispatch': '1.1',
      'appointment-book': '1.0',
      'encounter-start': '1.0',
      'encounter-discharge': '1.0',
      'medication-refill': '0.1.0',
      'allergyintolerance-create': '0.1.0',
      'problem-list-item-create': '0.1.0',
    });
  });
});

for (const hook of HOOK_NAMES) {
  describe(hook, () => {
    it('answers a valid context with the card of a rule that reads its fields', async () => {
      const res = await post(t.app, `/cds-services/svc-${hook}`, request(hook, VALID_CONTEXT[hook]));
      expect(res.status).toBe(200);
      expect(((await res.json()) as { cards: { summary: string }[] }).cards.map((c) => c.summary)).toEqual(['Seen']);
    });

    for (const field of REQUIRED[hook]) {
      it(`answers 400 naming context.${field} when it is missing`, async () => {
        const { [field]: _, ...context } = VALID_CONTEXT[hook];
        const res = await post(t.app, `/cds-services/svc-${hook}`, request(hook, context));
        expect(res.status).toBe(400);
        const outcome = (await res.json()) as Outcome;
        expect(outcome.resourceType).toBe('OperationOutcome');
        expect(outcome.issue.flatMap((i) => i.expression ?? [])).toEqual([`context.${field}`]);
        expect(outcome.issue[0]!.diagnostics).toMatch(/is required/);
      });
    }
  });
}

describe('optional and odd shapes the Library allows', () => {
  it('medication-refill without a userId (refills from a pharmacy or portal) is answered', async () => {
    const { userId: _, ...context } = VALID_CONTEXT['medication-refill'];
    expect((await post(t.app, '/cds-services/svc-medication-refill', request('medication-refill', context))).status).toBe(200);
  });

  it("order-dispatch has no userId: one sent is ignored as an unknown field, and the user tokens have no value", async () => {
    const res = await post(t.app, '/cds-services/svc-order-dispatch', request('order-dispatch', { ...VALID_CONTEXT['order-dispatch'], userId: 'Practitioner/dr' }));
    expect(res.status).toBe(200);
  });

  it("allergyintolerance-create accepts the Library example's {resource: ...} wrapper and refuses another resource type", async () => {
    const context = VALID_CONTEXT['allergyintolerance-create'];
    const wrapped = await post(t.app, '/cds-services/svc-allergyintolerance-create', request('allergyintolerance-create', { ...context, allergyIntolerance: { resource: context.allergyIntolerance } }));
    expect(wrapped.status).toBe(200);
    const wrong = await post(t.app, '/cds-services/svc-allergyintolerance-create', request('allergyintolerance-create', { ...context, allergyIntolerance: { resourceType: 'Condition', id: 'x' } }));
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as Outcome).issue[0]!.expression).toEqual(['context.allergyIntolerance.resourceType']);
  });

  it('allergyintolerance-create refuses a PractitionerRole user (the Library names Practitioner only)', async () => {
    const res = await post(t.app, '/cds-services/svc-allergyintolerance-create', request('allergyintolerance-create', { ...VALID_CONTEXT['allergyintolerance-create'], userId: 'PractitionerRole/r' }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as Outcome).issue[0]!.expression).toEqual(['context.userId']);
  });

  it('order-dispatch refuses an empty dispatchedOrders and a performer that is not a reference', async () => {
    const context = VALID_CONTEXT['order-dispatch'];
    for (const [field, value] of [['dispatchedOrders', []], ['performer', 'Dr Who']] as const) {
      const res = await post(t.app, '/cds-services/svc-order-dispatch', request('order-dispatch', { ...context, [field]: value }));
      expect(res.status).toBe(400);
      expect(((await res.json()) as Outcome).issue[0]!.expression).toEqual([`context.${field}`]);
    }
  });

  it('reads one bare Condition in problem-list-item-create as a Bundle, but not a bare Appointment', async () => {
    const condition = (VALID_CONTEXT['problem-list-item-create'].conditions as { entry: { resource: unknown }[] }).entry[0]!.resource;
    const bare = await post(t.app, '/cds-services/svc-problem-list-item-create', request('problem-list-item-create', { ...VALID_CONTEXT['problem-list-item-create'], conditions: condition }));
    expect(bare.status).toBe(200);
    const wrong = await post(t.app, '/cds-services/svc-problem-list-item-create', request('problem-list-item-create', { ...VALID_CONTEXT['problem-list-item-create'], conditions: { resourceType: 'Appointment', id: 'a' } }));
    expect(wrong.status).toBe(400);
  });
});

describe('prefetch tokens from the new hooks’ context fields, fetched from a real FHIR server', () => {
  let fhir: Started;
  let served: TestApp;
  beforeAll(async () => {
    const task = (id: string, focus: string) => ({ resourceType: 'Task', id, status: 'requested', intent: 'order', focus: { reference: focus } });
    fhir = await startFhirServerWith([
      { resourceType: 'Practitioner', id: 'perf-1', name: [{ family: 'Performer' }] },
      { resourceType: 'Encounter', id: 'enc-9', status: 'in-progress', class: { code: 'IMP' }, subject: { reference: 'Patient/pat-1' } },
      task('t-1', 'ServiceRequest/sr-1'),
      task('t-2', 'ServiceRequest/sr-2'),
      task('t-3', 'ServiceRequest/other'),
    ]);
    served = await testApp({
      config: { prefetchTimeoutMs: 15_000 },
      ruleSet: compileInline([
        { path: 'cards/seen.yaml', text: 'summary: Seen\nindicator: info\nsource:\n  label: Test\n' },
        {
          path: 'rules/dispatch/service.yaml',
          text: 'hook: order-dispatch\ntitle: Dispatch\ndescription: d\nprefetch:\n  performerResource: "{{context.performer}}"\n  tasks: "Task?focus={{context.dispatchedOrders}}"\n',
        },
        { path: 'rules/dispatch/r.yaml', text: "id: r\ntitle: r\nreferences: [{ label: T, url: \"https://example.org\" }]\nwhen: \"%performerResource.id = 'perf-1' and %tasks.entry.resource.count() = 2 and %tasks.entry.resource.where(id = 't-3').empty()\"\ncard: seen\n" },
        { path: 'rules/discharge/service.yaml', text: 'hook: encounter-discharge\ntitle: Discharge\ndescription: d\nprefetch:\n  encounter: Encounter/{{context.encounterId}}\n' },
        { path: 'rules/discharge/r.yaml', text: "id: r2\ntitle: r\nreferences: [{ label: T, url: \"https://example.org\" }]\nwhen: \"%encounter.status = 'in-progress'\"\ncard: seen\n" },
      ]),
    });
  });
  afterAll(async () => {
    await served.close();
    await fhir.stop();
  });

  it('order-dispatch: {{context.performer}} reads the performer, {{context.dispatchedOrders}} searches by every dispatched order', async () => {
    const res = await post(served.app, '/cds-services/dispatch', request('order-dispatch', VALID_CONTEXT['order-dispatch'], { fhirServer: `http://127.0.0.1:${fhir.port}` }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { cards: { summary: string }[]; extension?: unknown };
    expect(body.extension).toBeUndefined();
    expect(body.cards.map((c) => c.summary)).toEqual(['Seen']);
  });

  it('encounter-discharge: {{context.encounterId}} (required there) reads the encounter being ended', async () => {
    const res = await post(served.app, '/cds-services/discharge', request('encounter-discharge', { ...VALID_CONTEXT['encounter-discharge'], encounterId: 'enc-9' }, { fhirServer: `http://127.0.0.1:${fhir.port}` }));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { cards: { summary: string }[] }).cards.map((c) => c.summary)).toEqual(['Seen']);
  });

  it('a rule file may not use a context field that is no prefetch token (fulfillmentTasks), nor one of another hook', () => {
    const attempt = (template: string) => () =>
      compileInline([{ path: 'rules/x/service.yaml', text: `hook: order-dispatch\ntitle: X\ndescription: x\nprefetch:\n  k: "${template}"\n` }]);
    expect(attempt('Task?_id={{context.fulfillmentTasks}}')).toThrow(/context.fulfillmentTasks cannot be used as a prefetch token/);
    expect(attempt('Encounter/{{context.encounterId}}')).toThrow(/hook 'order-dispatch' has no context field 'encounterId'/);
  });
});
