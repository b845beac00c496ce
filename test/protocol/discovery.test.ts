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
    // A service with no rules still has a content version (the hash of an empty list).
    expect(services).toEqual([{ hook: 'patient-view', id: 'hello', title: 'Hello', description: 'Says hello', version: expect.stringMatching(/^[0-9a-f]{16}$/), hookVersion: '1.0' }]);
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
