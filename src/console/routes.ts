/**
 * The console: a browser front end for the informatics team and operators, served by the
 * service itself at /console/. Plain ES modules and one stylesheet, served as they are (no build
 * step); Chart.js for the charts, served from node_modules at its pinned version. All the data
 * comes from the admin API (src/http/admin.ts) with the page's session cookie.
 *
 * - Login takes an admin token once and answers with an HttpOnly, SameSite=Strict session
 *   cookie (src/auth/session.ts); the token itself is never stored in the browser.
 * - Every state-changing request (login, logout, and the admin API's POSTs when they come with
 *   the cookie) must carry our own Origin (src/http/admin-session.ts).
 * - Every console response carries a strict Content-Security-Policy: scripts and styles from
 *   our own origin only, nothing inline, no frames, no other origins to connect to.
 * - Page state in the URL (the fragment) names only services, rules and example numbers, never
 *   request data; logins are audited like any admin call (name and status, never the token).
 */
import type { Context, Env, Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { findAdminToken } from '../auth/admin.ts';
import { SESSION_COOKIE, SESSION_MS, type SessionSigner } from '../auth/session.ts';
import type { ServiceConfig } from '../config.ts';
import { adminOf, requireSameOrigin } from '../http/admin-session.ts';
import { badRequest, HttpError } from '../protocol/errors.ts';
import type { Store } from '../store/store.ts';

/** A static file of the console, as the shell reads it. */
export interface ConsoleAsset {
  body: Uint8Array<ArrayBuffer> | string;
  type: string;
}

/** Reads a console file by its path under /console/ (`index.html`, `app.js`, `vendor/chart.umd.min.js`); undefined when there is none. */
export type ConsoleAssets = (path: string) => Promise<ConsoleAsset | undefined>;

export interface ConsoleDeps {
  assets: ConsoleAssets;
  sessions: SessionSigner;
  config: ServiceConfig;
  store: Store;
  now: () => Date;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Console file paths: lower-case names in folders, nothing that climbs out. */
const ASSET_PATH = /^(?:[a-z0-9-]+\/)*[a-z0-9.-]+\.(?:js|css|html|svg)$/;

export function consoleRoutes<E extends Env>(app: Hono<E>, deps: ConsoleDeps): void {
  app.use('/console/*', async (c, next) => {
    await next();
    c.res.headers.set('content-security-policy', CONTENT_SECURITY_POLICY);
    c.res.headers.set('x-content-type-options', 'nosniff');
    c.res.headers.set('referrer-policy', 'no-referrer');
    c.res.headers.set('x-frame-options', 'DENY');
    c.res.headers.set('cross-origin-opener-policy', 'same-origin');
    if (!c.res.headers.has('cache-control')) c.res.headers.set('cache-control', 'no-store');
  });
  app.get('/console', (c) => c.redirect('/console/', 302));

  app.post('/console/login', async (c) => {
    requireSameOrigin(c, deps.config.publicUrl);
    const body = (await c.req.json().catch(() => ({}))) as { token?: unknown };
    if (typeof body.token !== 'string' || body.token.length === 0 || body.token.length > 500) throw badRequest('must be an admin token (as configured in CDS_ADMIN_TOKENS)', 'token');
    const token = await findAdminToken(deps.config.adminTokens, body.token);
    await audit(c, deps, token ? 200 : 401, token);
    if (!token) throw new HttpError(401, { message: 'this token is not one of the configured admin tokens', field: 'token', code: 'login' });
    const now = deps.now().getTime();
    setCookie(c, SESSION_COOKIE, await deps.sessions.issue(token, now), {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: isHttps(c, deps.config.publicUrl),
      maxAge: SESSION_MS / 1000,
    });
    return c.json({ name: token.name, role: token.role });
  });

  app.post('/console/logout', (c) => {
    requireSameOrigin(c, deps.config.publicUrl);
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c, deps.config.publicUrl), httpOnly: true, sameSite: 'Strict' });
    return c.body(null, 204);
  });

  app.get('/console/session', async (c) => {
    const token = await adminOf(c, { tokens: deps.config.adminTokens, sessions: deps.sessions, now: deps.now, publicUrl: deps.config.publicUrl });
    if (!token) throw new HttpError(401, { message: 'not logged in', code: 'login' });
    return c.json({ name: token.name, role: token.role, storePayloads: deps.config.storePayloads });
  });

  app.get('/console/*', async (c) => {
    const path = c.req.path.slice('/console/'.length) || 'index.html';
    if (!ASSET_PATH.test(path) || path.includes('..')) throw new HttpError(404, { message: 'not found', code: 'not-found' });
    const asset = await deps.assets(path);
    if (!asset) throw new HttpError(404, { message: 'not found', code: 'not-found' });
    // The page itself is never cached (a new version shows at once); the files it loads briefly.
    c.header('cache-control', path === 'index.html' ? 'no-store' : 'private, max-age=60');
    c.header('content-type', asset.type);
    return c.body(asset.body);
  });
}

const isHttps = (c: Context, publicUrl?: string) => new URL(c.req.url).protocol === 'https:' || (publicUrl?.startsWith('https:') ?? false);

async function audit(c: Context, deps: ConsoleDeps, status: number, token: { name: string; role: string } | undefined): Promise<void> {
  await deps.store.recordAccess({
    receivedAt: deps.now().getTime(),
    kind: 'admin',
    method: c.req.method,
    path: '/console/login',
    status,
    principal: token?.name ?? null,
    role: token?.role ?? null,
  });
}
