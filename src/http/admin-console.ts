/**
 * The admin routes the browser console needs beyond the figures: the catalog of the content in
 * force, the shipped example patients and a run of one, and one invocation in detail. Each is a
 * small route on the admin API (same tokens, roles and audit); the console is only a page over
 * them (src/console/).
 */
import { eq } from 'drizzle-orm';
import type { Context, Hono } from 'hono';
import type { AdminRole } from '../auth/admin.ts';
import { runHook } from '../pipeline/run.ts';
import { badRequest, HttpError } from '../protocol/errors.ts';
import type { CompiledService } from '../rules/compile.ts';
import { tablesFor } from '../store/dialect.ts';
import type { AdminDeps, AdminEnv } from './admin-deps.ts';

type Needs = (role: AdminRole) => (c: Context<AdminEnv>, next: () => Promise<void>) => Promise<void>;

export function consoleAdminRoutes(admin: Hono<AdminEnv>, deps: AdminDeps, needs: Needs): void {
  const db = deps.store.db;
  // SQLite's or PostgreSQL's tables: the same columns and shapes (src/store/dialect.ts).
  const { invocationCards, invocations } = tablesFor(db);

  admin.get('/catalog', needs('viewer'), (c) => {
    const ruleSet = deps.ruleSet();
    return c.json({
      counts: ruleSet.counts,
      storePayloads: deps.config.storePayloads,
      services: [...ruleSet.services.values()].map((s) => ({
        id: s.id,
        hook: s.hook,
        title: s.title,
        description: s.description,
        version: s.version,
        path: s.path,
        includes: s.includes,
        prefetch: Object.keys(s.prefetch),
        rules: s.rules.map((r) => ({
          id: r.id,
          title: r.title,
          status: r.status,
          rollout: r.rollout ?? null,
          approval: r.approval ?? null,
          version: r.version,
          path: r.path,
          card: r.cardId ?? null,
          references: r.references,
          sources: r.sources.map((f) => ({ path: f.path, sha256: f.sha256 })),
        })),
      })),
      valueSets: ruleSet.valueSets.ids().map((id) => ({ id, size: ruleSet.valueSets.size(id), ...ruleSet.valueSets.info(id) })),
      problems: deps.authoring?.problems() ?? { errors: [], warnings: [] },
    });
  });

  admin.get('/examples', needs('author'), async (c) => c.json({ examples: (await deps.authoring?.examples()) ?? [] }));

  // Runs a shipped example patient as the preview does: explained, recorded nowhere, its record
  // served by an in-memory FHIR server (no network).
  admin.post('/examples/run', needs('author'), async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { service?: unknown; rule?: unknown; index?: unknown };
    if (typeof body.service !== 'string') throw badRequest('must be a service id', 'service');
    if (typeof body.rule !== 'string') throw badRequest('must be a rule id', 'rule');
    if (typeof body.index !== 'number' || !Number.isInteger(body.index) || body.index < 0) throw badRequest('must be the case number (0, 1, ...)', 'index');
    const service = deps.ruleSet().services.get(body.service);
    if (!service) throw new HttpError(404, { message: `no CDS service '${body.service.slice(0, 100)}'`, field: 'service', code: 'not-found' });
    const call = await deps.authoring?.exampleCall(service, body.rule, body.index, deps.now());
    if (!call) throw new HttpError(404, { message: 'no such example patient (rule and case number)', field: 'index', code: 'not-found' });
    return c.json(await explainedCall(deps, service, call.body, call.fetch, () => true));
  });

  admin.get('/invocations/:id', needs('admin'), async (c) => {
    const [row] = await db.select().from(invocations).where(eq(invocations.id, c.req.param('id') ?? '')).limit(1);
    if (!row) throw new HttpError(404, { message: 'no such invocation', field: 'id', code: 'not-found' });
    const cards = await db.select().from(invocationCards).where(eq(invocationCards.invocationId, row.id));
    const parse = (text: string | null) => (text === null ? null : (JSON.parse(text) as unknown));
    const { requestBody, responseBody, prefetchBody, ...facts } = row;
    return c.json({
      ...facts,
      receivedAt: new Date(row.receivedAt).toISOString(),
      cards: cards.map(({ cardBody, ...card }) => ({ ...card, card: parse(cardBody) })),
      // Only stored when the operator opted in (CDS_STORE_PAYLOADS); this route is admin-only.
      payloadsStored: requestBody !== null,
      request: parse(requestBody),
      response: parse(responseBody),
      prefetch: parse(prefetchBody),
    });
  });
}

/**
 * A request run through the pure pipeline with every rule explained, as the preview and the
 * playground show it: the response, the cards with the rule that made each, each rule's result,
 * version and time, what was skipped or failed and why.
 */
export async function explainedCall(deps: AdminDeps, service: CompiledService, body: unknown, fetch: typeof globalThis.fetch, allowServer: (url: string) => boolean) {
  const result = await runHook({ fetch, now: deps.now, newUuid: () => crypto.randomUUID(), limits: deps.config }, service, body, { explain: true, allowServer });
  if (result.rejected) throw new HttpError(result.rejected.status, result.rejected.problems);
  return {
    service: service.id,
    version: service.version,
    response: result.response,
    cards: result.cards.map((c) => ({ rule: c.ruleId, silent: c.silent, card: c.card })),
    rules: result.rules.map((r) => ({ ...r, version: service.rules.find((rule) => rule.id === r.ruleId)?.version })),
    skipped: result.skipped,
    failed: result.failed,
    unavailable: result.unavailable,
    explanation: result.explanation,
  };
}
