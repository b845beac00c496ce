import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardSchema } from '../../src/protocol/card.ts';
import { compileInline, post, shippedRuleSet, type TestApp, testApp } from '../support/app.ts';
import { bundle, medicationRequest, patientViewRequest, warfarinIbuprofenRequest } from '../support/requests.ts';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(() => t.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
type Outcome = { resourceType: string; issue: { severity: string; code: string; diagnostics: string; expression?: string[] }[] };

describe('POST /cds-services/{id}: a valid call', () => {
  it('answers 200 with spec-exact cards (checklist #30-#38)', async () => {
    const res = await post(t.app, '/cds-services/drug-interactions', warfarinIbuprofenRequest());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { cards: Record<string, any>[] };
    expect(Object.keys(body)).toEqual(['cards']);
    expect(body.cards).toHaveLength(1);
    const card = body.cards[0]!;
    expect(cardSchema.safeParse(card).success).toBe(true);
    expect(card.uuid).toMatch(UUID);
    expect(card.summary).toBe('Bleeding risk: Ibuprofen 400 MG Oral Tablet with warfarin');
    expect(card.summary.length).toBeLessThan(140);
    expect(card.indicator).toBe('critical');
    expect(card.detail).toContain('**warfarin sodium 5 MG Oral Tablet**');
    expect(card.source).toEqual({ label: 'HL7 PDDI CDS - warfarin and NSAIDs', url: 'https://hl7.org/fhir/uv/pddi/' });
    expect(card.selectionBehavior).toBe('at-most-one');
    expect(card.suggestions).toEqual([
      {
        label: 'Cancel the Ibuprofen 400 MG Oral Tablet order',
        uuid: expect.stringMatching(UUID),
        isRecommended: true,
        actions: [{ type: 'delete', description: 'Remove the draft Ibuprofen 400 MG Oral Tablet order', resourceId: 'MedicationRequest/draft-ibuprofen' }],
      },
    ]);
    // An HL7 non-adherence reason (CDS Hooks 3.0 ballot) with the card's own wording.
    expect(card.overrideReasons).toContainEqual({
      system: 'http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes',
      code: 'risk-benefit-ratio',
      display: 'Benefit outweighs the risk; patient will be monitored',
    });
    expect(card).not.toHaveProperty('links');
  });

  it('records the invocation and its cards in the database', async () => {
    const hookInstance = '6f0c4a52-6a0f-4c59-8f0a-3b0a8e9d2c11';
    const res = await post(t.app, '/cds-services/drug-interactions', warfarinIbuprofenRequest({ hookInstance }));
    const { cards } = (await res.json()) as { cards: { uuid: string; suggestions: { uuid: string }[] }[] };
    const row = (await t.rows('select * from invocations where hook_instance = ?', hookInstance))[0]!;
    expect(row).toMatchObject({
      service_id: 'drug-interactions',
      hook: 'order-sign',
      patient_id: 'p1',
      user_id: 'Practitioner/example',
      status: 200,
      outcome: 'ok',
      card_count: 1,
      request_body: null,
    });
    expect(JSON.parse(row.rules_evaluated).sort()).toEqual([
      'anticoagulant-bleeding-combination', 'duplicate-nsaid', 'opioid-benzodiazepine', 'opioid-gabapentinoid', 'potassium-sparing-raas-hyperkalemia',
      'qt-drug-combination', 'qt-drug-qtc-over-500', 'warfarin-antibiotic-inr', 'warfarin-nsaid', 'warfarin-nsaid-gastroprotected', 'warfarin-nsaid-gastroprotected-risk', 'warfarin-topical-diclofenac',
    ]);
    expect(JSON.parse(row.rules_fired)).toEqual(['warfarin-nsaid']);
    expect(JSON.parse(row.prefetch_fetched)).toEqual([]);
    for (const timing of ['prefetch_ms', 'evaluate_ms', 'total_ms']) expect(row[timing]).toBeGreaterThanOrEqual(0);
    expect(row.total_ms).toBeGreaterThanOrEqual(row.evaluate_ms);
    const service = (await shippedRuleSet()).services.get('drug-interactions')!;
    const rule = service.rules.find((r) => r.id === 'warfarin-nsaid')!;
    expect(row.service_version).toBe(service.version);
    const cardRows = await t.rows('select * from invocation_cards where invocation_id = ?', row.id);
    expect(cardRows).toEqual([
      {
        card_uuid: cards[0]!.uuid,
        invocation_id: row.id,
        service_id: 'drug-interactions',
        rule_id: 'warfarin-nsaid',
        rule_version: rule.version,
        silent: 0,
        indicator: 'critical',
        suggestion_uuids: JSON.stringify([cards[0]!.suggestions[0]!.uuid]),
        suggestion_labels: JSON.stringify(['Cancel the Ibuprofen 400 MG Oral Tablet order']),
        // Card bodies are payload: only with CDS_STORE_PAYLOADS.
        card_body: null,
      },
    ]);
    // The version's files are kept: the rule file itself among them, text and all.
    const [version] = await t.rows('select * from rule_versions where version = ?', rule.version);
    const sources = JSON.parse(version!.sources) as { path: string; sha256: string }[];
    expect(sources.map((s) => s.path)).toContain('rules/drug-interactions/warfarin-nsaid.yaml');
    const own = sources.find((s) => s.path === 'rules/drug-interactions/warfarin-nsaid.yaml')!;
    const [text] = await t.rows('select text from content_texts where sha256 = ?', own.sha256);
    expect(text!.text).toContain('id: warfarin-nsaid');
  });

  it('answers {"cards": []} when no rule fires', async () => {
    const request = warfarinIbuprofenRequest();
    request.prefetch.activeMeds = bundle('searchset', []);
    const res = await post(t.app, '/cds-services/drug-interactions', request);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ cards: [] });
  });

  it('gives fresh card and suggestion uuids on every call', async () => {
    const a = (await (await post(t.app, '/cds-services/drug-interactions', warfarinIbuprofenRequest())).json()) as any;
    const b = (await (await post(t.app, '/cds-services/drug-interactions', warfarinIbuprofenRequest())).json()) as any;
    expect(a.cards[0].uuid).not.toBe(b.cards[0].uuid);
    expect(a.cards[0].suggestions[0].uuid).not.toBe(b.cards[0].suggestions[0].uuid);
  });

  it('tolerates unknown fields and an extension object (checklist #5)', async () => {
    const res = await post(t.app, '/cds-services/drug-interactions', {
      ...warfarinIbuprofenRequest(),
      extension: { 'com.example.trace': { id: 1 } },
      somethingNew: true,
      context: { ...warfarinIbuprofenRequest().context, newContextField: 'x' },
    });
    expect(res.status).toBe(200);
  });

  it('treats a prefetch key sent as null as "nothing there" (checklist #26)', async () => {
    const request = warfarinIbuprofenRequest();
    (request.prefetch as Record<string, unknown>).activeMeds = null;
    const res = await post(t.app, '/cds-services/drug-interactions', request);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ cards: [] });
  });

  it('renders a SMART link with appContext as a string, and a create suggestion', async () => {
    const res = await post(t.app, '/cds-services/preventive-care', patientViewRequest());
    expect(res.status).toBe(200);
    const { cards } = (await res.json()) as { cards: Record<string, any>[] };
    const statin = cards.find((c) => c.summary.startsWith('Consider a statin'))!;
    expect(statin.summary).toMatch(/^Consider a statin: age \d+ with diabetes and no statin$/);
    expect(statin.links).toEqual([
      {
        label: 'ASCVD risk calculator (SMART app)',
        url: 'https://cerner.github.io/ascvd-risk-calculator/launch.html',
        type: 'smart',
        appContext: '{"reason":"statin-primary-prevention"}',
      },
      {
        label: 'USPSTF recommendation statement',
        url: 'https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/statin-use-in-adults-preventive-medication',
        type: 'absolute',
      },
    ]);
    // The 10-year risk is not known yet, so no statin order is offered (issue 14 finding 17).
    expect(statin.suggestions ?? []).toEqual([]);
    const a1c = cards.find((c) => c.summary.startsWith('HbA1c'))!;
    expect(a1c.suggestions[0].actions[0].resource).toMatchObject({
      resourceType: 'ServiceRequest',
      code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
      subject: { reference: 'Patient/p1' },
    });
    // Most severe first: the HbA1c warning before the info cards (statin, colorectal screening).
    expect(cards.map((c) => c.indicator)).toEqual(['warning', 'info', 'info']);
  });

  it('accepts order-select with selections that name draft orders', async () => {
    const drafts = bundle('collection', [medicationRequest('amox', '308191', 'amoxicillin 500 MG Oral Capsule')]);
    const res = await post(t.app, '/cds-services/allergy-check', {
      hook: 'order-select',
      hookInstance: '3c8e1f2a-4b5c-4d6e-8f70-8192a3b4c5d6',
      context: { userId: 'PractitionerRole/r1', patientId: 'p1', selections: ['MedicationRequest/amox'], draftOrders: drafts },
      prefetch: {
        allergies: bundle('searchset', [
          {
            resourceType: 'AllergyIntolerance',
            id: 'a1',
            patient: { reference: 'Patient/p1' },
            code: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '723', display: 'Amoxicillin' }] },
          },
        ]),
      },
    });
    expect(res.status).toBe(200);
    const { cards } = (await res.json()) as { cards: { indicator: string; summary: string }[] };
    expect(cards).toMatchObject([{ indicator: 'critical', summary: 'Penicillin allergy on record: amoxicillin 500 MG Oral Capsule selected' }]);
  });
});

