/**
 * `npm run bench`: latency and throughput of real hook calls, against a bare Hono baseline
 * measured in the same run on the same machine (so the numbers compare, whatever the machine).
 *
 * Workloads (Synthea patients from test/fixtures/synthea, everything prefetched by the "EHR"):
 * - patient-view on preventive-care for Debora709 Mayer370 (205 observations in the bundle);
 * - order-sign on drug-interactions for Cher186 Crooks415 with a draft alprazolam (fires the
 *   opioid + benzodiazepine card);
 * - order-sign on opioidcds-04-05 (the MME rules, with the CDC opioid libraries) for the same.
 * Baseline: a Hono app that parses the same body and answers `{"cards":[]}`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import autocannon from 'autocannon';
import { Hono } from 'hono';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { createApp } from '../src/app.ts';
import { silentLogger } from '../src/log/logger.ts';
import { loadContent } from '../src/node/content-files.ts';
import { openSqliteStore } from '../src/node/sqlite.ts';
import { MemoryFhirServer } from '../src/authoring/memory-fhir.ts';
import { expandTemplate } from '../src/protocol/prefetch-template.ts';

const SYNTHEA = new URL('../test/fixtures/synthea/', import.meta.url).pathname;
const seconds = Number(process.env.BENCH_SECONDS ?? 5);

function patientData(file: string) {
  const bundle = JSON.parse(readFileSync(join(SYNTHEA, file), 'utf8')) as Bundle;
  const resources = (bundle.entry ?? []).map((e) => e.resource as Resource);
  const patient = resources.find((r) => r.resourceType === 'Patient')!;
  const search = (type: string) => ({
    resourceType: 'Bundle',
    type: 'searchset',
    entry: resources.filter((r) => r.resourceType === type).map((resource) => ({ resource })),
  });
  return { patient, search };
}

/**
 * Everything the service's discovery asks for, prefetched as an EHR would: a read of the Patient,
 * and for each search every resource of its type in the patient's record (a superset of what
 * the query would match, so the rules walk at least as much data as in real use).
 */
function prefetchFor(template: Record<string, string>, patient: Resource, search: (type: string) => unknown) {
  return Object.fromEntries(
    Object.entries(template).map(([key, query]) => {
      const type = query.split(/[/?]/)[0]!;
      return [key, query.startsWith('Patient/') ? patient : search(type)];
    }),
  );
}

const discovered = async () =>
  ((await (await app.request('/cds-services')).json()) as { services: { id: string; prefetch?: Record<string, string> }[] }).services;

async function patientView() {
  const { patient, search } = patientData('Debora709_Mayer370.bundle.json');
  const service = (await discovered()).find((s) => s.id === 'preventive-care')!;
  return {
    hook: 'patient-view',
    hookInstance: crypto.randomUUID(),
    context: { userId: 'Practitioner/bench', patientId: patient.id },
    prefetch: prefetchFor(service.prefetch ?? {}, patient, search),
  };
}

