/**
 * Bounds on the shape of a call (CDS_MAX_BUNDLE_ENTRIES, CDS_MAX_SELECTIONS, CDS_MAX_RESOURCES,
 * CDS_PREFETCH_MAX_TOTAL_BYTES): over one, the call is answered 413 naming the field (the FHIR
 * fallback: the key cannot be had), and a call exactly at the bound is answered as usual.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../src/config.ts';
import { compileInline, post, type TestApp, testApp } from '../support/app.ts';
import { type Started, startFhirServer } from '../support/processes.ts';
import { bundle, medicationRequest, warfarinIbuprofenRequest } from '../support/requests.ts';

interface Outcome {
  resourceType: string;
  issue: { code: string; expression?: string[]; diagnostics: string }[];
}

const meds = (n: number) => Array.from({ length: n }, (_, i) => medicationRequest(`active-${i}`, '855332', 'warfarin sodium 5 MG Oral Tablet', 'active'));

/** order-sign with `n` active medications (plus the patient and one draft: n + 2 resources). */
const withActiveMeds = (n: number) => {
  const request = warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() });
  return { ...request, prefetch: { ...request.prefetch, activeMeds: bundle('searchset', meds(n)) } };
};

const orderSelect = (drafts: number, selected: number) => {
  const orders = Array.from({ length: drafts }, (_, i) => medicationRequest(`draft-${i}`, '308182', 'amoxicillin 250 MG Oral Capsule'));
  return {
    hook: 'order-select',
    hookInstance: crypto.randomUUID(),
    context: {
      userId: 'Practitioner/example',
      patientId: 'p1',
      draftOrders: bundle('collection', orders),
      selections: orders.slice(0, selected).map((o) => `MedicationRequest/${o.id}`),
    },
    prefetch: { allergies: bundle('searchset', []) },
  };
};

let t: TestApp;
beforeAll(async () => {
  t = await testApp({ config: { maxBundleEntries: 5, maxSelections: 3, maxResources: 8 } });
});
afterAll(() => t.close());

async function expect413(path: string, body: { hookInstance: string; [key: string]: unknown }, field: string, says: string) {
  const res = await post(t.app, path, body);
  expect(res.status).toBe(413);
  const outcome = (await res.json()) as Outcome;
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue).toHaveLength(1);
  expect(outcome.issue[0]).toMatchObject({ code: 'too-costly', expression: [field] });
  expect(outcome.issue[0]!.diagnostics).toContain(says);
  const [row] = await t.rows('select status, outcome, error from invocations where hook_instance = ?', body.hookInstance);
  expect(row).toEqual({ status: 413, outcome: 'rejected', error: field });
}

describe('input shape bounds', () => {
  it('a prefetch Bundle with more entries than CDS_MAX_BUNDLE_ENTRIES: 413 naming it', async () => {
    await expect413('/cds-services/drug-interactions', withActiveMeds(6), 'prefetch.activeMeds.entry', 'has 6 entries; at most 5');
  });

  it('a context Bundle over the bound: 413 naming it', async () => {
    await expect413('/cds-services/allergy-check', orderSelect(6, 1), 'context.draftOrders.entry', 'has 6 entries; at most 5');
  });

  it('a Bundle exactly at the bound is evaluated', async () => {
    const res = await post(t.app, '/cds-services/drug-interactions', withActiveMeds(5));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { cards: { summary: string }[] }).cards.map((c) => c.summary)).toEqual([
      expect.stringMatching(/warfarin/i),
    ]);
  });

  it('more selections than CDS_MAX_SELECTIONS: 413 naming context.selections', async () => {
    await expect413('/cds-services/allergy-check', orderSelect(4, 4), 'context.selections', 'has 4 items; at most 3');
    expect((await post(t.app, '/cds-services/allergy-check', orderSelect(4, 3))).status).toBe(200);
  });

  it('more resources in the whole call than CDS_MAX_RESOURCES: 413', async () => {
    // 5 active + 1 patient + 1 draft + 2 potassium results = 9 > 8, no Bundle over 5.
    const request = withActiveMeds(5);
    const potassium = bundle('searchset', [
      { resourceType: 'Observation', id: 'k1', status: 'final', code: { text: 'potassium' } },
      { resourceType: 'Observation', id: 'k2', status: 'final', code: { text: 'potassium' } },
    ]);
    await expect413('/cds-services/drug-interactions', { ...request, prefetch: { ...request.prefetch, potassium } }, 'prefetch', 'carries 9 resources');
  });
});

describe('FHIR fallback bounds (a real FHIR server process)', () => {
  /** Cher186 Crooks415 (Synthea) has 124 observations: three pages of 50. */
  const CHER = '1818afec-ef81-4c14-9ecf-0541f2ee9b22';
  let fhir: Started;
  beforeAll(async () => {
    fhir = await startFhirServer();
  });
  afterAll(() => fhir.stop());

  const ruleSet = () =>
    compileInline([
      { path: 'rules/obs/service.yaml', text: 'hook: patient-view\ntitle: Obs\ndescription: Counts observations\nprefetch:\n  obs: Observation?patient={{context.patientId}}&_count=50\n' },
      {
        path: 'rules/obs/many.yaml',
        text: 'id: many\ntitle: Many observations\nreferences: [{ label: Test, url: "https://example.org" }]\nwhen: "%obs.entry.count() > 100"\ncard: many\nwith:\n  n: "%obs.entry.count()"\n',
      },
      { path: 'cards/many.yaml', text: 'summary: "{{n}} observations"\nindicator: info\nsource:\n  label: Test\n' },
    ]);
  const request = () => ({ hook: 'patient-view', hookInstance: crypto.randomUUID(), fhirServer: `http://127.0.0.1:${fhir.port}`, context: { userId: 'Practitioner/example', patientId: CHER } });

  async function fetchWith(config: Partial<ServiceConfig>) {
    const app = await testApp({ ruleSet: ruleSet(), config: { prefetchMaxPages: 5, prefetchTimeoutMs: 15_000, ...config } });
    const res = await post(app.app, '/cds-services/obs', request());
    const body = (await res.json()) as Outcome & { cards?: { summary: string }[] };
    await app.close();
    return { status: res.status, body };
  }

  it('all pages together over CDS_PREFETCH_MAX_TOTAL_BYTES: the key cannot be had, though each page is under the per-page cap', async () => {
    const { status, body } = await fetchWith({ prefetchMaxBytes: 1024 * 1024, prefetchMaxTotalBytes: 100_000 });
    expect(status).toBe(412);
    expect(body.issue.map((i) => i.expression?.[0])).toEqual(['prefetch.obs']);
    expect(body.issue[0]!.diagnostics).toContain('exceed 100000 bytes together');
  });

  it('a merged search over CDS_MAX_BUNDLE_ENTRIES: the key cannot be had', async () => {
    const { status, body } = await fetchWith({ maxBundleEntries: 100 });
    expect(status).toBe(412);
    expect(body.issue[0]!.diagnostics).toContain('more than 100 entries');
  });

  it('under both bounds, every page is read', async () => {
    const { status, body } = await fetchWith({ prefetchMaxTotalBytes: 20 * 1024 * 1024 });
    expect(status).toBe(200);
    expect(body.cards).toEqual([expect.objectContaining({ summary: '124 observations' })]);
  });
});
