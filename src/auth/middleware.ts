/**
 * The JWT gate in front of discovery, hook and feedback calls. Preflight OPTIONS never reaches
 * it (the CORS middleware answers those first: browsers send no Authorization on a preflight).
 * Every failure gets the same 401 body: which check failed goes to our log, not to the caller.
 */
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../log/logger.ts';
import { HttpError, operationOutcome, type Problem } from '../protocol/errors.ts';
import { AuthError, type JwtVerifier, type VerifiedClient } from './verify.ts';

/** `recorded`: the call already has its audit row (an invocation), so the refusal audit skips it. */
export type AuthEnv = { Variables: { client?: VerifiedClient; recorded?: boolean } };

const UNAUTHORIZED: Problem = { message: 'a valid Bearer JWT from a trusted CDS client is required', code: 'login' };
export const UNAUTHORIZED_BODY = operationOutcome([UNAUTHORIZED]);

export function requireClient(verify: JwtVerifier, publicUrl: string, log: Logger): MiddlewareHandler<AuthEnv> {
  const base = publicUrl.replace(/\/+$/, '');
  return async (c, next) => {
    // aud is the URL of the endpoint invoked: {base}/cds-services[/{id}[/feedback]].
    const audience = `${base}${c.req.path.replace(/\/+$/, '')}`;
    try {
      c.set('client', await verify(c.req.header('authorization'), audience));
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      // The reason and path only: never the token.
      log.warn('authentication failed', { path: c.req.path.slice(0, 200), reason: error.reason });
      // Answered by the app's one error path, like every other refusal.
      throw new HttpError(401, UNAUTHORIZED, { 'www-authenticate': 'Bearer realm="cds-services"' });
    }
    await next();
  };
}
