/**
 * Trusting CDS clients (checklist #45-#53): every JWT failure mode against a real JWKS served
 * over HTTP on 127.0.0.1, the jti replay table in the SQLite file (also across a restart), and
 * the FHIR server allowlist.
 */
import { createServer, type Server } from 'node:http';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrustedClientInput } from '../../src/auth/clients.ts';
import { trustedClientsSchema } from '../../src/auth/clients.ts';
import { UNAUTHORIZED_BODY } from '../../src/auth/middleware.ts';
import { post, type TestApp, testApp } from '../support/node-app.ts';
import { hmacToken, jwks, type JwksServer, type SigningKey, signingKey, signToken, startJwksServer, unsecuredToken } from '../support/jwt.ts';
import { warfarinIbuprofenRequest } from '../support/requests.ts';

const PUBLIC = 'https://cds.example.org';
const EHR = 'https://ehr.example.org';
const RS_EHR = 'https://rs-ehr.example.org';
const SANDBOX = 'https://sandbox.cds-hooks.org';
const SANDBOX_JKU = 'https://sandbox.cds-hooks.org/.well-known/jwks.json';
const SANDBOX_KID = '44823f3d-0b01-4a6c-a80e-b9d3e8a7226f';
const SERVICE = '/cds-services/drug-interactions';
const AUD = `${PUBLIC}${SERVICE}`;

let keysServer: JwksServer;
let fhir: { server: Server; base: string; requests: { url: string; authorization?: string }[] };
let other: { server: Server; base: string; requests: { url: string; authorization?: string }[] };
let es: SigningKey;
let rs: SigningKey;
let sandboxStandIn: SigningKey;
let stranger: SigningKey;
let t: TestApp;
let jkuUrl: string;

/** A small FHIR-ish server that records what reaches it (and can redirect elsewhere). */
async function recordingServer(handler: (url: string) => { status: number; headers?: Record<string, string>; body?: unknown }) {
  const requests: { url: string; authorization?: string }[] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '/', authorization: req.headers.authorization });
    const answer = handler(req.url ?? '/');
    res.writeHead(answer.status, { 'content-type': 'application/fhir+json', ...answer.headers });
    res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests };
}

function clients(): TrustedClientInput[] {
  return [
    { iss: EHR, jwksUrl: [jkuUrl, `${keysServer.base}/ehr/old-jwks.json`], fhirServers: [`${fhir.base}/fhir/`, `${fhir.base}/fhir/redirect`] },
    { iss: RS_EHR, jwksUrl: `${keysServer.base}/rs/jwks.json` },
    // The sandbox as documented in the README, with a stand-in key inline (no network here).
    { iss: SANDBOX, jwksUrl: SANDBOX_JKU, jwks: jwks(sandboxStandIn) },
  ];
}

beforeAll(async () => {
  [keysServer, es, rs, sandboxStandIn, stranger] = await Promise.all([
    startJwksServer(),
    signingKey('ES384', 'ehr-key-1'),
    signingKey('RS384', 'rs-key-1'),
    signingKey('ES384', SANDBOX_KID),
    signingKey('ES384', 'ehr-key-1'),
  ]);
  jkuUrl = `${keysServer.base}/ehr/jwks.json`;
  keysServer.set('/ehr/jwks.json', jwks(es));
  keysServer.set('/rs/jwks.json', jwks(rs));
  other = await recordingServer(() => ({ status: 200, body: { resourceType: 'Bundle', type: 'searchset', entry: [] } }));
  fhir = await recordingServer((url) =>
    url.startsWith('/fhir/redirect/')
      ? { status: 302, headers: { location: `${other.base}/fhir/MedicationRequest` } }
      : { status: 200, body: { resourceType: 'Bundle', type: 'searchset', entry: [] } },
  );
  t = await testApp({ config: { publicUrl: `${PUBLIC}/`, trustedClients: trustedClientsSchema.parse(clients()), jwksCooldownMs: 0 } });
});
afterAll(async () => {
  t.close();
  await Promise.all([keysServer.close(), new Promise((r) => fhir.server.close(r)), new Promise((r) => other.server.close(r))]);
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const ehrToken = (o: Partial<Parameters<typeof signToken>[1]> = {}) => signToken(es, { iss: EHR, aud: AUD, jku: jkuUrl, ...o });
const call = (headers: Record<string, string>, body: unknown = warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() })) =>
  post(t.app, SERVICE, body, headers);