describe('POST /cds-services/{id}: bad requests get 4xx naming the field (checklist #12-#19)', () => {
  const base = warfarinIbuprofenRequest();
  const context = base.context;
  const cases: [string, unknown, number, string | undefined][] = [
    ['a body that is not JSON', '{"hook": ', 400, undefined],
    ['a JSON array', '[]', 400, undefined],
    ['no hook', { ...base, hook: undefined }, 400, 'hook'],
    ['the wrong hook for the service', { ...base, hook: 'patient-view' }, 400, 'hook'],
    ['a hookInstance that is not a UUID', { ...base, hookInstance: 'abc' }, 400, 'hookInstance'],
    ['no context', { ...base, context: undefined }, 400, 'context'],
    ['no patientId', { ...base, context: { ...context, patientId: undefined } }, 400, 'context.patientId'],
    ['a patientId that is not a FHIR id', { ...base, context: { ...context, patientId: 'a b' } }, 400, 'context.patientId'],
    ['a userId that is not a reference', { ...base, context: { ...context, userId: 'bob' } }, 400, 'context.userId'],
    ['a userId of a type the hook does not allow', { ...base, context: { ...context, userId: 'Patient/p1' } }, 400, 'context.userId'],
    ['no draftOrders', { ...base, context: { ...context, draftOrders: undefined } }, 400, 'context.draftOrders'],
    ['draftOrders that are not a Bundle', { ...base, context: { ...context, draftOrders: { resourceType: 'List' } } }, 400, 'context.draftOrders.resourceType'],
    ['a draft order without resourceType', { ...base, context: { ...context, draftOrders: { resourceType: 'Bundle', entry: [{ resource: { id: 'x' } }] } } }, 400, 'context.draftOrders.entry[0].resource.resourceType'],
    ['fhirAuthorization without fhirServer', { ...base, fhirAuthorization: { access_token: 'x', token_type: 'Bearer', expires_in: 300, scope: 's', subject: 'c' } }, 400, 'fhirServer'],
    ['a fhirServer that is not a URL', { ...base, fhirServer: 'not a url' }, 400, 'fhirServer'],
    ['a prefetch that is not an object', { ...base, prefetch: [] }, 400, 'prefetch'],
  ];
  for (const [what, body, status, field] of cases) {
    it(`${what} → ${status}${field ? ` naming ${field}` : ''}`, async () => {
      const res = await post(t.app, '/cds-services/drug-interactions', body);
      expect(res.status).toBe(status);
      const outcome = (await res.json()) as Outcome;
      expect(outcome.resourceType).toBe('OperationOutcome');
      expect(outcome.issue[0]!.severity).toBe('error');
      if (field) expect(outcome.issue.flatMap((i) => i.expression ?? [])).toContain(field);
    });
  }

  it('order-select: a selection that is not among the draft orders → 400 naming it', async () => {
    const res = await post(t.app, '/cds-services/allergy-check', {
      hook: 'order-select',
      hookInstance: '3c8e1f2a-4b5c-4d6e-8f70-8192a3b4c5d6',
      context: {
        userId: 'Practitioner/u1',
        patientId: 'p1',
        selections: ['MedicationRequest/missing'],
        draftOrders: bundle('collection', [medicationRequest('amox', '308191', 'amoxicillin 500 MG Oral Capsule')]),
      },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Outcome).issue[0]!.expression).toEqual(['context.selections[0]']);
  });

  it('an unknown service → 404', async () => {
    const res = await post(t.app, '/cds-services/no-such-service', warfarinIbuprofenRequest());
    expect(res.status).toBe(404);
    expect(((await res.json()) as Outcome).issue[0]!.code).toBe('not-found');
  });

  it('a non-JSON content type → 415', async () => {
    const res = await t.app.request('/cds-services/drug-interactions', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(warfarinIbuprofenRequest()),
    });
    expect(res.status).toBe(415);
  });

  it('GET on a service → 405', async () => {
    const res = await t.app.request('/cds-services/drug-interactions');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
  });

  it('a body over the configured limit → 413, and the service keeps answering', async () => {
    const small = await testApp({ config: { maxBodyBytes: 10_000 } });
    const big = warfarinIbuprofenRequest({ padding: 'x'.repeat(20_000) });
    const res = await post(small.app, '/cds-services/drug-interactions', big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as Outcome).issue[0]!.code).toBe('too-costly');
    expect((await post(small.app, '/cds-services/drug-interactions', warfarinIbuprofenRequest())).status).toBe(200);
    await small.close();
  });

  it('records rejected calls with their status and the offending field, not the payload', async () => {
    const hookInstance = '9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    await post(t.app, '/cds-services/drug-interactions', { ...base, hookInstance, context: { ...context, patientId: undefined } });
    const row = (await t.rows('select * from invocations where hook_instance = ?', hookInstance))[0]!;
    expect(row).toMatchObject({ status: 400, outcome: 'rejected', error: 'context.patientId', card_count: 0, request_body: null });
  });
});

