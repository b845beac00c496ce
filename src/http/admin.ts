/**
 * The admin API (`/admin/...`): figures, versions, replay and audit detail for the informatics
 * team, behind its own bearer tokens with roles (src/auth/admin.ts); hook endpoints keep their
 * JWT auth. 401 without a known token, 403 when the role is not enough. Every admin call,
 * refused or not, is recorded in access_audit (who, what, status; never a body).
 *
 * Works the same on SQLite, D1 and PostgreSQL: every figure is SQL through drizzle over the store. Replay
 * runs against the content in force, the content folder on disk, or files sent with the call.
 * A request is authenticated by its bearer token or by the console's session cookie
 * (src/http/admin-session.ts); the console's own routes are in src/http/admin-console.ts.
 */
import { and, desc, eq, gte, type SQL } from 'drizzle-orm';
import { Hono } from 'hono';
import { type AdminRole, type AdminToken, roleAtLeast } from '../auth/admin.ts';
import { parsePeriod, PeriodError } from '../governance/period.ts';
import { replay } from '../governance/replay.ts';
import { DEFAULT_ALARM, ruleStats } from '../governance/stats.ts';
import { badRequest, HttpError } from '../protocol/errors.ts';
import { compileContent, type RuleSet } from '../rules/compile.ts';
import { formatProblem } from '../rules/source.ts';
import { consoleAdminRoutes, explainedCall } from './admin-console.ts';
import type { AdminDeps, AdminEnv } from './admin-deps.ts';
import { adminOf } from './admin-session.ts';
import { tablesFor } from '../store/dialect.ts';

/** Rows one admin call returns at most. */
const MAX_ROWS = 1000;

