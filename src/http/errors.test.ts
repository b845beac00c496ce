/** The one error path: what reaches the log of an error that is a bug, and what a store claims. */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger.ts';
import { HttpError } from '../protocol/errors.ts';
import { onError } from './errors.ts';

function appThrowing(error: Error, answerFor?: (e: unknown) => HttpError | undefined) {
  const lines: string[] = [];
  const app = new Hono();
  app.get('/', () => {
    throw error;
  });
  app.onError(onError(createLogger({ level: 'debug', write: (line) => lines.push(line) }), answerFor));
  return { app, lines };
}

describe('onError', () => {
  it('logs the first stack frame of a bug, never a line of a multi-line message (a query error holds its parameters)', async () => {
    const error = new Error('Failed query: select * from invocations where patient_id = $1\nparams: patient-secret-123');
    const { app, lines } = appThrowing(error);
    const res = await app.request('/');
    expect(res.status).toBe(500);
    expect(lines.join('\n')).not.toContain('patient-secret-123');
    expect(JSON.parse(lines.at(-1)!).at).toMatch(/^at /);
  });

  it("answers what the store recognises as its own outage as the store says, and logs no bug", async () => {
    const { app, lines } = appThrowing(new Error('connect ECONNREFUSED'), () => new HttpError(503, { message: 'the database is unavailable', code: 'transient' }));
    const res = await app.request('/');
    expect(res.status).toBe(503);
    expect(lines.join('\n')).not.toContain('unhandled error');
  });
});
