/**
 * fhirAuthorization scopes gate the FHIR fallback: a prefetch key whose query the granted SMART
 * scopes (v1 or v2, with v2 query restrictions) do not cover is not asked of the server; it is
 * unavailable, and the rules that read it are named in the degraded extension with the reason
 * `scope-not-granted`. Against a real FHIR server process over the Synthea patients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileInline, post, type TestApp, testApp } from '../support/app.ts';
import { type Started, startFhirServer } from '../support/processes.ts';

/** Cher186 Crooks415 (Synthea): has conditions and laboratory observations on record. */
const CHER = '1818afec-ef81-4c14-9ecf-0541f2ee9b22';
const TOKEN = 'scoped-token';

const rule = (id: string, reads: string) => ({
  path: `rules/scoped/${id}.yaml`,
  text: `id: ${id}\ntitle: ${id}\nreferences: [{ label: T, url: "https://example.org" }]\nwhen: "${reads}.exists()"\ncard: seen\n`,
});

let fhir: Started;
let t: TestApp;
beforeAll(async () => {
  [fhir, t] = await Promise.all([
    startFhirServer({ FHIR_REQUIRE_TOKEN: TOKEN }),
    testApp({
      config: { prefetchTimeoutMs: 15_000 },
      ruleSet: compileInline([
        { path: 'cards/seen.yaml', text: 'summary: Seen\nindicator: info\nsource:\n  label: Test\n' },
        {
          path: 'rules/scoped/service.yaml',
          text: [
            'hook: patient-view',
            'title: Scoped',
            'description: Reads three kinds of data',
            'prefetch:',
            '  patient: Patient/{{context.patientId}}',
            '  labs: Observation?patient={{context.patientId}}&category=laboratory',
            '  conditions: Condition?patient={{context.patientId}}',
            '',
          ].join('\n'),
        },
        rule('reads-patient', '%patient'),
        rule('reads-labs', '%labs.entry'),
        rule('reads-conditions', '%conditions.entry'),
      ]),
    }),
  ]);
});
afterAll(async () => {
  await t.close();
  await fhir.stop();
});

async function call(scope: string) {
  const hookInstance = crypto.randomUUID();
  const res = await post(t.app, '/cds-services/scoped', {
    hook: 'patient-view',
    hookInstance,
    fhirServer: `http://127.0.0.1:${fhir.port}`,
    fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer', expires_in: 300, scope, subject: 'cds-service' },
    context: { userId: 'Practitioner/dr', patientId: CHER },
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { cards: unknown[]; extension?: Record<string, { skipped: unknown[] }> };
  const [row] = await t.rows<{ prefetch_fetched: string; prefetch_unavailable: string }>('select prefetch_fetched, prefetch_unavailable from invocations where hook_instance = ?', hookInstance);
  return { cards: body.cards.length, skipped: body.extension?.['org.cds-rules.degraded']?.skipped ?? [], fetched: JSON.parse(row!.prefetch_fetched).sort() as string[], unavailable: JSON.parse(row!.prefetch_unavailable) };
}

describe('granted scopes decide what the FHIR fallback asks for', () => {
  it('v1 (patient/Type.read): a type not granted is not fetched, its rule is skipped as scope-not-granted', async () => {
    const result = await call('launch/patient openid patient/Patient.read patient/Observation.read');
    expect(result.fetched).toEqual(['labs', 'patient']);
    expect(result.skipped).toEqual([{ rule: 'reads-conditions', reason: 'scope-not-granted', prefetch: ['conditions'] }]);
    expect(result.cards).toBe(2);
    expect(JSON.stringify(result.unavailable)).toContain('conditions');
  });

  it('v1 wildcard (user/*.read) covers everything', async () => {
    const result = await call('user/*.read');
    expect(result.fetched).toEqual(['conditions', 'labs', 'patient']);
    expect(result.skipped).toEqual([]);
    expect(result.cards).toBe(3);
  });

  it('v2 (patient/Type.rs) with a query restriction the query meets: fetched', async () => {
    const result = await call('patient/Patient.r patient/Observation.rs?category=laboratory patient/Condition.rs');
    expect(result.fetched).toEqual(['conditions', 'labs', 'patient']);
    expect(result.skipped).toEqual([]);
  });

  it('v2 with a query restriction the query does not meet, or read without search: not fetched', async () => {
    const result = await call('patient/Patient.r patient/Observation.rs?category=vital-signs patient/Condition.r');
    expect(result.fetched).toEqual(['patient']);
    expect(result.skipped).toEqual([
      { rule: 'reads-conditions', reason: 'scope-not-granted', prefetch: ['conditions'] },
      { rule: 'reads-labs', reason: 'scope-not-granted', prefetch: ['labs'] },
    ]);
  });

  it('v2 search without read (patient/Patient.s) does not cover the Patient read', async () => {
    const result = await call('patient/Patient.s patient/Observation.rs patient/Condition.rs');
    expect(result.fetched).toEqual(['conditions', 'labs']);
    expect(result.skipped).toEqual([{ rule: 'reads-patient', reason: 'scope-not-granted', prefetch: ['patient'] }]);
  });

  it('when no granted scope covers any key, the call is 412 as for any unavailable data', async () => {
    const res = await post(t.app, '/cds-services/scoped', {
      hook: 'patient-view',
      hookInstance: crypto.randomUUID(),
      fhirServer: `http://127.0.0.1:${fhir.port}`,
      fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer', scope: 'openid fhirUser', subject: 'cds-service' },
      context: { userId: 'Practitioner/dr', patientId: CHER },
    });
    expect(res.status).toBe(412);
    const outcome = (await res.json()) as { issue: { diagnostics: string; expression: string[] }[] };
    expect(outcome.issue.map((i) => i.expression[0]).sort()).toEqual(['prefetch.conditions', 'prefetch.labs', 'prefetch.patient']);
    expect(outcome.issue[0]!.diagnostics).toMatch(/granted scopes do not cover/);
  });

  it('without a scope (EHRs differ) the server alone decides, as before', async () => {
    const res = await post(t.app, '/cds-services/scoped', {
      hook: 'patient-view',
      hookInstance: crypto.randomUUID(),
      fhirServer: `http://127.0.0.1:${fhir.port}`,
      fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer' },
      context: { userId: 'Practitioner/dr', patientId: CHER },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { cards: unknown[] }).cards).toHaveLength(3);
  });
});
