/**
 * The bench's baseline: a bare Hono route on the same Node server adapter, parsing the same body
 * and answering `{"cards":[]}`. Whatever the service costs beyond this is its own.
 * Prints `{"port": n}` once listening (PORT=0 picks a free port).
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('/cds-services/:id', async (c) => {
  await c.req.json();
  return c.json({ cards: [] });
});
app.get('/health', (c) => c.json({ status: 'ok' }));

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: '127.0.0.1' }, (info) => {
  console.log(JSON.stringify({ port: info.port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
