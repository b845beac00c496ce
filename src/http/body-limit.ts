/**
 * The request body limit: 413 on Content-Length without touching the body. hono's bodyLimit
 * reads `req.body` first, which on Node makes a stream over the socket; the unread rest is then
 * never drained and the next request on that keep-alive connection is reset (found by the HTTP
 * fuzz test). Only a chunked body, with no length to judge, goes through bodyLimit's counting reader.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { errorResponse, httpError } from './errors.ts';

export function limitBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => errorResponse(httpError(413, `the request body exceeds ${maxBytes} bytes`, 'too-costly'));
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return (c, next) => {
    const declared = c.req.header('content-length');
    if (declared === undefined || c.req.header('transfer-encoding')) return streamed(c, next);
    return Number(declared) > maxBytes ? Promise.resolve(tooLarge()) : next();
  };
}
