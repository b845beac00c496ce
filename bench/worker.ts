/**
 * `npm run measure:worker`: the Worker's bundle size and start-up time.
 *
 * - Size: dist/index.js from `npm run build:worker` (wrangler deploy --dry-run), raw and gzipped
 *   (Cloudflare's limits are on the gzipped upload: 3 MiB Free, 10 MiB Paid).
 * - Start-up: the CPU time of the Worker's global scope (module evaluation, settings, compiling
 *   the bundled content), which the platform limits to 1 s. Measured the way
 *   `wrangler check startup` does it (a V8 CPU profile around the first import of the module in
 *   local workerd), but with the D1 binding and vars of wrangler.toml present: without them the
 *   Worker refuses to start and the profile would stop early.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { Miniflare } from 'miniflare';

const RUNS = Number(process.env.RUNS ?? 5);
const LIMIT_MS = 1000;

const code = readFileSync('dist/index.js', 'utf8');
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`bundle dist/index.js: ${kib(Buffer.byteLength(code))}, gzip ${kib(gzipSync(code, { level: 9 }).length)}`);

const toml = readFileSync('wrangler.toml', 'utf8');
const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)![1]!;

interface Profile {
  nodes: { id: number; callFrame: { functionName: string } }[];
  samples: number[];
  timeDeltas: number[];
}

/** One cold start: a fresh workerd, profiler on, the Worker module imported for the first time. */
async function startupMs(): Promise<{ cpuMs: number; firstAnswerMs: number }> {
  const mf = new Miniflare({
    name: 'profiler',
    compatibilityDate,
    modulesRoot: '/',
    modules: [
      { type: 'ESModule', path: '/profiler.mjs', contents: 'export default { async fetch() { await import("./worker/index.js"); return new Response("ok"); } };' },
      { type: 'ESModule', path: '/worker/index.js', contents: code },
    ],
    d1Databases: { DB: 'startup-profile' },
    bindings: { LOG_LEVEL: 'info', CDS_STORE_PAYLOADS: 'false', CDS_CORS_ORIGINS: '*' },
    inspectorPort: 0,
  });
  try {
    await mf.ready;
    const inspector = await mf.getInspectorURL();
    const ws = new WebSocket(new URL('/core:user:profiler', inspector.href));
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    const replies = new Map<number, (result: unknown) => void>();
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
      if (message.id !== undefined) replies.get(message.id)?.(message.result);
    };
    let nextId = 1;
    const send = (method: string) =>
      new Promise<unknown>((resolve) => {
        const id = nextId++;
        replies.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params: {} }));
      });
    await send('Profiler.enable');
    await send('Profiler.start');
    const started = performance.now();
    const res = await mf.dispatchFetch('https://example.com/');
    const body = await res.text();
    const firstAnswerMs = performance.now() - started;
    if (body !== 'ok') throw new Error(`the Worker did not start: ${body.slice(0, 500)}`);
    const { profile } = (await send('Profiler.stop')) as { profile: Profile };
    ws.close();
    const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
    const busyUs = profile.samples.reduce((sum, node, i) => sum + (idle.has(node) ? 0 : (profile.timeDeltas[i] ?? 0)), 0);
    return { cpuMs: busyUs / 1000, firstAnswerMs };
  } finally {
    await mf.dispose();
  }
}

const runs: { cpuMs: number; firstAnswerMs: number }[] = [];
for (let i = 0; i < RUNS; i++) runs.push(await startupMs());
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpu = median(runs.map((r) => r.cpuMs));
console.log(`start-up CPU (global scope, ${RUNS} cold starts): ${runs.map((r) => r.cpuMs.toFixed(0)).join(', ')} ms; median ${cpu.toFixed(0)} ms of the ${LIMIT_MS} ms limit`);
console.log(`first answer after a cold start (wall, profiler on): median ${median(runs.map((r) => r.firstAnswerMs)).toFixed(0)} ms`);
if (cpu > LIMIT_MS / 2) {
  console.error('start-up is over half the platform limit');
  process.exit(1);
}