function rows<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(t.dbPath, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

async function expectRejected(res: Response, reason: string) {
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toBe('Bearer realm="cds-services"');
  // The same body for every failure: which check failed is for our log only (checklist #50).
  expect(await res.json()).toEqual(UNAUTHORIZED_BODY);
  const last = JSON.parse(t.logs.filter((l) => l.includes('authentication failed')).at(-1)!) as { reason: string };
  expect(last.reason).toBe(reason);
}

describe('a trusted client with a valid JWT', () => {
  it('ES384 with jku: 200, and the invocation row names the client', async () => {
    const hookInstance = crypto.randomUUID();
    const res = await call(bearer(await ehrToken()), warfarinIbuprofenRequest({ hookInstance }));
    expect(res.status).toBe(200);
    expect(rows('select client, status from invocations where hook_instance = ?', hookInstance)).toEqual([{ client: EHR, status: 200 }]);
  });

  it('RS384 without jku (JWKS from configuration), aud as an array, no sub or tenant: 200', async () => {
    const token = await signToken(rs, { iss: RS_EHR, aud: ['https://elsewhere.example.org', AUD] });
    expect((await call(bearer(token))).status).toBe(200);
  });

  it('aud with a trailing slash, and the configured public URL with one: 200 (checklist #51)', async () => {
    expect((await call(bearer(await ehrToken({ aud: `${AUD}/` })))).status).toBe(200);
  });

  it('the CDS Hooks sandbox as a client: its iss, kid and jku, ES384, exp = now + 300', async () => {
    const token = await signToken(sandboxStandIn, { iss: SANDBOX, aud: AUD, jku: SANDBOX_JKU });
    expect((await call(bearer(token))).status).toBe(200);
    // Inline keys: the sandbox's URL was only checked against the allowlist, never fetched.
    expect(keysServer.requests.filter((r) => r.includes('sandbox'))).toEqual([]);
  });

  it('discovery needs the JWT too, with aud {base}/cds-services (checklist #9)', async () => {
    expect((await t.app.request('/cds-services')).status).toBe(401);
    const res = await t.app.request('/cds-services', { headers: bearer(await ehrToken({ aud: `${PUBLIC}/cds-services` })) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { services: unknown[] }).services.length).toBeGreaterThanOrEqual(4);
  });

  it('feedback with aud = the feedback URL: 200, stored with the client', async () => {
    const card = crypto.randomUUID();
    const body = { feedback: [{ card, outcome: 'overridden', outcomeTimestamp: '2026-11-26T10:00:00Z' }] };
    expect((await post(t.app, `${SERVICE}/feedback`, body, bearer(await ehrToken()))).status).toBe(401);
    const res = await post(t.app, `${SERVICE}/feedback`, body, bearer(await ehrToken({ aud: `${AUD}/feedback` })));
    expect(res.status).toBe(200);
    expect(rows('select client from feedback where card_uuid = ?', card)).toEqual([{ client: EHR }]);
  });

  it('a CORS preflight needs no JWT (checklist #54)', async () => {
    const res = await t.app.request(SERVICE, {
      method: 'OPTIONS',
      headers: { origin: 'https://sandbox.cds-hooks.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/);
  });
});

describe('every failure is 401 with the same body, and no row is written', () => {
  it('no token', async () => {
    await expectRejected(await call({}), 'no bearer token');
    await expectRejected(await call({ authorization: 'Basic dXNlcjpwYXNz' }), 'no bearer token');
  });

  it('not a JWT', async () => expectRejected(await call(bearer('abc.def.ghi')), 'malformed token'));

  it('bad signature: another key under the same kid', async () => {
    await expectRejected(await call(bearer(await signToken(stranger, { iss: EHR, aud: AUD, jku: jkuUrl }))), 'bad signature');
  });

  it('a tampered payload', async () => {
    const [h, , s] = (await ehrToken()).split('.');
    const forged = Buffer.from(JSON.stringify({ iss: EHR, aud: AUD, exp: 9999999999, iat: Math.floor(Date.now() / 1000), jti: 'x' })).toString('base64url');
    await expectRejected(await call(bearer(`${h}.${forged}.${s}`)), 'bad signature');
  });

  it('wrong alg: none, HS256 keyed with the public key, ES256', async () => {
    const payload = { iss: EHR, aud: AUD, exp: Math.floor(Date.now() / 1000) + 300, iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID() };
    await expectRejected(await call(bearer(unsecuredToken(payload, { kid: es.kid }))), 'algorithm not allowed');
    await expectRejected(await call(bearer(await hmacToken(JSON.stringify(es.publicJwk), payload, { kid: es.kid, jku: jkuUrl }))), 'algorithm not allowed');
    const es256 = await signingKey('ES256', 'ehr-key-256');
    keysServer.set('/ehr/jwks.json', jwks(es, es256));
    await expectRejected(await call(bearer(await signToken(es256, { iss: EHR, aud: AUD, jku: jkuUrl }))), 'algorithm not allowed');
    keysServer.set('/ehr/jwks.json', jwks(es));
  });

  it('wrong aud: another service, another host, discovery', async () => {
    await expectRejected(await call(bearer(await ehrToken({ aud: `${PUBLIC}/cds-services/renal-dosing` }))), 'claim aud: check_failed');
    await expectRejected(await call(bearer(await ehrToken({ aud: `https://evil.example.org${SERVICE}` }))), 'claim aud: check_failed');
    await expectRejected(await call(bearer(await ehrToken({ aud: `${PUBLIC}/cds-services` }))), 'claim aud: check_failed');
  });

  it('expired, beyond the clock skew', async () => expectRejected(await call(bearer(await ehrToken({ expIn: -120, iatOffset: -400 }))), 'expired'));

  it('iat in the future beyond the skew; iat older than an hour', async () => {
    await expectRejected(await call(bearer(await ehrToken({ iatOffset: 600, expIn: 900 }))), 'claim iat: check_failed');
    await expectRejected(await call(bearer(await ehrToken({ iatOffset: -7200, expIn: 300 }))), 'token too old');
  });

  it('a token without exp, iat or jti', async () => {
    await expectRejected(await call(bearer(await ehrToken({ jti: null }))), 'claim jti: missing');
  });

  it('unknown iss (even with a valid signature)', async () => {
    await expectRejected(await call(bearer(await signToken(es, { iss: 'https://unknown.example.org', aud: AUD, jku: jkuUrl }))), 'unknown issuer');
  });

  it('jku not on the issuer allowlist: refused, and the URL is never fetched (SSRF)', async () => {
    const before = keysServer.requests.length;
    const evil = `${keysServer.base}/evil/jwks.json`;
    keysServer.set('/evil/jwks.json', jwks(stranger));
    await expectRejected(await call(bearer(await signToken(stranger, { iss: EHR, aud: AUD, jku: evil }))), 'jku not allowed');
    // Another client's URL is not this client's either.
    await expectRejected(await call(bearer(await signToken(rs, { iss: EHR, aud: AUD, jku: `${keysServer.base}/rs/jwks.json` }))), 'jku not allowed');
    expect(keysServer.requests.slice(before)).toEqual([]);
  });

  it('a replayed jti: the second use of a token is refused', async () => {
    const token = await ehrToken();
    expect((await call(bearer(token))).status).toBe(200);
    await expectRejected(await call(bearer(token)), 'replayed jti');
    // Concurrent replays: exactly one wins.
    const again = await ehrToken();
    const statuses = await Promise.all(Array.from({ length: 5 }, async () => (await call(bearer(again))).status));
    expect(statuses.sort()).toEqual([200, 401, 401, 401, 401]);
  });

  it('never logs a token, and writes no invocation row for a refused call', async () => {
    const token = await ehrToken({ aud: 'https://nope.example.org' });
    const hookInstance = crypto.randomUUID();
    await call(bearer(token), warfarinIbuprofenRequest({ hookInstance }));
    expect(rows('select id from invocations where hook_instance = ?', hookInstance)).toEqual([]);
    const signature = token.split('.')[2]!;
    expect(t.logs.join('\n')).not.toContain(signature);
  });
});

describe('JWKS caching', () => {
  it('fetches a JWKS once for many calls, and again for an unknown kid (key rotation)', async () => {
    const fetches = () => keysServer.requests.filter((r) => r === '/ehr/jwks.json').length;
    const before = fetches();
    for (let i = 0; i < 5; i++) expect((await call(bearer(await ehrToken()))).status).toBe(200);
    expect(fetches()).toBe(before);

    const rotated = await signingKey('ES384', 'ehr-key-2');
    keysServer.set('/ehr/jwks.json', jwks(rotated));
    expect((await call(bearer(await signToken(rotated, { iss: EHR, aud: AUD, jku: jkuUrl })))).status).toBe(200);
    expect(fetches()).toBe(before + 1);
    keysServer.set('/ehr/jwks.json', jwks(es));
  });
});

describe('the replay table', () => {
  it('survives a restart: a token used before the restart is refused after it', async () => {
    const token = await ehrToken();
    expect((await call(bearer(token))).status).toBe(200);
    expect(rows<{ n: number }>('select count(*) n from jwt_replay where iss = ?', EHR)[0]!.n).toBeGreaterThan(0);
    // Same SQLite file, a new store and app: what a process restart does.
    const restarted = await testApp({ dbPath: t.dbPath, config: { publicUrl: PUBLIC, trustedClients: trustedClientsSchema.parse(clients()) } });
    try {
      const res = await post(restarted.app, SERVICE, warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() }), bearer(token));
      expect(res.status).toBe(401);
      expect((await post(restarted.app, SERVICE, warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() }), bearer(await ehrToken()))).status).toBe(200);
    } finally {
      restarted.database.close();
    }
  });

  it('rows expire with their token: expires_at is exp plus the skew', async () => {
    const jti = crypto.randomUUID();
    expect((await call(bearer(await ehrToken({ jti, expIn: 120 })))).status).toBe(200);
    const [row] = rows<{ expires_at: number }>('select expires_at from jwt_replay where jti = ?', jti);
    const expected = (Math.floor(Date.now() / 1000) + 120 + 60) * 1000;
    expect(Math.abs(row!.expires_at - expected)).toBeLessThanOrEqual(2000);
    await t.database.store.purgeExpiredJtis(row!.expires_at + 1);
    expect(rows('select jti from jwt_replay where jti = ?', jti)).toEqual([]);
  });
});

