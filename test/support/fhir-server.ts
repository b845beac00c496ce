/**
 * A real FHIR R4 server process for tests: Medplum's FHIR router over an in-memory repository,
 * behind node:http. Loads the Synthea patients from test/fixtures/synthea (and any bundle files named
 * in FHIR_BUNDLES), then prints `{"port":N}` on stdout.
 *
 * It speaks enough of FHIR's HTTP API for a browser client such as the CDS Hooks Sandbox: CORS
 * (any origin, preflights answered), `GET /metadata` (a CapabilityStatement naming the types it
 * serves), reads and searches by GET, and searches by `POST {Type}/_search` with a form body.
 *
 * Knobs, so tests can see how the service copes with a real server misbehaving:
 * - FHIR_SYNTHEA=false              leaves the Synthea patients out (only FHIR_BUNDLES are served)
 * - FHIR_REQUIRE_TOKEN=x            answers 401 unless `Authorization: Bearer x`
 * - FHIR_DELAY_MS=n                 waits n ms before answering
 * - FHIR_REFUSE_TYPES=Encounter,... answers 404 (an OperationOutcome) to any read or search of
 *                                   those types, as a server that does not support them does
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import { MemoryFhirServer } from '../../src/authoring/memory-fhir.ts';

const SYNTHEA = new URL('../fixtures/synthea/', import.meta.url).pathname;
const fhir = new MemoryFhirServer();
const bundles = [
  ...(process.env.FHIR_SYNTHEA === 'false' ? [] : readdirSync(SYNTHEA).filter((f) => f.endsWith('.json')).map((f) => join(SYNTHEA, f))),
  ...(process.env.FHIR_BUNDLES ? process.env.FHIR_BUNDLES.split(',') : []),
];
for (const file of bundles) await fhir.addBundle(JSON.parse(readFileSync(file, 'utf8')) as Bundle);

const token = process.env.FHIR_REQUIRE_TOKEN;
const delay = Number(process.env.FHIR_DELAY_MS ?? 0);
const refused = new Set((process.env.FHIR_REFUSE_TYPES ?? '').split(',').map((s) => s.trim()).filter(Boolean));

/** The types a client may ask for, as the CapabilityStatement lists them. */
const SERVED_TYPES = [
  'AllergyIntolerance', 'CarePlan', 'Condition', 'DiagnosticReport', 'Encounter', 'Immunization', 'Medication',
  'MedicationDispense', 'MedicationRequest', 'Observation', 'Patient', 'Practitioner', 'Procedure',
].filter((t) => !refused.has(t));

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type, accept',
  'access-control-max-age': '600',
};

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...CORS, 'content-type': 'application/fhir+json' });
  res.end(JSON.stringify(body));
}

const outcome = (code: string, diagnostics?: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, ...(diagnostics ? { diagnostics } : {}) }] });

function capabilityStatement() {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-01-01',
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [{ mode: 'server', resource: SERVED_TYPES.map((type) => ({ type, interaction: [{ code: 'read' }, { code: 'search-type' }] })) }],
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const server = createServer(async (req, res) => {
  if (req.method === 'OPTIONS') {
    res.writeHead(204, CORS).end();
    return;
  }
  if (delay) await new Promise((r) => setTimeout(r, delay));
  if (token && req.headers.authorization !== `Bearer ${token}`) {
    send(res, 401, outcome('login'));
    return;
  }
  const url = new URL(req.url ?? '/', 'http://fhir.invalid');
  const type = url.pathname.split('/')[1] ?? '';
  if (url.pathname === '/metadata' && req.method === 'GET') {
    send(res, 200, capabilityStatement());
    return;
  }
  if (refused.has(type)) {
    send(res, 404, outcome('not-supported', `${type} is not supported by this server`));
    return;
  }
  let pathAndQuery = `${url.pathname}${url.search}`;
  if (req.method === 'POST' && url.pathname === `/${type}/_search`) {
    // FHIR search by POST: the parameters come as a form body (and may also be in the URL).
    const params = new URLSearchParams(url.search);
    for (const [name, value] of new URLSearchParams(await readBody(req))) params.append(name, value);
    pathAndQuery = `/${type}?${params.toString()}`;
  } else if (req.method !== 'GET') {
    send(res, 405, outcome('not-supported', `${req.method} is not supported here`));
    return;
  }
  const { status, body } = await fhir.get(pathAndQuery);
  send(res, status, body);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
