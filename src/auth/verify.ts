/**
 * Verifies the JWT a CDS client sends with every call (CDS Hooks 2.0 "Trusting CDS Clients",
 * cds-hooks.org best practices): issuer on the allowlist, `jku` on that issuer's allowlist (a
 * URL not on it is never fetched), signature by the key `kid` selects, ES384 or RS384 only,
 * `aud` this endpoint, `exp` ahead, `iat` not ahead (beyond a small skew) nor too old, `jti`
 * never seen before. Any failure is one AuthError; its reason is for our logs only.
 */
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { jwksUrls, normalizeUrl, type TrustedClient } from './clients.ts';

/** The CDS Hooks recommended algorithms. Never `none`, never HMAC (the key would be public). */
export const ALGORITHMS = ['ES384', 'RS384'];

export interface JwtVerifierOptions {
  clients: readonly TrustedClient[];
  /** Records a jti as used; false when it already was (see Store.claimJti). */
  claimJti(iss: string, jti: string, expiresAt: number, now: number): Promise<boolean>;
  purgeExpiredJtis?(now: number): Promise<void>;
  now?: () => Date;
  /** Clock difference tolerated between the EHR and us. */
  clockSkewSec?: number;
  /** Oldest `iat` accepted; also bounds how long a jti must be remembered. */
  maxTokenAgeSec?: number;
  /** Least time between two JWKS fetches for an unknown `kid` (jose's cooldown). */
  jwksCooldownMs?: number;
}

export interface VerifiedClient {
  iss: string;
  jti: string;
  tenant?: string;
  client: TrustedClient;
}

/** Authentication failed. `reason` names the check for the operator's log, never the client. */
export class AuthError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export type JwtVerifier = (authorization: string | null | undefined, audience: string) => Promise<VerifiedClient>;

/**
 * Remote key sets live in module scope: one per URL (and cooldown) for the life of the isolate,
 * so the JWKS is fetched once for thousands of calls, and again only for an unknown `kid`.
 */
const remoteSets = new Map<string, JWTVerifyGetKey>();

function remoteSet(url: string, cooldownMs: number): JWTVerifyGetKey {
  const cacheKey = `${cooldownMs} ${url}`;
  let set = remoteSets.get(cacheKey);
  if (!set) {
    set = createRemoteJWKSet(new URL(url), { cooldownDuration: cooldownMs, timeoutDuration: 5000 });
    remoteSets.set(cacheKey, set);
  }
  return set;
}

export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const now = options.now ?? (() => new Date());
  const skew = options.clockSkewSec ?? 60;
  const maxAge = options.maxTokenAgeSec ?? 3600;
  const cooldown = options.jwksCooldownMs ?? 30_000;
  const byIss = new Map(options.clients.map((c) => [c.iss, c]));
  const inline = new Map(options.clients.filter((c) => c.jwks).map((c) => [c.iss, createLocalJWKSet(c.jwks as Parameters<typeof createLocalJWKSet>[0])]));
  let lastPurge = 0;

  return async (authorization, audience) => {
    const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(authorization ?? '');
    if (!match) throw new AuthError('no bearer token');
    const token = match[1]!;

    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverifiedIss: unknown;
    try {
      header = decodeProtectedHeader(token);
      unverifiedIss = decodeJwt(token).iss;
    } catch {
      throw new AuthError('malformed token');
    }
    if (typeof header.alg !== 'string' || !ALGORITHMS.includes(header.alg)) throw new AuthError('algorithm not allowed');
    const client = typeof unverifiedIss === 'string' ? byIss.get(unverifiedIss) : undefined;
    if (!client) throw new AuthError('unknown issuer');

    const allowed = jwksUrls(client);
    const jku = header.jku === undefined ? undefined : allowed.find((url) => sameUrl(url, header.jku!));
    if (header.jku !== undefined && !jku) throw new AuthError('jku not allowed');
    // Inline keys pin the key set (offline); otherwise the configured URL the token's jku
    // matched (never the header's own string), or the client's first JWKS URL.
    const keys = inline.get(client.iss) ?? remoteSet(jku ?? allowed[0]!, cooldown);

    const at = now();
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: client.iss,
        // The spec has the client put the endpoint's URL in aud; tolerate a trailing slash.
        audience: [audience, `${audience}/`],
        algorithms: ALGORITHMS,
        requiredClaims: ['exp', 'iat', 'jti'],
        maxTokenAge: maxAge,
        clockTolerance: skew,
        currentDate: at,
      }));
    } catch (error) {
      throw new AuthError(reasonOf(error));
    }
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) throw new AuthError('bad jti');
    const tenant = typeof payload.tenant === 'string' ? payload.tenant : undefined;
    if (client.tenants && (!tenant || !client.tenants.includes(tenant))) throw new AuthError('tenant not allowed');

    // Remember the jti until the token would be refused anyway: exp, or iat + max age.
    const nowMs = at.getTime();
    const expiresAt = (Math.min(payload.exp!, payload.iat! + maxAge) + skew) * 1000;
    if (!(await options.claimJti(client.iss, payload.jti, expiresAt, nowMs))) throw new AuthError('replayed jti');
    if (options.purgeExpiredJtis && nowMs - lastPurge > 60_000) {
      lastPurge = nowMs;
      await options.purgeExpiredJtis(nowMs);
    }
    return { iss: client.iss, jti: payload.jti, tenant, client };
  };
}

function sameUrl(a: string, b: string): boolean {
  try {
    return normalizeUrl(a) === normalizeUrl(b);
  } catch {
    return false;
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return error.claim === 'iat' ? 'token too old' : 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim}: ${error.reason}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key matches kid';
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'several keys match';
  if (error instanceof errors.JWKSTimeout) return 'jwks timeout';
  if (error instanceof errors.JOSEError) return error.code;
  return 'jwks unavailable';
}