describe('the FHIR fallback goes only where the client may send it', () => {
  const missingPrefetch = (fhirServer: string, access_token = 'fhir-token-abc') => {
    const request = warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() }) as Record<string, any>;
    delete request.prefetch.activeMeds;
    return { ...request, fhirServer, fhirAuthorization: { access_token, token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'cds' } };
  };

  it('an allowed server is called, with the access token', async () => {
    fhir.requests.length = 0;
    const res = await call(bearer(await ehrToken()), missingPrefetch(`${fhir.base}/fhir`));
    expect(res.status).toBe(200);
    expect(fhir.requests.map((r) => r.authorization)).toEqual(['Bearer fhir-token-abc']);
  });

  it('a server not allowed for this client: 403 naming fhirServer, and it is never contacted', async () => {
    other.requests.length = 0;
    const res = await call(bearer(await ehrToken()), missingPrefetch(`${other.base}/fhir`));
    expect(res.status).toBe(403);
    const body = (await res.json()) as { issue: { code: string; expression: string[] }[] };
    expect(body.issue[0]).toMatchObject({ code: 'forbidden', expression: ['fhirServer'] });
    // A client with no fhirServers listed may not use the fallback at all.
    const rsRes = await call(bearer(await signToken(rs, { iss: RS_EHR, aud: AUD })), missingPrefetch(`${fhir.base}/fhir`));
    expect(rsRes.status).toBe(403);
    expect(other.requests).toEqual([]);
  });

  it('a redirect to another host is not followed, and the token never reaches that host', async () => {
    other.requests.length = 0;
    const res = await call(bearer(await ehrToken()), missingPrefetch(`${fhir.base}/fhir/redirect`));
    // activeMeds could not be had; the one rule that does not read it (QTc) still runs.
    expect(res.status).toBe(200);
    const body = (await res.json()) as { extension: Record<string, { skipped: { rule: string; prefetch: string[] }[] }> };
    const skipped = body.extension['org.cds-rules.degraded']!.skipped;
    expect(skipped.map((s) => s.rule)).not.toContain('qt-drug-qtc-over-500');
    expect(skipped.every((s) => s.prefetch.join() === 'activeMeds')).toBe(true);
    expect(other.requests).toEqual([]);
  });

  it('the allowlist cannot be escaped: a fhirServer with a query, fragment, userinfo or dot segment is 400, and nothing is contacted', async () => {
    fhir.requests.length = 0;
    const port = new URL(fhir.base).port;
    for (const fhirServer of [
      `${fhir.base}/fhir?`,
      `${fhir.base}/fhir#`,
      `${fhir.base}/fhir/?_format=json`,
      `${fhir.base}/fhir/#x`,
      `http://user:pw@127.0.0.1:${port}/fhir/`,
      `http://@127.0.0.1:${port}/fhir/`,
      `${fhir.base}/fhir/x/..`,
      `${fhir.base}/fhir/x/%2e%2e/`,
      `${fhir.base}/fhir/./`,
      `${fhir.base}/fhir%2f..%2fother`,
    ]) {
      const res = await call(bearer(await ehrToken()), missingPrefetch(fhirServer));
      expect(res.status, fhirServer).toBe(400);
      const body = (await res.json()) as { issue: { expression: string[] }[] };
      expect(body.issue[0]!.expression, fhirServer).toEqual(['fhirServer']);
    }
    expect(fhir.requests).toEqual([]);
  });

  it('requests stay under the allowed base path', async () => {
    fhir.requests.length = 0;
    const res = await call(bearer(await ehrToken()), missingPrefetch(`${fhir.base}/fhir/`));
    expect(res.status).toBe(200);
    expect(fhir.requests.map((r) => r.url)).toEqual(['/fhir/MedicationRequest?patient=p1&status=active']);
  });
});

