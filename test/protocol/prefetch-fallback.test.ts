/**
 * The FHIR fallback against a real FHIR server process (Medplum's router over the Synthea
 * patients, served over HTTP by test/support/fhir-server.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileInline, post, type TestApp, testApp } from '../support/app.ts';
import { type Started, startFhirServer, startFhirServerWith } from '../support/processes.ts';
import { bundle, medicationRequest } from '../support/requests.ts';

/** Cher186 Crooks415 (Synthea): born 2005, an active hydrocodone/acetaminophen prescription. */
const CHER = '1818afec-ef81-4c14-9ecf-0541f2ee9b22';
const TOKEN = 'token-for-the-test-fhir-server';

let fhir: Started;
let slow: Started;
let t: TestApp;
beforeAll(async () => {
  [fhir, slow, t] = await Promise.all([
    startFhirServer({ FHIR_REQUIRE_TOKEN: TOKEN }),
    startFhirServer({ FHIR_DELAY_MS: '1500' }),
    // Generous: the machine may be busy, and a timeout here would only skip rules.
    testApp({ config: { prefetchTimeoutMs: 15_000 } }),
  ]);
});
afterAll(async () => {
  await t.close();
  await Promise.all([fhir.stop(), slow.stop()]);
});

const alprazolamOrder = (extra: Record<string, unknown> = {}) => ({
  hook: 'order-sign',
  hookInstance: crypto.randomUUID(),
  fhirServer: `http://127.0.0.1:${fhir.port}`,
  fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'cds-service' },
  context: {
    userId: 'Practitioner/example',
    patientId: CHER,
    draftOrders: bundle('collection', [medicationRequest('draft-alprazolam', '308048', 'alprazolam 0.5 MG Oral Tablet')]),
  },
  ...extra,
});

async function invocation(hookInstance: string): Promise<Record<string, any>> {
  return (await t.rows('select * from invocations where hook_instance = ?', hookInstance))[0]!;
}

