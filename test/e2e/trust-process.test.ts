/**
 * The Node process with authentication on (trusted clients from a YAML file), a real JWKS over
 * HTTP and real FHIR server processes holding the Synthea patients:
 * - no patient id, name or birth date from the fixtures, and no JWT or access token, ever
 *   reaches the log output, whatever the call (answered, rejected, refused);
 * - SIGTERM stops accepting, finishes the call in flight, closes the database.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwks, type JwksServer, type SigningKey, signingKey, signToken, startJwksServer } from '../support/jwt.ts';
import { jsonPort, type Started, startFhirServer, startProcess } from '../support/processes.ts';
import { bundle, medicationRequest } from '../support/requests.ts';

const SYNTHEA = new URL('../fixtures/synthea/', import.meta.url).pathname;
const PUBLIC = 'http://cds.test';
const ISS = 'https://ehr.example.org';
const ACCESS_TOKEN = 'fhir-access-token-7f3a9c';

const patients = readdirSync(SYNTHEA)
  .filter((f) => f.endsWith('.json'))
  .map((f) => (JSON.parse(readFileSync(join(SYNTHEA, f), 'utf8')) as Bundle).entry!.map((e) => e.resource!).find((r): r is Patient => r.resourceType === 'Patient')!);

/** What must never be logged: every id, name part and birth date of the fixture patients. */
const secrets = patients.flatMap((p) => [p.id!, p.birthDate!, ...(p.name ?? []).flatMap((n) => [n.family!, ...(n.given ?? [])])]).filter(Boolean);