describe('prefetch the client did not send (checklist #26, #27)', () => {
  it('412 naming each missing key when there is no fhirServer to fetch from', async () => {
    const request = warfarinIbuprofenRequest();
    // Every drug-interactions rule reads activeMeds or qtc: without both, no rule can run.
    delete (request.prefetch as Record<string, unknown>).activeMeds;
    delete (request.prefetch as Record<string, unknown>).qtc;
    const res = await post(t.app, '/cds-services/drug-interactions', request);
    expect(res.status).toBe(412);
    const outcome = (await res.json()) as Outcome;
    expect(outcome.issue.map((i) => i.expression)).toEqual([['prefetch.activeMeds'], ['prefetch.qtc']]);
    expect(outcome.issue[0]!.code).toBe('incomplete');
  });

  it('treats an OperationOutcome in place of a prefetch value as not sent', async () => {
    const request = warfarinIbuprofenRequest();
    (request.prefetch as Record<string, unknown>).activeMeds = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] };
    (request.prefetch as Record<string, unknown>).qtc = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] };
    const res = await post(t.app, '/cds-services/drug-interactions', request);
    expect(res.status).toBe(412);
  });
});

describe('a rule that fails at run time is isolated', () => {
  const files = [
    { path: 'rules/demo/service.yaml', text: 'hook: patient-view\ntitle: Demo\ndescription: Demo service\nprefetch:\n  patient: Patient/{{context.patientId}}\n' },
    {
      path: 'rules/demo/age-check.yaml',
      text: [
        'id: age-check',
        'title: Breaks on a malformed birthDate',
        'references: [{ label: Test, url: "https://example.org/test" }]',
        'when: "%patient.birthDate.ageInYears() > 1"',
        'card: hello',
      ].join('\n'),
    },
    {
      path: 'rules/demo/always.yaml',
      text: ['id: always', 'title: Always fires', 'references: [{ label: Test, url: "https://example.org/test" }]', 'when: "true"', 'card: hello'].join('\n'),
    },
    { path: 'cards/hello.yaml', text: 'summary: Hello\nindicator: info\nsource:\n  label: Demo\n' },
  ];

  it('answers 200 with the other rules, records the call as degraded, logs the rule id but no patient data', async () => {
    const app = await testApp({ ruleSet: compileInline(files) });
    const hookInstance = '11111111-2222-4333-8444-555555555555';
    const res = await post(app.app, '/cds-services/demo', {
      hook: 'patient-view',
      hookInstance,
      context: { userId: 'Practitioner/u', patientId: 'secret-patient-7' },
      prefetch: { patient: { resourceType: 'Patient', id: 'secret-patient-7', birthDate: 'garbage' } },
    });
    expect(res.status).toBe(200);
    const { cards } = (await res.json()) as { cards: { summary: string }[] };
    expect(cards.map((c) => c.summary)).toEqual(['Hello']);
    const row = (await app.rows('select * from invocations where hook_instance = ?', hookInstance))[0]!;
    expect(row.outcome).toBe('degraded');
    expect(JSON.parse(row.rule_errors)).toEqual([{ rule: 'age-check', class: 'fhirpath-error', location: 'rules/demo/age-check.yaml:4:8' }]);
    expect(JSON.parse(row.rules_fired)).toEqual(['always']);
    const failure = app.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'rule failed');
    expect(failure).toMatchObject({ level: 'warn', service: 'demo', rule: 'age-check', hookInstance });
    expect(app.logs.join('\n')).not.toContain('secret-patient-7');
    expect(app.logs.join('\n')).not.toContain('garbage');
    await app.close();
  });
});