async function orderSign(serviceId: string) {
  const { patient, search } = patientData('Cher186_Crooks415.bundle.json');
  const service = (await discovered()).find((s) => s.id === serviceId)!;
  return {
    hook: 'order-sign',
    hookInstance: crypto.randomUUID(),
    context: {
      userId: 'Practitioner/bench',
      patientId: patient.id,
      draftOrders: {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [
          {
            resource: {
              resourceType: 'MedicationRequest',
              id: 'draft-1',
              status: 'draft',
              intent: 'order',
              subject: { reference: `Patient/${patient.id}` },
              medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '308048', display: 'alprazolam 0.5 MG Oral Tablet' }] },
            },
          },
        ],
      },
    },
    prefetch: prefetchFor(service.prefetch ?? {}, patient, search),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function inProcess(app: { request: (path: string, init: RequestInit) => Response | Promise<Response> }, path: string, body: string, n: number) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    const res = await app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await res.arrayBuffer();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function load(fetchHandler: (req: Request) => Response | Promise<Response>, path: string, body: string) {
  const server = serve({ fetch: fetchHandler, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: 10,
    duration: seconds,
  });
  await new Promise((r) => server.close(r));
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

const { ruleSet } = await loadContent('.');
if (!ruleSet) throw new Error('content does not compile');
const dir = mkdtempSync(join(tmpdir(), 'cds-bench-'));
const database = openSqliteStore(join(dir, 'bench.sqlite'), { synchronous: (process.env.CDS_DB_SYNCHRONOUS as 'FULL' | 'NORMAL') ?? 'FULL' });
const app = createApp({ ruleSet: () => ruleSet, store: database.store, log: silentLogger });
const baseline = new Hono().post('/cds-services/:id', async (c) => {
  await c.req.json();
  return c.json({ cards: [] });
});

/**
 * The same call with the prefetch an EHR would really send: each discovery query run against a
 * FHIR server holding the patient's record (Medplum's search over the Synthea bundle).
 */
async function asQueried(body: string, file: string): Promise<string> {
  const request = JSON.parse(body) as { context: Record<string, unknown>; prefetch: Record<string, unknown> };
  const service = (await discovered()).find((s) => `/cds-services/${s.id}` === currentPath)!;
  const fhir = new MemoryFhirServer();
  await fhir.addBundle(JSON.parse(readFileSync(join(SYNTHEA, file), 'utf8')) as Bundle);
  const prefetch: Record<string, unknown> = {};
  for (const [key, template] of Object.entries(service.prefetch ?? {})) {
    const query = expandTemplate(template, request.context);
    const answer = query === undefined ? undefined : await fhir.get(query);
    prefetch[key] = answer && answer.status < 300 ? answer.body : null;
  }
  return JSON.stringify({ ...request, prefetch });
}
let currentPath = '';

const rows: string[] = [];
const fmt = (n: number) => n.toFixed(2).padStart(8);
for (const [name, path, make, file] of [
  ['patient-view preventive-care', '/cds-services/preventive-care', patientView, 'Debora709_Mayer370.bundle.json'],
  ['order-sign drug-interactions', '/cds-services/drug-interactions', () => orderSign('drug-interactions'), 'Cher186_Crooks415.bundle.json'],
  ['order-sign opioidcds-04-05 (MME)', '/cds-services/opioidcds-04-05-order-sign', () => orderSign('opioidcds-04-05-order-sign'), 'Cher186_Crooks415.bundle.json'],
] as const) {
  currentPath = path;
  const body = JSON.stringify(await make());
  const queried = await asQueried(body, file);
  const check = await app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const cards = ((await check.json()) as { cards: unknown[] }).cards.length;
  await inProcess(app, path, body, 50); // warm-up
  const svc = await inProcess(app, path, body, 500);
  const base = await inProcess(baseline, path, body, 500);
  await inProcess(app, path, queried, 50);
  const svcQueried = await inProcess(app, path, queried, 500);
  const baseQueried = await inProcess(baseline, path, queried, 500);
  const svcLoad = await load(app.fetch, path, body);
  const baseLoad = await load(baseline.fetch, path, body);
  rows.push(
    `${name} (${(body.length / 1024).toFixed(0)} KB body with every resource of each queried type, ${cards} card(s))`,
    `  in-process ms    service p50 ${fmt(svc.p50)}  p99 ${fmt(svc.p99)} | baseline p50 ${fmt(base.p50)}  p99 ${fmt(base.p99)} | own time p50 ${fmt(svc.p50 - base.p50)}`,
    `  as queried (${(queried.length / 1024).toFixed(0)} KB: what the discovery queries return) service p50 ${fmt(svcQueried.p50)}  p99 ${fmt(svcQueried.p99)} | baseline p50 ${fmt(baseQueried.p50)} | own time p50 ${fmt(svcQueried.p50 - baseQueried.p50)}`,
    `  HTTP, 10 conns   service ${fmt(svcLoad.rps)} req/s p50 ${svcLoad.p50} ms p99 ${svcLoad.p99} ms | baseline ${fmt(baseLoad.rps)} req/s p50 ${baseLoad.p50} ms p99 ${baseLoad.p99} ms | non-2xx ${svcLoad.non2xx}`,
  );
}
const timing = database.sqlite.prepare('select count(*) n, avg(prefetch_ms) p, avg(evaluate_ms) e, avg(total_ms) t from invocations').get() as Record<string, number>;
rows.push(`recorded invocations ${timing.n}: mean prefetch ${timing.p!.toFixed(3)} ms, evaluate ${timing.e!.toFixed(3)} ms, total ${timing.t!.toFixed(3)} ms (SQLite synchronous=${database.sqlite.pragma('synchronous', { simple: true }) === 2 ? 'FULL' : 'NORMAL'})`);
console.log(rows.join('\n'));
database.close();
rmSync(dir, { recursive: true, force: true });