describe('prefetch fallback to the FHIR server', () => {
  it('fetches the keys the client did not send, with its access token, and the rules see the data', async () => {
    const request = alprazolamOrder();
    const res = await post(t.app, '/cds-services/drug-interactions', request);
    expect(res.status).toBe(200);
    const { cards } = (await res.json()) as { cards: { summary: string }[] };
    expect(cards.map((c) => c.summary)).toEqual([
      'Avoid prescribing Acetaminophen 300 MG / HYDROcodone Bitartrate 5 MG Oral Tablet with alprazolam 0.5 MG Oral Tablet',
    ]);
    expect(JSON.parse((await invocation(request.hookInstance)).prefetch_fetched).sort()).toEqual(['activeMeds', 'conditions', 'patient', 'potassium', 'qtc']);
  });

  it('fetches only what is missing: keys the client sent, even as null, are not fetched', async () => {
    const request = alprazolamOrder({
      fhirAuthorization: { access_token: 'wrong', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'cds-service' },
      prefetch: { patient: null, activeMeds: null, potassium: null },
    });
    const res = await post(t.app, '/cds-services/drug-interactions', request);
    expect(res.status).toBe(200);
    expect(JSON.parse((await invocation(request.hookInstance)).prefetch_fetched)).toEqual([]);
  });

  it('412 naming the keys when the server refuses the token', async () => {
    const request = alprazolamOrder({
      fhirAuthorization: { access_token: 'wrong', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'cds-service' },
    });
    const res = await post(t.app, '/cds-services/drug-interactions', request);
    expect(res.status).toBe(412);
    const outcome = (await res.json()) as { issue: { expression: string[]; diagnostics: string }[] };
    expect(outcome.issue.map((i) => i.expression[0]).sort()).toEqual(['prefetch.activeMeds', 'prefetch.patient', 'prefetch.potassium', 'prefetch.qtc']);
    expect(outcome.issue[0]!.diagnostics).toContain('FHIR server answered 401');
    expect(await invocation(request.hookInstance)).toMatchObject({ status: 412, outcome: 'rejected' });
  });

  it('412 when the server does not answer within the deadline', async () => {
    const quick = await testApp({ config: { prefetchTimeoutMs: 300 } });
    const res = await post(quick.app, '/cds-services/drug-interactions', alprazolamOrder({ fhirServer: `http://127.0.0.1:${slow.port}`, fhirAuthorization: undefined }));
    expect(res.status).toBe(412);
    const outcome = (await res.json()) as { issue: { diagnostics: string }[] };
    expect(outcome.issue[0]!.diagnostics).toContain('no answer within 300 ms');
    await quick.close();
  });

  it('412 when the server cannot be reached', async () => {
    const res = await post(t.app, '/cds-services/drug-interactions', alprazolamOrder({ fhirServer: 'http://127.0.0.1:9', fhirAuthorization: undefined }));
    expect(res.status).toBe(412);
    expect(((await res.json()) as { issue: { diagnostics: string }[] }).issue[0]!.diagnostics).toContain('could not be reached');
  });

  it('a response over the size cap makes its key unavailable: the rules that read it are left out and named', async () => {
    // Cher's Patient resource is over 2000 bytes; her active medications and potassium are not.
    const capped = await testApp({ config: { prefetchMaxBytes: 2000, prefetchTimeoutMs: 15_000 } });
    const request = alprazolamOrder();
    const res = await post(capped.app, '/cds-services/drug-interactions', request);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { extension: Record<string, { skipped: unknown[] }> };
    // Every rule that reads the patient (age, for instance) is left out, and only those.
    expect(body.extension['org.cds-rules.degraded']!.skipped).toEqual(
      ['opioid-benzodiazepine', 'opioid-gabapentinoid', 'warfarin-nsaid-gastroprotected-risk', 'warfarin-nsaid-gastroprotected'].map((rule) => ({
        rule,
        reason: 'prefetch-unavailable',
        prefetch: ['patient'],
      })),
    );
    expect(capped.logs.find((l) => l.includes('"prefetch unavailable"'))).toContain('patient could not be fetched: FHIR response exceeds the 2000-byte cap');
    await capped.close();
  });

  it('a response nesting deeper than the limit makes its key unavailable, as the client could not have sent it', async () => {
    // Valid FHIR: extensions nested in extensions, 2 levels each. A prefetch value may nest 62
    // levels (64 counted from the body, which holds it 2 deep): Patient 1, its extension array 2,
    // then 2 per nested extension, the leaf 1 (a Coding leaf 2).
    const leaf = { string: { url: 'http://example.org/leaf', valueString: 'x' }, coding: { url: 'http://example.org/leaf', valueCoding: { system: 'http://example.org', code: 'x' } } };
    const nested = (levels: number, at: keyof typeof leaf): Record<string, unknown> => (levels === 0 ? leaf[at] : { url: `http://example.org/level-${levels}`, extension: [nested(levels - 1, at)] });
    const patient = (id: string, extension: Record<string, unknown>) => ({ resourceType: 'Patient', id, birthDate: '1950-03-04', gender: 'female', extension: [extension] });
    // 2 + 2 x 29 + 2 = 62 levels, and 2 + 2 x 30 + 1 = 63.
    const deepServer = await startFhirServerWith([patient('fine', nested(29, 'coding')), patient('deep', nested(30, 'string'))]);
    try {
      const call = (patientId: string) =>
        post(t.app, '/cds-services/drug-interactions', {
          ...alprazolamOrder({ fhirServer: `http://127.0.0.1:${deepServer.port}`, fhirAuthorization: undefined }),
          context: { userId: 'Practitioner/example', patientId, draftOrders: bundle('collection', [medicationRequest('draft-alprazolam', '308048', 'alprazolam 0.5 MG Oral Tablet')]) },
          prefetch: { activeMeds: bundle('searchset', []), potassium: bundle('searchset', []), conditions: bundle('searchset', []), qtc: bundle('searchset', []) },
        });
      const fine = await call('fine');
      expect(fine.status).toBe(200);
      expect(((await fine.json()) as { extension?: unknown }).extension).toBeUndefined();
      const deep = await call('deep');
      expect(deep.status).toBe(200);
      const body = (await deep.json()) as { extension: Record<string, { skipped: { rule: string; reason: string; prefetch: string[] }[] }> };
      expect(body.extension['org.cds-rules.degraded']!.skipped.map((s) => [s.reason, s.prefetch])).toEqual(Array(4).fill(['prefetch-unavailable', ['patient']]));
      expect(t.logs.find((l) => l.includes('"prefetch unavailable"') && l.includes('nests deeper'))).toContain('patient could not be fetched: FHIR response nests deeper than 62 levels');
    } finally {
      await deepServer.stop();
    }
  });

  it('a read that finds nothing (404) means "nothing there", not a failure', async () => {
    const request = alprazolamOrder();
    request.context.patientId = 'no-such-patient';
    const res = await post(t.app, '/cds-services/drug-interactions', request);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ cards: [] });
  });
});

describe('paginated searches', () => {
  const content = (pages: number) =>
    compileInline([
      {
        path: 'rules/obs/service.yaml',
        text: 'hook: patient-view\ntitle: Obs\ndescription: Counts observations\nprefetch:\n  obs: Observation?patient={{context.patientId}}&_count=50\n',
      },
      {
        path: 'rules/obs/many.yaml',
        text: `id: many\ntitle: Many observations\nreferences: [{ label: Test, url: "https://example.org" }]\nwhen: "%obs.entry.count() > 100"\ncard: many\nwith:\n  n: "%obs.entry.count()"\n# pages ${pages}\n`,
      },
      { path: 'cards/many.yaml', text: 'summary: "{{n}} observations"\nindicator: info\nsource:\n  label: Test\n' },
    ]);
  const request = () => ({
    hook: 'patient-view',
    hookInstance: crypto.randomUUID(),
    fhirServer: `http://127.0.0.1:${fhir.port}`,
    fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'cds-service' },
    context: { userId: 'Practitioner/example', patientId: CHER },
  });

  it('follows next links on the same server and merges the pages', async () => {
    // A generous deadline: this is about pages, and five of them are slow on a busy 2-core CI box.
    const app = await testApp({ ruleSet: content(5), config: { prefetchMaxPages: 5, prefetchTimeoutMs: 15_000 } });
    const res = await post(app.app, '/cds-services/obs', request());
    expect(await res.json()).toMatchObject({ cards: [{ summary: '124 observations' }] });
    await app.close();
  });

  it('stops at the configured number of pages', async () => {
    const app = await testApp({ ruleSet: content(1), config: { prefetchMaxPages: 1, prefetchTimeoutMs: 15_000 } });
    const res = await post(app.app, '/cds-services/obs', request());
    expect(await res.json()).toEqual({ cards: [] });
    await app.close();
  });
});