describe('rule errors store a class and the expression location, never data (issue 13, finding 4)', () => {
  const rule = (id: string, lines: string[]) => ({
    path: `rules/demo/${id}.yaml`,
    text: [`id: ${id}`, 'title: Breaks on a name', 'references: [{ label: Test, url: "https://example.org/test" }]', ...lines, 'card: hello'].join('\n'),
  });
  const files = [
    { path: 'rules/demo/service.yaml', text: 'hook: patient-view\ntitle: Demo\ndescription: Demo\nprefetch:\n  patient: Patient/{{context.patientId}}\n' },
    rule('in-when', ['when: "%patient.name.given.first() - 1 > 0"']),
    rule('in-define', ['define:', '  nameNumber: "%patient.name.given.first() - 2"', 'when: "%nameNumber > 0"']),
    rule('not-boolean', ['when: "%patient.name.children()"']),
    { path: 'cards/hello.yaml', text: 'summary: Hello\nindicator: info\nsource:\n  label: Demo\n' },
  ];
  const call = (app: TestApp, hookInstance: string) =>
    post(app.app, '/cds-services/demo', {
      hook: 'patient-view',
      hookInstance,
      context: { userId: 'Practitioner/u', patientId: 'p1' },
      prefetch: { patient: { resourceType: 'Patient', id: 'p1', name: [{ given: ['SECRETNAME-when', 'SECRETNAME-two'] }] } },
    });

  it('without payload storage: class and file:line:col only', async () => {
    const app = await testApp({ ruleSet: compileInline(files) });
    try {
      const hookInstance = crypto.randomUUID();
      expect((await call(app, hookInstance)).status).toBe(200);
      const row = (await app.rows('select * from invocations where hook_instance = ?', hookInstance))[0]!;
      expect(JSON.stringify(row)).not.toContain('SECRETNAME');
      expect(JSON.parse(row.rule_errors)).toEqual([
        { rule: 'in-define', class: 'define-failed', location: 'rules/demo/in-define.yaml:5:16' },
        { rule: 'in-when', class: 'fhirpath-error', location: 'rules/demo/in-when.yaml:4:8' },
        { rule: 'not-boolean', class: 'fhirpath-type', location: 'rules/demo/not-boolean.yaml:4:8' },
      ]);
      const failures = app.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'rule failed');
      expect(failures.map((f) => [f.rule, f.error, f.at])).toEqual([
        ['in-define', 'define-failed', 'rules/demo/in-define.yaml:5:16'],
        ['in-when', 'fhirpath-error', 'rules/demo/in-when.yaml:4:8'],
        ['not-boolean', 'fhirpath-type', 'rules/demo/not-boolean.yaml:4:8'],
      ]);
      expect(app.logs.join('\n')).not.toContain('SECRETNAME');
    } finally {
      await app.close();
    }
  });

  it('with payload storage on, the message is kept too', async () => {
    const app = await testApp({ ruleSet: compileInline(files), config: { storePayloads: true } });
    try {
      const hookInstance = crypto.randomUUID();
      expect((await call(app, hookInstance)).status).toBe(200);
      const row = (await app.rows('select * from invocations where hook_instance = ?', hookInstance))[0]!;
      expect(JSON.parse(row.rule_errors)[1]).toEqual({
        rule: 'in-when',
        class: 'fhirpath-error',
        location: 'rules/demo/in-when.yaml:4:8',
        message: 'Cannot convert SECRETNAME-when to a number',
      });
    } finally {
      await app.close();
    }
  });
});