export function adminApi(deps: AdminDeps): Hono<AdminEnv> {
  const admin = new Hono<AdminEnv>();
  const db = deps.store.db;
  // SQLite's or PostgreSQL's tables: the same columns and shapes (src/store/dialect.ts).
  const { accessAudit, contentTexts, invocations, ruleVersions } = tablesFor(db);

  // Audit first, so refusals (401, 403) are recorded too.
  admin.use('*', async (c, next) => {
    const receivedAt = deps.now().getTime();
    try {
      await next();
    } finally {
      const who = c.get('admin');
      await deps.store.recordAccess({
        receivedAt,
        kind: 'admin',
        method: c.req.method,
        path: new URL(c.req.url).pathname.slice(0, 300),
        status: c.res.status,
        principal: who?.name ?? null,
        role: who?.role ?? null,
      });
      deps.log.info('admin call', { method: c.req.method, path: c.req.path, status: c.res.status, principal: who?.name });
    }
  });

  admin.use('*', async (c, next) => {
    const token = await adminOf(c, { tokens: deps.config.adminTokens, sessions: deps.sessions, now: deps.now, publicUrl: deps.config.publicUrl });
    if (!token) {
      c.header('www-authenticate', 'Bearer realm="cds-rules admin"');
      throw new HttpError(401, { message: 'the admin API needs a bearer token configured in CDS_ADMIN_TOKENS (or a console session)', code: 'login' });
    }
    c.set('admin', token);
    await next();
  });

  const needs = (role: AdminRole) => async (c: { get(k: 'admin'): AdminToken }, next: () => Promise<void>) => {
    if (!roleAtLeast(c.get('admin').role, role)) throw new HttpError(403, { message: `this needs the ${role} role`, code: 'forbidden' });
    await next();
  };

  const period = (value: string | undefined, fallback: string, name: string) => {
    try {
      return parsePeriod(value ?? fallback, name);
    } catch (error) {
      if (error instanceof PeriodError) throw badRequest(error.message, name);
      throw error;
    }
  };
  const knownService = (id: string | undefined) => {
    if (id !== undefined && !deps.ruleSet().services.has(id)) throw badRequest(`no CDS service '${id.slice(0, 100)}'`, 'service');
    return id;
  };

  admin.get('/stats', needs('viewer'), async (c) => {
    const now = deps.now().getTime();
    const since = period(c.req.query('since'), '30d', 'since');
    const recentMs = c.req.query('recent') ? period(c.req.query('recent'), '7d', 'recent') : DEFAULT_ALARM.recentMs;
    return c.json(await ruleStats(db, { since: now - since, until: now, serviceId: knownService(c.req.query('service')), alarm: { recentMs, baselineMs: 4 * recentMs } }));
  });

  admin.get('/versions', needs('viewer'), async (c) => {
    const rows = await db
      .select({ version: ruleVersions.version, serviceId: ruleVersions.serviceId, ruleId: ruleVersions.ruleId, authorVersion: ruleVersions.authorVersion, firstServedAt: ruleVersions.firstServedAt })
      .from(ruleVersions)
      .orderBy(desc(ruleVersions.firstServedAt))
      .limit(MAX_ROWS);
    const inForce = new Set([...deps.ruleSet().services.values()].flatMap((s) => s.rules.map((r) => r.version)));
    return c.json({ versions: rows.map((r) => ({ ...r, firstServedAt: new Date(r.firstServedAt).toISOString(), inForce: inForce.has(r.version) })) });
  });

  admin.get('/versions/:version', needs('author'), async (c) => {
    const [row] = await db.select().from(ruleVersions).where(eq(ruleVersions.version, c.req.param('version'))).limit(1);
    if (!row) throw new HttpError(404, { message: 'no such rule version', field: 'version', code: 'not-found' });
    const files = [];
    for (const source of row.sources) {
      const [text] = await db.select({ text: contentTexts.text }).from(contentTexts).where(eq(contentTexts.sha256, source.sha256)).limit(1);
      files.push({ ...source, text: text?.text ?? null });
    }
    return c.json({ ...row, firstServedAt: new Date(row.firstServedAt).toISOString(), sources: files });
  });

  admin.post('/replay', needs('author'), async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { since?: unknown; service?: unknown; content?: unknown };
    if (body.since !== undefined && typeof body.since !== 'string') throw badRequest('must be a period such as 7d', 'since');
    if (body.service !== undefined && typeof body.service !== 'string') throw badRequest('must be a service id', 'service');
    const since = period(body.since as string | undefined, '7d', 'since');
    const now = deps.now().getTime();
    const ruleSet = await proposedContent(body.content);
    return c.json(await replay(db, ruleSet, { since: now - since, serviceId: knownService(body.service as string | undefined), limits: deps.config }));
  });

  /**
   * The content a replay runs: the content in force (default), the content folder as it is on
   * disk ("working", where the shell has one), or files an author sent (`{ files: [{ path, text }] }`,
   * e.g. a folder uploaded in the console). Content that does not compile is a 400 naming each problem.
   */
  const proposedContent = async (content: unknown): Promise<RuleSet> => {
    if (content === undefined || content === 'in-force') return deps.ruleSet();
    let files: unknown;
    if (content === 'working') {
      if (!deps.authoring) throw badRequest('this service has no content folder to read (replay the content in force, or send files)', 'content');
      files = await deps.authoring.workingFiles();
    } else files = (content as { files?: unknown } | null)?.files;
    if (!Array.isArray(files) || files.length === 0 || !files.every((f) => typeof f?.path === 'string' && typeof f?.text === 'string')) {
      throw badRequest('must be "in-force", "working" or { files: [{ path, text }] } with paths like rules/<service>/<rule>.yaml', 'content');
    }
    const { ruleSet, problems } = compileContent(files as { path: string; text: string }[]);
    if (!ruleSet) {
      throw new HttpError(400, problems.filter((p) => p.severity === 'error').slice(0, 50).map((p) => ({ message: formatProblem(p), field: 'content', code: 'invalid' as const })));
    }
    return ruleSet;
  };

  // An author tries a request against the content in force: the cards, each rule's result and
  // time, and why each rule fired or stayed quiet. Nothing is recorded and no FHIR server is
  // called (what the rules need comes in `prefetch`): a preview is not a hook call.
  admin.post('/preview/:service', needs('author'), async (c) => {
    const service = deps.ruleSet().services.get(c.req.param('service'));
    if (!service) throw new HttpError(404, { message: `no CDS service '${c.req.param('service').slice(0, 100)}'`, field: 'service', code: 'not-found' });
    const body = await c.req.json().catch(() => {
      throw badRequest('must be a hook request (JSON)', 'body');
    });
    return c.json(await explainedCall(deps, service, body, noFetch, () => false));
  });

  admin.get('/invocations', needs('admin'), async (c) => {
    const since = period(c.req.query('since'), '1d', 'since');
    const service = knownService(c.req.query('service'));
    const where: (SQL | undefined)[] = [gte(invocations.receivedAt, deps.now().getTime() - since), service ? eq(invocations.serviceId, service) : undefined];
    const status = c.req.query('status');
    if (status !== undefined) {
      if (!/^[1-5]\d\d$/.test(status)) throw badRequest('must be an HTTP status such as 200', 'status');
      where.push(eq(invocations.status, Number(status)));
    }
    const outcome = c.req.query('outcome');
    if (outcome !== undefined) {
      if (!['ok', 'degraded', 'rejected'].includes(outcome)) throw badRequest('must be ok, degraded or rejected', 'outcome');
      where.push(eq(invocations.outcome, outcome));
    }
    const client = c.req.query('client');
    if (client) where.push(eq(invocations.client, client.slice(0, 500)));
    const rows = await db
      .select({
        id: invocations.id,
        receivedAt: invocations.receivedAt,
        serviceId: invocations.serviceId,
        serviceVersion: invocations.serviceVersion,
        hookInstance: invocations.hookInstance,
        client: invocations.client,
        patientId: invocations.patientId,
        userId: invocations.userId,
        status: invocations.status,
        outcome: invocations.outcome,
        rulesFired: invocations.rulesFired,
        rulesSilent: invocations.rulesSilent,
        totalMs: invocations.totalMs,
      })
      .from(invocations)
      .where(and(...where))
      .orderBy(desc(invocations.receivedAt))
      .limit(MAX_ROWS);
    return c.json({ invocations: rows.map((r) => ({ ...r, receivedAt: new Date(r.receivedAt).toISOString() })) });
  });

  admin.get('/audit', needs('admin'), async (c) => {
    const since = period(c.req.query('since'), '1d', 'since');
    const rows = await db.select().from(accessAudit).where(gte(accessAudit.receivedAt, deps.now().getTime() - since)).orderBy(desc(accessAudit.id)).limit(MAX_ROWS);
    return c.json({ audit: rows.map((r) => ({ ...r, receivedAt: new Date(r.receivedAt).toISOString() })) });
  });

  consoleAdminRoutes(admin, deps, needs);
  return admin;
}

const noFetch: typeof fetch = () => Promise.reject(new Error('a preview makes no FHIR calls'));