let dir: string;
let keys: JwksServer;
let key: SigningKey;
let fhir: Started;
let slowFhir: Started;
let server: Started;
const tokens: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cds-trust-'));
  [keys, key, fhir, slowFhir] = await Promise.all([
    startJwksServer(),
    signingKey('ES384', 'ehr-1'),
    startFhirServer({ FHIR_REQUIRE_TOKEN: ACCESS_TOKEN }),
    startFhirServer({ FHIR_DELAY_MS: '2500' }),
  ]);
  keys.set('/jwks.json', jwks(key));
  const clientsFile = join(dir, 'clients.yaml');
  writeFileSync(
    clientsFile,
    [`- iss: ${ISS}`, `  jwksUrl: ${keys.base}/jwks.json`, '  fhirServers:', `    - http://127.0.0.1:${fhir.port}`, `    - http://127.0.0.1:${slowFhir.port}/`].join('\n'),
  );
  server = await startProcess(
    'src/node/main.ts',
    { PORT: '0', HOST: '127.0.0.1', CDS_DB_PATH: join(dir, 'cds.sqlite'), CDS_TRUSTED_CLIENTS: clientsFile, CDS_PUBLIC_URL: PUBLIC, LOG_LEVEL: 'debug', NODE_ENV: 'production', CDS_PREFETCH_TIMEOUT_MS: '15000' },
    jsonPort('port'),
  );
});
afterAll(async () => {
  await Promise.all([server.stop('SIGKILL'), fhir.stop(), slowFhir.stop(), keys.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const base = () => `http://127.0.0.1:${server.port}`;

async function call(path: string, body: unknown, token?: string | null): Promise<Response> {
  const jwt = token === null ? undefined : (token ?? (await signToken(key, { iss: ISS, aud: `${PUBLIC}${path}` })));
  if (jwt) tokens.push(jwt);
  return fetch(`${base()}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(jwt ? { authorization: `Bearer ${jwt}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const fhirAuthorization = { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'cds' };

describe('logs hold no patient data and no credentials', () => {
  it(`runs the ${patients.length} Synthea patients through every service and finds none of ${secrets.length} identifiers in the logs`, async () => {
    expect(patients.length).toBeGreaterThanOrEqual(4);
    const statuses: number[] = [];
    for (const p of patients) {
      const context = { userId: 'Practitioner/example', patientId: p.id };
      const fallback = { fhirServer: `http://127.0.0.1:${fhir.port}`, fhirAuthorization };
      // patient-view, everything fetched from the FHIR server with the access token.
      const view = await call('/cds-services/preventive-care', { hook: 'patient-view', hookInstance: crypto.randomUUID(), context, ...fallback });
      statuses.push(view.status);
      // order-sign with a draft order, and the patient prefetched by the client.
      const drafts = bundle('collection', [{ ...medicationRequest('draft-1', '197805', 'Ibuprofen 400 MG Oral Tablet'), subject: { reference: `Patient/${p.id}` } }]);
      const sign = await call('/cds-services/drug-interactions', {
        hook: 'order-sign',
        hookInstance: crypto.randomUUID(),
        context: { ...context, draftOrders: drafts },
        prefetch: { patient: p },
        ...fallback,
      });
      statuses.push(sign.status);
      const cards = sign.status === 200 ? ((await sign.json()) as { cards: { uuid: string }[] }).cards : [];
      // Feedback whose comment names the patient.
      const comment = `${p.name?.[0]?.given?.[0]} ${p.name?.[0]?.family} born ${p.birthDate} declined`;
      const fb = await call('/cds-services/drug-interactions/feedback', {
        feedback: [{ card: cards[0]?.uuid ?? crypto.randomUUID(), outcome: 'overridden', overrideReason: { userComment: comment }, outcomeTimestamp: '2026-11-26T10:00:00Z' }],
      });
      statuses.push(fb.status);
      // Rejected calls that carry patient data in the wrong places.
      statuses.push((await call('/cds-services/preventive-care', { hook: 'patient-view', hookInstance: `${p.name?.[0]?.family} ${p.birthDate}`, context: { userId: p.name?.[0]?.family, patientId: p.birthDate } })).status);
      statuses.push((await call('/cds-services/drug-interactions', { hook: 'order-sign', hookInstance: crypto.randomUUID(), context: { ...context, draftOrders: p } })).status);
      statuses.push((await call('/cds-services/drug-interactions', `{"hook": "${p.id}", ${p.birthDate}`)).status);
      // A refused call (no token) and one with a token for another endpoint.
      statuses.push((await call('/cds-services/preventive-care', { hook: 'patient-view', hookInstance: crypto.randomUUID(), context }, null)).status);
      const wrongAud = await signToken(key, { iss: ISS, aud: `${PUBLIC}/cds-services/${p.id}` });
      statuses.push((await call('/cds-services/preventive-care', { hook: 'patient-view', hookInstance: crypto.randomUUID(), context }, wrongAud)).status);
    }
    // The calls really were answered, rejected and refused.
    expect(new Set(statuses)).toEqual(new Set([200, 400, 401]));

    const log = server.output.join('\n');
    expect(server.output.filter((l) => l.includes('"msg":"hook call"')).length).toBeGreaterThanOrEqual(2 * patients.length);
    expect(server.output.some((l) => l.includes('"msg":"authentication failed"'))).toBe(true);
    const leaked = secrets.filter((s) => log.includes(s));
    expect(leaked).toEqual([]);
    expect(log).not.toContain(ACCESS_TOKEN);
    const leakedTokens = tokens.filter((t) => log.includes(t.split('.')[2]!) || log.includes(t.split('.')[1]!));
    expect(leakedTokens).toEqual([]);
    // Every patient's data is fetched from the FHIR server process: ~10 s alone, 40 s on a loaded machine.
  }, 120_000);
});

describe('SIGTERM', () => {
  it('stops accepting, finishes the call in flight (200, row on disk), closes the database, exits 0', async () => {
    const hookInstance = crypto.randomUUID();
    const patient = patients[0]!;
    // A call that waits 2.5 s on the slow FHIR server; SIGTERM comes 1 s in (time enough for the
    // call to reach the service even on a busy machine).
    const inFlight = call('/cds-services/drug-interactions', {
      hook: 'order-sign',
      hookInstance,
      fhirServer: `http://127.0.0.1:${slowFhir.port}`,
      context: { userId: 'Practitioner/example', patientId: patient.id, draftOrders: bundle('collection', [medicationRequest('d1', '197805', 'Ibuprofen 400 MG Oral Tablet')]) },
    });
    await new Promise((r) => setTimeout(r, 1000));
    const exited = server.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    // No longer accepting: a new connection is refused.
    await expect(fetch(`${base()}/health`)).rejects.toThrow();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await exited).toBe(0);
    expect(server.output.some((l) => l.includes('"msg":"shut down"'))).toBe(true);
    // Closed cleanly: the WAL was checkpointed and removed, and the row is in the main file.
    expect(existsSync(join(dir, 'cds.sqlite-wal'))).toBe(false);
    const db = new Database(join(dir, 'cds.sqlite'), { readonly: true });
    expect(db.prepare('select status, client from invocations where hook_instance = ?').get(hookInstance)).toEqual({ status: 200, client: ISS });
    db.close();
  });
});