describe('request text in cards is text, not markup (issue 13, finding 5)', () => {
  it('a draft order display with HTML, a link and emphasis is escaped in detail and stripped of controls in summary', async () => {
    const display = 'Ibu** <img src=x onerror=alert(1)> [Click to re-authenticate](https://evil.example/login) **\u202e\u0007';
    const request = warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() }) as Record<string, any>;
    request.context.draftOrders = bundle('collection', [medicationRequest('draft-ibuprofen', '197805', display)]);
    const res = await post(t.app, '/cds-services/drug-interactions', request);
    expect(res.status).toBe(200);
    const { cards } = (await res.json()) as { cards: { summary: string; detail: string }[] };
    expect(cards[0]!.summary).toBe('Bleeding risk: Ibu** <img src=x onerror=alert(1)> [Click to re-authenticate](https://evil.example/login) ** with warfarin');
    expect(cards[0]!.detail).toMatch(
      /^\*\*Ibu\\\*\\\* &lt;img src=x onerror=alert\(1\)&gt; \\\[Click to re-authenticate\\\]\(https:\/\/evil\.example\/login\) \\\*\\\*\*\* together with \*\*warfarin/,
    );
  });
});

describe('a hookInstance used again is recorded as a retry (issue 13, finding 8)', () => {
  it('the second call is answered and stored, linked to the first by retry_of; a new hookInstance is not', async () => {
    const hookInstance = crypto.randomUUID();
    for (let i = 0; i < 3; i++) expect((await post(t.app, '/cds-services/drug-interactions', warfarinIbuprofenRequest({ hookInstance }))).status).toBe(200);
    const rows = await t.rows<{ id: string; retry_of: string | null }>('select id, retry_of from invocations where hook_instance = ? order by received_at, rowid', hookInstance);
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.retry_of)).toEqual([null, rows[0]!.id, rows[0]!.id]);
    const other = crypto.randomUUID();
    await post(t.app, '/cds-services/drug-interactions', warfarinIbuprofenRequest({ hookInstance: other }));
    expect(await t.rows('select retry_of from invocations where hook_instance = ?', other)).toEqual([{ retry_of: null }]);
  });

  it('the same hookInstance on another service is not a retry', async () => {
    const hookInstance = crypto.randomUUID();
    await post(t.app, '/cds-services/drug-interactions', warfarinIbuprofenRequest({ hookInstance }));
    await post(t.app, '/cds-services/preventive-care', patientViewRequest({ hookInstance }));
    const rows = await t.rows<{ service_id: string; retry_of: string | null }>('select service_id, retry_of from invocations where hook_instance = ? order by service_id', hookInstance);
    expect(rows).toEqual([
      { service_id: 'drug-interactions', retry_of: null },
      { service_id: 'preventive-care', retry_of: null },
    ]);
  });
});

