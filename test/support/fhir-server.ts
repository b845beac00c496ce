/**
 * A real FHIR R4 server process for tests: Medplum's FHIR router over an in-memory repository,
 * behind node:http. Loads the Synthea patients from test/fixtures/synthea (and any bundle files named
 * in FHIR_BUNDLES), then prints `{"port":N}` on stdout.
 *
 * Knobs, so tests can see how the service copes with a real server misbehaving:
 * - FHIR_REQUIRE_TOKEN=x  answers 401 unless `Authorization: Bearer x`
 * - FHIR_DELAY_MS=n       waits n ms before answering
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import { MemoryFhirServer } from '../../src/authoring/memory-fhir.ts';

const SYNTHEA = new URL('../fixtures/synthea/', import.meta.url).pathname;
const fhir = new MemoryFhirServer();
const bundles = [
  ...readdirSync(SYNTHEA).filter((f) => f.endsWith('.json')).map((f) => join(SYNTHEA, f)),
  ...(process.env.FHIR_BUNDLES ? process.env.FHIR_BUNDLES.split(',') : []),
];
for (const file of bundles) await fhir.addBundle(JSON.parse(readFileSync(file, 'utf8')) as Bundle);

const token = process.env.FHIR_REQUIRE_TOKEN;
const delay = Number(process.env.FHIR_DELAY_MS ?? 0);

const server = createServer(async (req, res) => {
  if (delay) await new Promise((r) => setTimeout(r, delay));
  if (token && req.headers.authorization !== `Bearer ${token}`) {
    res.writeHead(401, { 'content-type': 'application/fhir+json' });
    res.end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login' }] }));
    return;
  }
  if (req.method !== 'GET') {
    res.writeHead(405).end();
    return;
  }
  const { status, body } = await fhir.get(req.url ?? '/');
  res.writeHead(status, { 'content-type': 'application/fhir+json' });
  res.end(JSON.stringify(body));
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
