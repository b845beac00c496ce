/**
 * The admin routes the console reads and the console's session, over a real database (SQLite in
 * Node, D1 in workerd): the catalog, example patients (none without a content folder), one
 * invocation in detail, the invocation filters, replay of uploaded content, login and the
 * session cookie with its CSRF rule (Origin on every state-changing request), and the page's
 * security headers. The browser itself is in test/e2e/console.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionSigner } from '../../src/auth/session.ts';
import { CONTENT_SECURITY_POLICY } from '../../src/console/routes.ts';
import { compileInline, post, type TestApp, testApp } from '../support/app.ts';
import { demoRequest, governanceContent } from '../support/governance-content.ts';

const hex = async (text: string) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, '0')).join('');
const TOKENS = { viewer: 'viewer-secret-1', author: 'author-secret-2', admin: 'admin-secret-3' };
const ORIGIN = 'http://localhost';

let t: TestApp;
let invocationId: string;
beforeAll(async () => {
  const adminTokens = await Promise.all(Object.entries(TOKENS).map(async ([role, secret]) => ({ name: `${role}-token`, role: role as 'viewer', sha256: await hex(secret) })));
  t = await testApp({
    ruleSet: compileInline(governanceContent()),
    config: { adminTokens, storePayloads: true },
    consoleAssets: async (path) => (path === 'index.html' ? { body: '<!doctype html><title>console</title>', type: 'text/html; charset=utf-8' } : undefined),
  });
  expect((await post(t.app, '/cds-services/demo', demoRequest('console-p1'))).status).toBe(200);
  invocationId = (await t.rows<{ id: string }>('select id from invocations'))[0]!.id;
});
afterAll(() => t.close());

const as = (role: keyof typeof TOKENS | undefined, path: string, init: RequestInit = {}) =>
  t.app.request(path, { ...init, headers: { ...(init.headers as Record<string, string>), ...(role ? { authorization: `Bearer ${TOKENS[role]}` } : {}) } });
const postAs = (role: keyof typeof TOKENS, path: string, body: unknown) => as(role, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const issue = async (res: Response) => ((await res.json()) as { issue: { diagnostics: string; expression?: string[] }[] }).issue;

describe('GET /admin/catalog', () => {
  it('lists services, rules with lifecycle and version, value sets; viewer and up, 401 without a token', async () => {
    expect((await as(undefined, '/admin/catalog')).status).toBe(401);
    const res = await as('viewer', '/admin/catalog');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { services: { id: string; hook: string; rules: { id: string; status: string; rollout: unknown; approval: unknown; version: string; sources: { path: string }[] }[] }[]; problems: unknown };
    const demo = body.services.find((s) => s.id === 'demo')!;
    expect(demo.hook).toBe('patient-view');
    const byId = Object.fromEntries(demo.rules.map((r) => [r.id, r]));
    expect(byId.quiet!.status).toBe('silent');
    expect(byId.half!.rollout).toEqual({ percent: 50, by: 'patient' });
    expect(byId.shown!.approval).toEqual({ by: 'Dr Lead', on: '2026-11-02', review: 'https://example.org/review/1' });
    expect(byId.shown!.version).toMatch(/^[0-9a-f]{16}$/);
    expect(byId.shown!.sources.map((s) => s.path).sort()).toEqual(['cards/shown.yaml', 'rules/demo/service.yaml', 'rules/demo/shown.yaml']);
    expect(body.problems).toEqual({ errors: [], warnings: [] });
  });
});

describe('example patients without a content folder (the Worker)', () => {
  it('lists none, and a run names the missing case (404)', async () => {
    expect(await (await as('author', '/admin/examples')).json()).toEqual({ examples: [] });
    expect((await as('viewer', '/admin/examples')).status).toBe(403);
    const res = await postAs('author', '/admin/examples/run', { service: 'demo', rule: 'shown', index: 0 });
    expect(res.status).toBe(404);
    expect((await issue(res))[0]!.expression).toEqual(['index']);
    const bad = await postAs('author', '/admin/examples/run', { service: 'demo', rule: 'shown', index: -1 });
    expect(bad.status).toBe(400);
    expect((await issue(bad))[0]!.expression).toEqual(['index']);
  });
});

describe('GET /admin/invocations/{id}', () => {
  it('gives one call with its cards and, payloads being stored, its request; admin only', async () => {
    expect((await as('author', `/admin/invocations/${invocationId}`)).status).toBe(403);
    expect((await as('admin', '/admin/invocations/nope')).status).toBe(404);
    const res = await as('admin', `/admin/invocations/${invocationId}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { patientId: string; payloadsStored: boolean; request: { hook: string }; cards: { ruleId: string; silent: boolean; card: { summary: string } }[] };
    expect(body.patientId).toBe('console-p1');
    expect(body.payloadsStored).toBe(true);
    expect(body.request.hook).toBe('patient-view');
    expect(body.cards.find((c) => c.ruleId === 'shown')!.card.summary).toBe('shown for console-p1');
    expect(body.cards.find((c) => c.ruleId === 'quiet')!.silent).toBe(true);
  });

  it('filters the list by outcome and status, and names a bad filter', async () => {
    const list = async (q: string) => ((await (await as('admin', `/admin/invocations?${q}`)).json()) as { invocations: unknown[] }).invocations.length;
    expect(await list('outcome=ok&status=200')).toBe(1);
    expect(await list('outcome=degraded')).toBe(0);
    expect(await list('client=https://nobody.example')).toBe(0);
    const bad = await as('admin', '/admin/invocations?status=abc');
    expect(bad.status).toBe(400);
    expect((await issue(bad))[0]!.expression).toEqual(['status']);
  });
});

describe('POST /admin/replay with proposed content', () => {
  it('replays uploaded files; content that does not compile is a 400 with path:line:col; "working" needs a content folder', async () => {
    const edited = governanceContent().map((f) => (f.path === 'cards/shown.yaml' ? { ...f, text: f.text.replace('shown for {{who}}', 'shown (edited) for {{who}}') } : f));
    const res = await postAs('author', '/admin/replay', { since: '1d', content: { files: edited } });
    expect(res.status).toBe(200);
    const report = (await res.json()) as { rules: { ruleId: string; changed: number; changes: { diff: string }[] }[] };
    const shown = report.rules.find((r) => r.ruleId === 'shown')!;
    expect(shown.changed).toBe(1);
    expect(shown.changes[0]!.diff).toContain('+  "summary": "shown (edited) for console-p1"');
    const broken = governanceContent().map((f) => (f.path === 'rules/demo/shown.yaml' ? { ...f, text: f.text.replace('when:', 'whn:') } : f));
    const bad = await postAs('author', '/admin/replay', { since: '1d', content: { files: broken } });
    expect(bad.status).toBe(400);
    const problems = await issue(bad);
    expect(problems[0]!.expression).toEqual(['content']);
    expect(problems[0]!.diagnostics).toMatch(/^content: rules\/demo\/shown\.yaml:\d+:\d+: /);
    const working = await postAs('author', '/admin/replay', { since: '1d', content: 'working' });
    expect(working.status).toBe(400);
    expect((await issue(working))[0]!.diagnostics).toContain('no content folder');
    expect((await postAs('author', '/admin/replay', { since: '1d', content: { files: 'x' } })).status).toBe(400);
  });
});

describe('console sessions', () => {
  const login = (token: string, origin?: string) =>
    t.app.request('/console/login', { method: 'POST', headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) }, body: JSON.stringify({ token }) });

  it('login sets an HttpOnly SameSite=Strict cookie that the admin API honours; other origins and unknown tokens are refused', async () => {
    expect((await login(TOKENS.author)).status).toBe(403);
    expect((await login(TOKENS.author, 'https://elsewhere.example')).status).toBe(403);
    expect((await login('wrong', ORIGIN)).status).toBe(401);
    const ok = await login(TOKENS.author, ORIGIN);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ name: 'author-token', role: 'author' });
    const setCookie = ok.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^cds_console=author-token\.\d+\.[A-Za-z0-9_-]{43}; Max-Age=28800; Path=\/; HttpOnly; SameSite=Strict$/);
    const cookie = setCookie.split(';')[0]!;
    expect((await t.app.request('/console/session', { headers: { cookie } })).status).toBe(200);
    expect((await t.app.request('/admin/versions', { headers: { cookie } })).status).toBe(200);
    expect((await t.app.request(`/admin/invocations/${invocationId}`, { headers: { cookie } })).status).toBe(403);
    const replay = (headers: Record<string, string>) => t.app.request('/admin/replay', { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...headers }, body: '{"since":"1d"}' });
    expect((await replay({})).status).toBe(403);
    expect((await replay({ origin: 'https://elsewhere.example' })).status).toBe(403);
    expect((await replay({ origin: ORIGIN, 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await replay({ origin: ORIGIN, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    const out = await t.app.request('/console/logout', { method: 'POST', headers: { cookie, origin: ORIGIN } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^cds_console=; Max-Age=0;/);
    const logins = await t.rows<{ status: number; principal: string | null }>("select status, principal from access_audit where path = '/console/login' order by id");
    expect(logins).toEqual([
      { status: 401, principal: null },
      { status: 200, principal: 'author-token' },
    ]);
  });

  it('a session is refused when tampered with, expired, or its token is no longer configured', async () => {
    const signer = sessionSigner('a test key');
    const token = { name: 'ops', role: 'admin' as const, sha256: 'a'.repeat(64) };
    const now = Date.UTC(2026, 0, 1);
    const value = await signer.issue(token, now);
    expect(await signer.verify(value, [token], now + 1000)).toEqual(token);
    expect(await signer.verify(value.replace(/\.\d+\./, (m) => `.${Number(m.slice(1, -1)) + 1}.`), [token], now)).toBeUndefined();
    expect(await signer.verify(value, [token], now + 8 * 3_600_000)).toBeUndefined();
    expect(await signer.verify(value, [], now)).toBeUndefined();
    expect(await sessionSigner('another key').verify(value, [token], now)).toBeUndefined();
    expect(await signer.verify('garbage', [token], now)).toBeUndefined();
    // Only the value as issued: the MAC's last character carries two padding bits that base64
    // decoding drops, so the three other characters with the same four data bits decode to the
    // same MAC (the console e2e test's forged cookie passed 1 time in 16 this way).
    const last = value.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const at = alphabet.indexOf(last);
    for (const sibling of [0, 1, 2, 3].map((bits) => alphabet[(at & ~3) | bits]!).filter((c) => c !== last)) {
      expect(await signer.verify(value.slice(0, -1) + sibling, [token], now)).toBeUndefined();
    }
  });

  it('the console page carries a strict Content-Security-Policy and is never cached', async () => {
    const res = await t.app.request('/console/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe|\*/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await t.app.request('/console')).status).toBe(302);
    const missing = await t.app.request('/console/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });
});
