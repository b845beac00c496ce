/**
 * Property: no input gets a 5xx, every error is a JSON OperationOutcome, and the service still
 * answers afterwards (checklist #16-#17). `npm test` runs a few thousand cases; `npm run fuzz`
 * (FUZZ_RUNS=10000 or more) the long run. Each run prints how many cases it generated.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustedClientsSchema } from '../../src/auth/clients.ts';
import { post, type TestApp, testApp } from '../support/node-app.ts';
import { jwks, type JwksServer, signingKey, signToken, startJwksServer } from '../support/jwt.ts';
import { jsonPort, type Started, startProcess } from '../support/processes.ts';
import { warfarinIbuprofenRequest } from '../support/requests.ts';
import { authorization, body, contentType, method, target } from './arbitraries.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const config = { maxBodyBytes: 64 * 1024, prefetchTimeoutMs: 500 };

let open: TestApp;
let guarded: TestApp;
let keys: JwksServer;
let server: Started;
let serverDir: string;
const counts = { open: new Map<number, number>(), guarded: new Map<number, number>(), http: new Map<number, number>() };

beforeAll(async () => {
  serverDir = mkdtempSync(join(tmpdir(), 'cds-fuzz-'));
  [keys, server] = await Promise.all([
    startJwksServer(),
    startProcess(
      'src/node/main.ts',
      { PORT: '0', HOST: '127.0.0.1', CDS_DB_PATH: join(serverDir, 'cds.sqlite'), CDS_MAX_BODY_BYTES: String(64 * 1024), CDS_STORE_PAYLOADS: 'true' },
      jsonPort('port'),
    ),
  ]);
  const key = await signingKey('ES384', 'k1');
  keys.set('/jwks.json', jwks(key));
  // Payloads stored: JSON.stringify of what came in is then on the path too.
  open = await testApp({ config: { ...config, storePayloads: true }, fetch: loopbackOnly });
  guarded = await testApp({
    config: {
      ...config,
      publicUrl: 'https://cds.example.org',
      trustedClients: trustedClientsSchema.parse([{ iss: 'https://ehr.example.org', jwksUrl: `${keys.base}/jwks.json` }]),
    },
  });
  // Prime the JWKS cache with one good call, so guarded cases exercise verification, not fetching.
  const token = await signToken(key, { iss: 'https://ehr.example.org', aud: 'https://cds.example.org/cds-services/drug-interactions' });
  expect((await post(guarded.app, '/cds-services/drug-interactions', warfarinIbuprofenRequest(), { authorization: `Bearer ${token}` })).status).toBe(200);
});
afterAll(async () => {
  for (const [name, map] of Object.entries(counts)) {
    const total = [...map.values()].reduce((a, b) => a + b, 0);
    console.log(`fuzz ${name}: ${total} cases, statuses ${JSON.stringify(Object.fromEntries([...map].sort()))}`);
  }
  open.close();
  guarded.close();
  await Promise.all([keys.close(), server.stop('SIGKILL')]);
  rmSync(serverDir, { recursive: true, force: true });
});

/** Tests talk to 127.0.0.1 only: a generated fhirServer elsewhere fails like an unreachable host. */
const loopbackOnly: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.hostname !== '127.0.0.1') return Promise.reject(new TypeError('fetch failed: not on 127.0.0.1 in tests'));
  return fetch(input, init);
};

const request = fc.record({ target, method, contentType, body, authorization });

async function send(app: TestApp['app'], r: ReturnType<typeof request.generate>['value']): Promise<Response> {
  const headers: Record<string, string> = {};
  if (r.contentType !== undefined) headers['content-type'] = r.contentType;
  if (r.authorization !== undefined) headers.authorization = r.authorization;
  const hasBody = r.method !== 'GET' && r.method !== 'HEAD';
  return app.request(r.target, { method: r.method, headers, ...(hasBody ? { body: r.body as Uint8Array<ArrayBuffer> } : {}) });
}

