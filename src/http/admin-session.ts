/**
 * Who an admin request comes from: a bearer token (scripts, the CLI), or the console's session
 * cookie (a browser). A cookie is sent by the browser on its own, so a state-changing request
 * that relies on it must prove it comes from our own pages: its Origin must be ours (browsers
 * always send Origin on POST; a missing one is refused), and Sec-Fetch-Site, when sent, must say
 * same-origin. With SameSite=Strict on the cookie this is the CSRF defence (a bearer request
 * needs no such check: no browser attaches a bearer token by itself).
 */
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { type AdminToken, findAdminToken } from '../auth/admin.ts';
import { SESSION_COOKIE, type SessionSigner } from '../auth/session.ts';
import { HttpError } from '../protocol/errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AdminIdentity {
  tokens: readonly AdminToken[];
  sessions: SessionSigner;
  now: () => Date;
  /** The service's public URL, when it is behind a proxy that changes the host. */
  publicUrl?: string;
}

/** The admin token behind the request, or undefined; throws 403 for a cross-site cookie request. */
export async function adminOf(c: Context, identity: AdminIdentity): Promise<AdminToken | undefined> {
  const secret = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
  if (secret) return findAdminToken(identity.tokens, secret);
  const cookie = getCookie(c, SESSION_COOKIE);
  if (!cookie) return undefined;
  const token = await identity.sessions.verify(cookie, identity.tokens, identity.now().getTime());
  if (token && !SAFE_METHODS.has(c.req.method)) requireSameOrigin(c, identity.publicUrl);
  return token;
}

/** 403 unless the request says it comes from a page of ours. */
export function requireSameOrigin(c: Context, publicUrl?: string): void {
  const ours = new Set([new URL(c.req.url).origin]);
  if (publicUrl) ours.add(new URL(publicUrl).origin);
  const origin = c.req.header('origin');
  const site = c.req.header('sec-fetch-site');
  if (!origin || !ours.has(origin) || (site !== undefined && site !== 'same-origin')) {
    throw new HttpError(403, { message: 'a console request must come from the console itself (Origin header)', field: 'origin', code: 'forbidden' });
  }
}
