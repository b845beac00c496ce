import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileInline, shippedRuleSet, type TestApp, testApp } from '../support/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(() => t.close());

describe('GET /cds-services', () => {
  it('lists one service per service folder with the spec fields (checklist #6, #7)', async () => {
    const res = await t.app.request('/cds-services');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const { services } = (await res.json()) as { services: Record<string, unknown>[] };
    // The shipped services (derived, so adding content does not break this test), and at least
    // the original four with their hooks.
    const shipped = [...(await shippedRuleSet()).services.values()].map((s) => [s.id, s.hook]).sort();
    expect(services.map((s) => [s.id, s.hook]).sort()).toEqual(shipped);
    expect(shipped).toEqual(
      expect.arrayContaining([
        ['allergy-check', 'order-select'],
        ['drug-interactions', 'order-sign'],
        ['preventive-care', 'patient-view'],
        ['renal-dosing', 'order-sign'],
      ]),
    );
    for (const s of services) {
      expect(typeof s.title).toBe('string');
      expect(typeof s.description).toBe('string');
      expect(s.id).toMatch(/^[A-Za-z0-9._~-]+$/);
    }
  });

  it('advertises the union of the service and rule prefetch templates', async () => {
    const { services } = (await (await t.app.request('/cds-services')).json()) as { services: { id: string; prefetch: Record<string, string> }[] };
    const preventive = services.find((s) => s.id === 'preventive-care')!;
    expect(preventive.prefetch).toEqual({
      patient: 'Patient/{{context.patientId}}',
      conditions: 'Condition?patient={{context.patientId}}',
      medications: 'MedicationRequest?patient={{context.patientId}}&status=active',
      riskObservations: expect.stringMatching(/^Observation\?patient=\{\{context.patientId\}\}&code=http:\/\/loinc.org\|2093-3,/),
      a1c: expect.stringMatching(/^Observation\?patient=\{\{context.patientId\}\}&code=http:\/\/loinc.org\|4548-4,/),
      procedures: 'Procedure?patient={{context.patientId}}',
      labs: 'Observation?patient={{context.patientId}}&category=laboratory',
    });
  });

  it('answers {"services": []} when no service is loaded', async () => {
    const empty = await testApp({ ruleSet: compileInline([]) });
    const res = await empty.app.request('/cds-services');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ services: [] });
    await empty.close();
  });

  it('omits prefetch and usageRequirements when a service has none (no empty values, checklist #2)', async () => {
    const app = await testApp({
      ruleSet: compileInline([
        { path: 'rules/hello/service.yaml', text: 'hook: patient-view\ntitle: Hello\ndescription: Says hello\n' },
      ]),
    });
    const { services } = (await (await app.app.request('/cds-services')).json()) as { services: Record<string, unknown>[] };
    // version is the CDS Hooks version (3.0 ballot); a service with no rules still has a content
    // version (the hash of an empty list), in its extension.
    expect(services).toEqual([
      {
        hook: 'patient-view',
        id: 'hello',
        title: 'Hello',
        description: 'Says hello',
        version: '2.0.1',
        hookVersion: '1.0',
        extension: { 'org.cds-rules.content-version': expect.stringMatching(/^[0-9a-f]{16}$/) },
      },
    ]);
    await app.close();
  });

  it('answers 405 with an Allow header to other methods', async () => {
    const res = await t.app.request('/cds-services', { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, OPTIONS');
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });
});

describe('CORS for browser clients such as the CDS Hooks sandbox (checklist #54)', () => {
  for (const path of ['/cds-services', '/cds-services/drug-interactions', '/cds-services/drug-interactions/feedback']) {
    it(`answers the preflight on ${path} without a token`, async () => {
      const res = await t.app.request(path, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://sandbox.cds-hooks.org',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
    });
  }

  it('puts Access-Control-Allow-Origin on error answers too', async () => {
    const res = await t.app.request('/cds-services/nope', { method: 'POST', headers: { origin: 'https://sandbox.cds-hooks.org' }, body: '{}' });
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('GET /health', () => {
  it('reports the loaded content', async () => {
    const res = await t.app.request('/health');
    expect(res.status).toBe(200);
    const { services, rules } = (await shippedRuleSet()).counts;
    expect(await res.json()).toMatchObject({ status: 'ok', content: { services, rules } });
  });
});

describe('discovery caching for EHRs that poll it', () => {
  const files = (title: string) => [{ path: 'rules/hello/service.yaml', text: `hook: patient-view\ntitle: ${title}\ndescription: Says hello\n` }];

  it('sends an ETag and a short private Cache-Control with the document', async () => {
    const res = await t.app.request('/cds-services');
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(res.headers.get('cache-control')).toBe('private, max-age=60');
  });

  it('answers 304 without a body to If-None-Match naming the current tag (strong, weak, in a list, *)', async () => {
    const etag = (await t.app.request('/cds-services')).headers.get('etag')!;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await t.app.request('/cds-services', { headers: { 'if-none-match': header } });
      expect(res.status, header).toBe(304);
      expect(await res.text()).toBe('');
      expect(res.headers.get('etag')).toBe(etag);
      expect(res.headers.get('cache-control')).toBe('private, max-age=60');
    }
  });

  it('answers 200 with the document to a tag that is not the current one', async () => {
    const res = await t.app.request('/cds-services', { headers: { 'if-none-match': '"0123"' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { services: unknown[] }).services.length).toBeGreaterThan(0);
  });

  it('changes the tag when the content changes, and keeps it while it does not', async () => {
    let ruleSet = compileInline(files('Hello'));
    const app = await testApp({ ruleSet: () => ruleSet });
    const first = (await app.app.request('/cds-services')).headers.get('etag')!;
    expect((await app.app.request('/cds-services')).headers.get('etag')).toBe(first);
    // The same texts compiled again (a reload that changed nothing): the same tag.
    ruleSet = compileInline(files('Hello'));
    expect((await app.app.request('/cds-services', { headers: { 'if-none-match': first } })).status).toBe(304);
    ruleSet = compileInline(files('Hello again'));
    const res = await app.app.request('/cds-services', { headers: { 'if-none-match': first } });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).not.toBe(first);
    expect(((await res.json()) as { services: { title: string }[] }).services[0]!.title).toBe('Hello again');
    await app.close();
  });
});
