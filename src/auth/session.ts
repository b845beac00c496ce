/**
 * Console sessions: after a login with an admin token, the browser holds a cookie that names the
 * token (never the secret) with an expiry, signed with HMAC-SHA-256. The role is looked up in the
 * configured tokens on every request, so removing a token from CDS_ADMIN_TOKENS ends its
 * sessions too. The key is random per process unless the operator gives one (a restart then
 * logs everybody out, which is the safe default).
 *
 * The cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it)
 * and Path=/ (the console calls /admin/...). State-changing requests authenticated by it must
 * also come from our own origin (src/http/admin-session.ts).
 */
import { type AdminToken } from './admin.ts';

export const SESSION_COOKIE = 'cds_console';
/** Eight hours: a working day, then log in again. */
export const SESSION_MS = 8 * 3_600_000;

export interface SessionSigner {
  issue(token: AdminToken, now: number): Promise<string>;
  /** The token a cookie value names, if its signature holds, it has not expired and the token is still configured. */
  verify(value: string, tokens: readonly AdminToken[], now: number): Promise<AdminToken | undefined>;
}

export function sessionSigner(secret?: string): SessionSigner {
  // Made on first use: an app is built synchronously, and a Worker may not draw random values
  // at global scope (where it builds its app).
  let imported: Promise<CryptoKey> | undefined;
  const keyOf = () =>
    (imported ??= crypto.subtle.importKey('raw', secret ? new TextEncoder().encode(secret) : crypto.getRandomValues(new Uint8Array(32)), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']));
  const payloadOf = (name: string, expires: number) => new TextEncoder().encode(`${name}.${expires}`);
  return {
    async issue(token, now) {
      const expires = now + SESSION_MS;
      const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await keyOf(), payloadOf(token.name, expires)));
      return `${token.name}.${expires}.${base64url(mac)}`;
    },
    async verify(value, tokens, now) {
      const m = /^([A-Za-z0-9._@-]{1,64})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(value);
      if (!m) return undefined;
      const [, name, expiresText, macText] = m as unknown as [string, string, string, string];
      const expires = Number(expiresText);
      if (expires <= now) return undefined;
      const mac = fromBase64url(macText);
      // The value exactly as issued: base64 decoding drops the last character's two padding
      // bits, so three other spellings of the same MAC would pass the check below.
      if (!mac || base64url(mac) !== macText || !(await crypto.subtle.verify('HMAC', await keyOf(), mac, payloadOf(name, expires)))) return undefined;
      return tokens.find((t) => t.name === name);
    },
  };
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}
