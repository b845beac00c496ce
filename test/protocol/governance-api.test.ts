/**
 * Observability and the admin API over a real database (SQLite in Node, D1 in workerd):
 * /healthz, /readyz, /metrics parsed as Prometheus text with counters that move, refused calls
 * audited without bodies, and each admin role seeing only what it may.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileInline, post, type TestApp, testApp } from '../support/app.ts';
import { demoRequest, governanceContent } from '../support/governance-content.ts';
import { parsePrometheus, sampleValue } from '../support/prometheus.ts';

const hex = async (text: string) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, '0')).join('');
const TOKENS = { viewer: 'viewer-secret-1', author: 'author-secret-2', admin: 'admin-secret-3' };

let t: TestApp;
beforeAll(async () => {
  const adminTokens = await Promise.all(
    Object.entries(TOKENS).map(async ([role, secret]) => ({ name: `${role}-token`, role: role as 'viewer', sha256: await hex(secret) })),
  );
  t = await testApp({ ruleSet: compileInline(governanceContent()), config: { adminTokens, storePayloads: true, maxBodyBytes: 4096 } });
});
afterAll(() => t.close());

const as = (role: keyof typeof TOKENS | undefined, path: string, init: RequestInit = {}) =>
  t.app.request(path, { ...init, headers: { ...(init.headers as Record<string, string>), ...(role ? { authorization: `Bearer ${TOKENS[role]}` } : {}) } });
const metrics = async () => {
  const res = await as('viewer', '/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
};

describe('health', () => {
  it('/healthz says alive; /readyz proves content and a database write', async () => {
    expect(await (await t.app.request('/healthz')).json()).toEqual({ status: 'alive' });
    const ready = await t.app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { content: 'loaded', database: 'writable' } });
    expect(await t.rows('select id from health_probe')).toEqual([{ id: 1 }]);
  });
});

describe('GET /metrics', () => {
  it('parses as Prometheus text and its counters move with calls, cards, feedback and refusals', async () => {
    const before = await metrics();
    const res = await post(t.app, '/cds-services/demo', demoRequest('metrics-1'));
    const { cards } = (await res.json()) as { cards: { uuid: string; summary: string }[] };
    const shown = cards.find((c) => c.summary === 'shown for metrics-1')!;
    await post(t.app, '/cds-services/demo/feedback', { feedback: [{ card: shown.uuid, outcome: 'overridden', overrideReason: { userComment: 'n/a' }, outcomeTimestamp: new Date().toISOString() }] });
    await post(t.app, '/cds-services/nope', {});
    const after = await metrics();
    const moved = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(moved('cds_hook_calls_total', { service: 'demo', hook: 'patient-view', status: '200', outcome: 'ok' })).toBe(1);
    expect(moved('cds_cards_total', { service: 'demo', rule: 'quiet', silent: 'true' })).toBe(1);
    expect(moved('cds_cards_total', { service: 'demo', rule: 'shown', silent: 'false' })).toBe(1);
    expect(moved('cds_feedback_total', { service: 'demo', outcome: 'overridden' })).toBe(1);
    expect(moved('cds_refused_requests_total', { status: '404' })).toBe(1);
    for (const stage of ['request', 'prefetch', 'evaluate', 'render', 'total']) expect(moved('cds_stage_duration_seconds_count', { stage })).toBe(1);
    const version = after.find((s) => s.name === 'cds_cards_total' && s.labels.rule === 'shown')!.labels.version;
    expect(version).toBe(compileInline(governanceContent()).services.get('demo')!.rules.find((r) => r.id === 'shown')!.version);
  });

  it('needs an admin token once tokens are configured', async () => {
    expect((await t.app.request('/metrics')).status).toBe(401);
  });
});

describe('refused calls are audited without bodies', () => {
  it('records 404, 405 and 413 with method, path and status only', async () => {
    const start = Date.now() - 1000;
    await post(t.app, '/cds-services/unknown-service', { secret: 'patient data' });
    await t.app.request('/cds-services/demo', { method: 'DELETE' });
    await post(t.app, '/cds-services/demo', 'x'.repeat(5000));
    const rows = await t.rows<Record<string, unknown>>("select method, path, status, principal from access_audit where kind = 'refused' and received_at >= ? order by id", start);
    expect(rows).toEqual(
      expect.arrayContaining([
        { method: 'POST', path: '/cds-services/unknown-service', status: 404, principal: null },
        { method: 'DELETE', path: '/cds-services/demo', status: 405, principal: null },
        { method: 'POST', path: '/cds-services/demo', status: 413, principal: null },
      ]),
    );
    // A call that became an invocation is not audited twice.
    const call = demoRequest('audited-once');
    await post(t.app, '/cds-services/demo', { ...call, context: {} });
    expect(await t.rows("select * from access_audit where kind = 'refused' and path = '/cds-services/demo' and status = 400")).toEqual([]);
    expect(await t.rows('select status from invocations where hook_instance = ?', call.hookInstance)).toEqual([{ status: 400 }]);
  });
});

describe('admin API roles', () => {
  beforeAll(async () => {
    for (const id of ['role-p1', 'role-p2']) await post(t.app, '/cds-services/demo', demoRequest(id));
  });

  it('refuses a missing or unknown token with 401', async () => {
    const none = await as(undefined, '/admin/stats');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await t.app.request('/admin/stats', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  it('viewer: figures and versions, no patient or user ids; replay, texts and invocations 403', async () => {
    const stats = await as('viewer', '/admin/stats?since=1d');
    expect(stats.status).toBe(200);
    const text = await stats.text();
    const body = JSON.parse(text) as { rules: { ruleId: string; calls: number }[] };
    expect(body.rules.find((r) => r.ruleId === 'shown')!.calls).toBeGreaterThanOrEqual(2);
    expect(text).not.toContain('role-p1');
    expect(text).not.toContain('Practitioner/dr');
    const versions = (await (await as('viewer', '/admin/versions')).json()) as { versions: { version: string; ruleId: string; inForce: boolean }[] };
    expect(versions.versions.map((v) => v.ruleId).sort()).toEqual(['half', 'quiet', 'shown']);
    expect(versions.versions.every((v) => v.inForce)).toBe(true);
    expect((await as('viewer', `/admin/versions/${versions.versions[0]!.version}`)).status).toBe(403);
    expect((await as('viewer', '/admin/replay', { method: 'POST', body: '{}' })).status).toBe(403);
    expect((await as('viewer', '/admin/invocations')).status).toBe(403);
    expect((await as('viewer', '/admin/audit')).status).toBe(403);
  });

  it('author: replay and version texts; invocations 403', async () => {
    const replay = await as('author', '/admin/replay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ since: '1d', service: 'demo' }) });
    expect(replay.status).toBe(200);
    const report = (await replay.json()) as { calls: number; rules: { ruleId: string; changed: number }[] };
    expect(report.calls).toBeGreaterThanOrEqual(2);
    expect(report.rules.every((r) => r.changed === 0)).toBe(true);
    const { version } = ((await (await as('author', '/admin/versions')).json()) as { versions: { version: string }[] }).versions[0]!;
    const detail = (await (await as('author', `/admin/versions/${version}`)).json()) as { sources: { path: string; text: string }[] };
    expect(detail.sources.some((s) => s.path === 'rules/demo/service.yaml' && s.text.startsWith('hook: patient-view'))).toBe(true);
    expect((await as('author', '/admin/invocations')).status).toBe(403);
  });

  it('author: preview a request with each rule explained, nothing recorded; viewer 403; unknown service 404; bad body 400', async () => {
    const request = demoRequest('preview-p1');
    const send = (role: keyof typeof TOKENS, service: string, body: string) =>
      as(role, `/admin/preview/${service}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const res = await send('author', 'demo', JSON.stringify(request));
    expect(res.status).toBe(200);
    const preview = (await res.json()) as {
      response: { cards: { summary: string }[] };
      rules: { ruleId: string; result: string; version: string }[];
      explanation: { rule: string; outcome: string; conditions: { state: string } }[];
    };
    expect(preview.response.cards.map((c) => c.summary)).toEqual(['shown for preview-p1']);
    expect(preview.rules.map((r) => r.ruleId).sort()).toEqual(['half', 'quiet', 'shown']);
    expect(preview.rules.every((r) => /^[0-9a-f]{16}$/.test(r.version))).toBe(true);
    expect(preview.explanation.find((e) => e.rule === 'shown')).toMatchObject({ outcome: 'fired', conditions: { state: 'true' } });
    expect(await t.rows('select id from invocations where patient_id = ?', 'preview-p1')).toEqual([]);
    expect((await send('viewer', 'demo', JSON.stringify(request))).status).toBe(403);
    expect((await send('author', 'nope', JSON.stringify(request))).status).toBe(404);
    const bad = await send('author', 'demo', JSON.stringify({ ...request, context: {} }));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('context.patientId');
  });

  it('admin: invocations with patient and user ids, and the audit of admin calls', async () => {
    const res = await as('admin', '/admin/invocations?since=1d&service=demo');
    expect(res.status).toBe(200);
    const { invocations } = (await res.json()) as { invocations: { patientId: string; userId: string }[] };
    expect(invocations.map((i) => i.patientId)).toContain('role-p1');
    const audit = (await (await as('admin', '/admin/audit?since=1d')).json()) as { audit: { kind: string; path: string; status: number; principal: string | null }[] };
    const admin = audit.audit.filter((a) => a.kind === 'admin');
    expect(admin).toContainEqual(expect.objectContaining({ path: '/admin/stats', status: 401, principal: null }));
    expect(admin).toContainEqual(expect.objectContaining({ path: '/admin/invocations', status: 403, principal: 'viewer-token' }));
    expect(admin).toContainEqual(expect.objectContaining({ path: '/admin/replay', status: 200, principal: 'author-token' }));
    expect(admin).toContainEqual(expect.objectContaining({ path: '/admin/invocations', status: 200, principal: 'admin-token' }));
  });

  it('answers a malformed period with 400 naming the field', async () => {
    const res = await as('viewer', '/admin/stats?since=lots');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issue: { expression: string[] }[] };
    expect(body.issue[0]!.expression).toEqual(['since']);
  });
});