async function checkAnswer(res: Response, tally: Map<number, number>, method: string) {
  tally.set(res.status, (tally.get(res.status) ?? 0) + 1);
  expect(res.status, 'a 5xx for bad input').toBeLessThan(500);
  // HEAD answers carry no body; 2xx bodies are checked by the protocol tests.
  if (res.status === 204 || res.status === 200 || method === 'HEAD') return;
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const outcome = (await res.json()) as { resourceType: string; issue: { diagnostics: string }[] };
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue.length).toBeGreaterThan(0);
}

describe('malformed requests', () => {
  it('deep nesting is refused before anything walks the body (it overflowed the stack in JSON.stringify: a 500)', async () => {
    const depth = 5000;
    const request = JSON.stringify(warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() }));
    const body = request.replace('"hook":', `"extension":${'{"a":['.repeat(depth)}1${']}'.repeat(depth)},"hook":`);
    const res = await post(open.app, '/cds-services/drug-interactions', body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { issue: { diagnostics: string }[] }).issue[0]!.diagnostics).toBe('the request body nests deeper than 64 levels');
    // FHIR data nests about 10 levels: a real bundle is far from the limit.
    expect((await post(open.app, '/cds-services/drug-interactions', request)).status).toBe(200);
  });

  // Every part of a hook call's body is held to the limit, whatever reads it first. (Counting
  // context and prefetch inside normalise's walk instead missed the __proto__ keys zod drops, and
  // what run-ahead copies before normalise: see docs/architecture.md, Resilience.)
  describe('deep nesting in each part of a hook call (in process and through the worker pool)', () => {
    // JSON.stringify cannot write what it would have to recurse 6,000 levels for: a marker is
    // put where the deep value goes, and replaced in the text.
    const DEEP = '__deep__';
    const deep = () => DEEP;
    const PROTO = '__proto_key__';
    const deepText = `${'{"a":['.repeat(3000)}1${']}'.repeat(3000)}`;
    const deepMedication = { ...(warfarinIbuprofenRequest().context.draftOrders.entry[0]!.resource as object), note: [{ text: 'x', extension: deep() }] };
    const cases: [string, Record<string, unknown>][] = [
      ['a draft order in the context', { context: { ...warfarinIbuprofenRequest().context, draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: deepMedication }] } } }],
      ['a context field no rule reads', { context: { ...warfarinIbuprofenRequest().context, extra: deep() } }],
      ['a prefetch value the rules read', { prefetch: { ...warfarinIbuprofenRequest().prefetch, patient: { resourceType: 'Patient', id: 'p1', extension: deep() } } }],
      ['a prefetch key no rule reads', { prefetch: { ...warfarinIbuprofenRequest().prefetch, unused: deep() } }],
      ['the context of a call refused for another field', { hookInstance: 'not-a-uuid', context: { ...warfarinIbuprofenRequest().context, extra: deep() } }],
      ['the prefetch of a call refused for another field', { hook: 'patient-view', prefetch: { unused: deep() } }],
      // `__proto__` as a JSON key is an own property of the parsed object; zod's record leaves it out.
      ['a __proto__ key in the context', { context: { ...warfarinIbuprofenRequest().context, [PROTO]: deep() } }],
      ['a __proto__ key in the prefetch', { prefetch: { ...warfarinIbuprofenRequest().prefetch, [PROTO]: deep() } }],
    ];
    it.each(cases)('%s: 400 naming the limit, never a 500', async (_, overrides) => {
      const body = JSON.stringify(warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID(), ...overrides })).replace(`"${DEEP}"`, deepText).replace(`"${PROTO}"`, '"__proto__"');
      expect(body).toContain(deepText);
      for (const res of [await post(open.app, '/cds-services/drug-interactions', body), await fetch(`http://127.0.0.1:${server.port}/cds-services/drug-interactions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })]) {
        expect(res.status).toBe(400);
        expect(((await res.json()) as { issue: { diagnostics: string }[] }).issue.map((i) => i.diagnostics)).toEqual(['the request body nests deeper than 64 levels']);
      }
    });

    it('a body exactly at the limit in its prefetch is answered; one level more is refused', async () => {
      // body 1, prefetch 2, patient 3, extension 4, then {"a":[...]} pairs: 64 levels in all.
      const at = (levels: number) => JSON.stringify(warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID(), prefetch: { ...warfarinIbuprofenRequest().prefetch, patient: { resourceType: 'Patient', id: 'p1', birthDate: '1950-03-04', gender: 'female', extension: [nest(levels - 4)] } } }));
      const nest = (levels: number): unknown => (levels <= 1 ? {} : { a: nest(levels - 1) });
      for (const send of [(b: string) => post(open.app, '/cds-services/drug-interactions', b), (b: string) => fetch(`http://127.0.0.1:${server.port}/cds-services/drug-interactions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: b })]) {
        expect((await send(at(64))).status).toBe(200);
        expect((await send(at(65))).status).toBe(400);
      }
    });
  });

  it('bytes that are not UTF-8 get 400', async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"hook":"order-sign","x":"'), 0xff, 0xfe, ...new TextEncoder().encode('"}')]);
    const res = await open.app.request('/cds-services/drug-interactions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: bytes });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { issue: { diagnostics: string }[] }).issue[0]!.diagnostics).toBe('the request body is not valid UTF-8');
  });

  it(`open mode: never a 5xx over ${RUNS} generated requests`, async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        await checkAnswer(await send(open.app, { ...r, authorization: undefined }), counts.open, r.method);
      }),
      { numRuns: RUNS, seed: SEED, verbose: 0 },
    );
    // Still answering, and the database is whole.
    expect((await post(open.app, '/cds-services/drug-interactions', warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() }))).status).toBe(200);
    const db = new Database(open.dbPath, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('a 413 keeps the keep-alive connection usable: the next request on it is answered', async () => {
    // Regression: bodyLimit touched the body stream, Node never drained the unread rest, and the
    // next request on the same connection was reset (undici: ECONNRESET / "other side closed").
    const big = `{"a":"${'x'.repeat(250_000)}"}`;
    const small = '{"a":1}';
    const socket = connect(server.port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
    socket.write(`POST /cds-services/drug-interactions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${big.length}\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 50));
    socket.write(big);
    socket.write(`POST /cds-services/drug-interactions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${small.length}\r\n\r\n${small}`);
    for (let i = 0; i < 100 && (received.match(/HTTP\/1\.1 \d+/g) ?? []).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    socket.end();
    await closed;
    expect(received.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 413', 'HTTP/1.1 400']);
  });

  it(`over real HTTP to the Node process: never a 5xx over ${Math.ceil(RUNS / 10)} requests, and it still answers`, async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const recent: string[] = [];
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = {};
        if (r.contentType) headers['content-type'] = r.contentType;
        const hasBody = r.method !== 'GET' && r.method !== 'HEAD';
        let res: Response;
        recent.push(`${r.method} ${r.target.slice(0, 60)} ${r.contentType} ${r.body.length}B`);
        try {
          res = await fetch(`${base}${r.target}`, { method: r.method, headers, ...(hasBody ? { body: r.body as Uint8Array<ArrayBuffer> } : {}) });
        } catch (error) {
          // Name the request without dumping a megabyte of body.
          throw new Error(`no answer to ${r.method} ${r.target.slice(0, 80)} (${r.contentType}, ${r.body.length} bytes): ${String((error as Error).cause ?? error)}; server exit ${server.child.exitCode ?? server.child.signalCode}; recent: ${recent.slice(-4).join(' / ')}; last output: ${server.output.slice(-3).join(' | ').slice(0, 600)}`);
        }
        await checkAnswer(res, counts.http, r.method);
      }),
      { numRuns: Math.ceil(RUNS / 10), seed: SEED, verbose: 0 },
    );
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(server.child.exitCode).toBeNull();
  });

  it(`with trusted clients: bad tokens and bodies get 401/4xx, never a 5xx, over ${Math.ceil(RUNS / 3)} requests`, async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const res = await send(guarded.app, r);
        await checkAnswer(res, counts.guarded, r.method);
        // Everything under /cds-services but a preflight needs the JWT ('..' segments resolve first).
        if (r.method !== 'OPTIONS' && new URL(`http://localhost${r.target}`).pathname.startsWith('/cds-services')) expect(res.status).toBe(401);
      }),
      { numRuns: Math.ceil(RUNS / 3), seed: SEED, verbose: 0 },
    );
  });
});