describe('systemActions (checklist #37)', () => {
  const files = [
    { path: 'rules/reminders/service.yaml', text: 'hook: patient-view\ntitle: Reminders\ndescription: Files reminders\nprefetch:\n  patient: Patient/{{context.patientId}}\n' },
    {
      path: 'rules/reminders/flag.yaml',
      text: [
        'id: flag',
        'title: Flags adults for review',
        'references: [{ label: Test, url: "https://example.org/test" }]',
        'when: "%patient.birthDate.ageInYears() >= 18"',
        'systemActions:',
        '  - type: create',
        '    description: "Flag the chart of a patient aged {{age}}"',
        '    resource:',
        '      resourceType: Flag',
        '      status: active',
        '      code: { text: Review medications }',
        '      subject: { reference: "Patient/{{context.patientId}}" }',
        'with:',
        '  age: "%patient.birthDate.ageInYears()"',
      ].join('\n'),
    },
  ];

  it('a rule without a card returns actions at the response level, and none when it does not fire', async () => {
    const app = await testApp({ ruleSet: compileInline(files) });
    const call = (birthDate: string) =>
      post(app.app, '/cds-services/reminders', {
        hook: 'patient-view',
        hookInstance: crypto.randomUUID(),
        context: { userId: 'Practitioner/u', patientId: 'p9' },
        prefetch: { patient: { resourceType: 'Patient', id: 'p9', birthDate } },
      });
    const adult = await call('1980-05-06');
    expect(adult.status).toBe(200);
    const body = (await adult.json()) as { cards: unknown[]; systemActions: unknown[] };
    expect(body.cards).toEqual([]);
    expect(body.systemActions).toEqual([
      {
        type: 'create',
        description: expect.stringMatching(/^Flag the chart of a patient aged \d+$/),
        resource: { resourceType: 'Flag', status: 'active', code: { text: 'Review medications' }, subject: { reference: 'Patient/p9' } },
      },
    ]);
    const child = await call(new Date(Date.now() - 5 * 365 * 864e5).toISOString().slice(0, 10));
    expect(await child.json()).toEqual({ cards: [] });
    await app.close();
  });
});
