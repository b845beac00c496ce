/**
 * Signing CDS client JWTs as an EHR does, and serving their JWKS over real HTTP on 127.0.0.1, so
 * the service's verifier fetches keys the way it will in production.
 */
import { createServer, type Server } from 'node:http';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export interface SigningKey {
  kid: string;
  alg: 'ES384' | 'RS384' | 'ES256';
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function signingKey(alg: SigningKey['alg'], kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export const jwks = (...keys: SigningKey[]) => ({ keys: keys.map((k) => ({ ...k.publicJwk, kty: k.publicJwk.kty! })) });

export interface TokenOptions {
  iss: string;
  aud: string | string[];
  jku?: string;
  /** Seconds from now. */
  expIn?: number;
  iatOffset?: number;
  jti?: string | null;
  extra?: JWTPayload;
  header?: Record<string, unknown>;
}

/** A token as the CDS Hooks sandbox shapes it: ES384/RS384, typ JWT, kid, optional jku, exp = now + 300. */
export async function signToken(key: SigningKey, o: TokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = { iss: o.iss, aud: o.aud, exp: now + (o.expIn ?? 300), iat: now + (o.iatOffset ?? 0), ...o.extra };
  if (o.jti !== null) payload.jti = o.jti ?? crypto.randomUUID();
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid, ...(o.jku ? { jku: o.jku } : {}), ...o.header })
    .sign(key.privateKey);
}

/** A token with `alg: none` (no signature), which must never pass. */
export function unsecuredToken(payload: JWTPayload, header: Record<string, unknown> = {}): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT', ...header })}.${b64(payload)}.`;
}

/** An HS256 token signed with the public key's bytes as the secret (the classic alg-confusion attack). */
export async function hmacToken(secret: string, payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...header }).sign(new TextEncoder().encode(secret));
}

export interface JwksServer {
  base: string;
  /** Serves `body` at `path` from now on. */
  set(path: string, body: unknown): void;
  /** Every path requested so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 serving JWK Sets (and anything else a test sets). */
export async function startJwksServer(): Promise<JwksServer> {
  const bodies = new Map<string, unknown>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '/');
    const body = bodies.get(req.url ?? '/');
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    base: `http://127.0.0.1:${port}`,
    set: (path, body) => bodies.set(path, body),
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