describe('open development mode', () => {
  it('calls any http(s) FHIR server, and logs its origin (never the path or token)', async () => {
    const open = await testApp();
    try {
      const request = warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() }) as Record<string, any>;
      delete request.prefetch.activeMeds;
      const res = await post(open.app, SERVICE, { ...request, fhirServer: `${other.base}/fhir` });
      expect(res.status).toBe(200);
      const line = open.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'FHIR fallback to an unvetted server (open mode)');
      expect(line).toMatchObject({ fhirServer: other.base, service: 'drug-interactions' });
    } finally {
      open.close();
    }
  });

  const missing = () => {
    const request = warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() }) as Record<string, any>;
    delete request.prefetch.activeMeds;
    return request;
  };

  it('never reaches link-local or cloud metadata addresses, in any spelling: 403 naming fhirServer', async () => {
    const open = await testApp({ config: { allowPrivateFhirServers: true } });
    try {
      for (const fhirServer of [
        'http://169.254.169.254/latest/meta-data',
        'http://169.254.169.254.',
        'http://2852039166/',
        'http://0xa9fea9fe/',
        'http://0251.0376.0251.0376/',
        'http://169.254.1/',
        'http://[fe80::1]/fhir',
        'http://[::ffff:169.254.169.254]/',
        'http://metadata.google.internal/computeMetadata/v1',
        'http://METADATA.google.internal./',
        'http://metadata/',
        'http://[fd00:ec2::254]/',
        'http://100.100.100.200/',
        'http://0.0.0.0:9/',
      ]) {
        const res = await post(open.app, SERVICE, { ...missing(), fhirServer });
        expect(res.status, fhirServer).toBe(403);
        const body = (await res.json()) as { issue: { code: string; expression: string[] }[] };
        expect(body.issue[0], fhirServer).toMatchObject({ code: 'forbidden', expression: ['fhirServer'] });
      }
    } finally {
      open.close();
    }
  });

  it('private and loopback addresses, in any spelling, only when allowed (allowPrivateFhirServers)', async () => {
    const port = new URL(other.base).port;
    const loopbacks = [`http://2130706433:${port}/fhir`, `http://0x7f000001:${port}/fhir`, `http://127.1:${port}/fhir`, `http://0177.0.0.1:${port}/fhir`, `http://localhost:${port}/fhir`, `http://[::1]:${port}/fhir`, `http://[::ffff:127.0.0.1]:${port}/fhir`];
    const closed = await testApp({ config: { allowPrivateFhirServers: false } });
    try {
      other.requests.length = 0;
      for (const fhirServer of [...loopbacks, 'http://10.0.0.1/fhir', 'http://192.168.1.1/', 'http://172.16.0.1/', 'http://[fd12::1]/']) {
        const res = await post(closed.app, SERVICE, { ...missing(), fhirServer });
        expect(res.status, fhirServer).toBe(403);
      }
      expect(other.requests).toEqual([]);
    } finally {
      closed.close();
    }
    const open = await testApp({ config: { allowPrivateFhirServers: true } });
    try {
      other.requests.length = 0;
      // The short forms are the WHATWG URL parser's: 2130706433, 0x7f000001 and 127.1 are 127.0.0.1.
      for (const fhirServer of loopbacks.slice(0, 4)) {
        const res = await post(open.app, SERVICE, { ...missing(), fhirServer });
        expect(res.status, fhirServer).toBe(200);
      }
      expect(other.requests.length).toBe(4);
    } finally {
      open.close();
    }
  });
});
