/**
 * The one way the service answers with an error: an HttpError becomes its status, its headers
 * and an OperationOutcome body. Route handlers, the JWT gate, the hook call and feedback throw
 * HttpErrors; the app's error handler, the body limit and the not-found and method-not-allowed
 * answers all come here.
 */
import type { ErrorHandler } from 'hono';
import type { Logger } from '../log/logger.ts';
import { HttpError, operationOutcome, type Problem } from '../protocol/errors.ts';

export function errorResponse(error: HttpError, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(operationOutcome(error.problems)), {
    status: error.status,
    headers: { 'content-type': 'application/json', ...error.headers, ...headers },
  });
}

/** A one-problem HttpError, for answers that name no field. */
export const httpError = (status: number, message: string, code: Problem['code']) => new HttpError(status, { message, code });

/**
 * HttpErrors are answered as they say, and so is what the store recognises as its own outage
 * (`answerFor`: PostgreSQL gone is a 503); anything else is a bug: logged without its message
 * (which may quote request data), answered 500.
 */
export function onError(log: Logger, answerFor?: (error: unknown) => HttpError | undefined): ErrorHandler {
  return (error, c) => {
    if (error instanceof HttpError) return errorResponse(error);
    const known = answerFor?.(error);
    if (known) return errorResponse(known);
    // The first stack frame, never a line of a multi-line message (a query error's holds its SQL and parameters).
    log.error('unhandled error', { path: c.req.path, error: error.name, at: error.stack?.split('\n').find((line) => line.trim().startsWith('at '))?.trim() });
    return errorResponse(httpError(500, 'internal error', 'exception'));
  };
}
