/**
 * Load over HTTP for the bench: server processes started as `npm start` starts them, autocannon
 * for throughput with N calls in flight, and a sequential keep-alive loop timed with
 * performance.now() where sub-millisecond latency matters (autocannon's histogram counts whole
 * milliseconds).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

export interface Server {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Spawns `node --import tsx <script>` with `env` and resolves once it logs a JSON line with `port`. */
export function startServer(script: string, env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start:\n${lines.join('\n')}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${lines.join('\n')}`)));
    createInterface({ input: child.stderr! }).on('line', (line) => lines.length < 50 && lines.push(line));
    // Every call logs a line; it is read (as a terminal or log shipper would) and dropped.
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (lines.length < 50) lines.push(line);
      try {
        const port = (JSON.parse(line) as { port?: unknown }).port;
        if (typeof port === 'number' && port > 0) {
          clearTimeout(timer);
          resolve({
            port,
            child,
            stop: async () => {
              if (child.exitCode === null) child.kill('SIGTERM');
              await exited;
            },
          });
        }
      } catch {}
    });
  });
}

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
}

/** autocannon: `connections` calls in flight for `seconds`. */
export async function loadTest(port: number, path: string, body: string | undefined, connections: number, seconds: number): Promise<LoadResult> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
    timeout: 30,
  });
  return {
    connections,
    seconds,
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

export interface SequentialResult {
  calls: number;
  p50: number;
  p99: number;
  statuses: Record<number, number>;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/**
 * One call over a keep-alive connection; resolves with its status and milliseconds. A connection
 * the server closed as idle just as it was reused (ECONNRESET) is retried once on a new one.
 */
export async function timedCall(port: number, path: string, body?: string, timeoutMs = 120_000): Promise<{ status: number; ms: number; text: string }> {
  try {
    return await callOnce(port, path, body, timeoutMs);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error;
    return callOnce(port, path, body, timeoutMs);
  }
}

function callOnce(port: number, path: string, body: string | undefined, timeoutMs: number): Promise<{ status: number; ms: number; text: string }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(
      { host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST', agent: body === undefined ? undefined : agent, headers: { 'content-type': 'application/json' }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - start, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * One call at a time to each server in turn (A, B, A, B, ...) for `seconds`, after `warmupSeconds`
 * (and at least 20 rounds) of the same, untimed: each server's latencies are taken under the same
 * conditions, call by call, so a machine whose speed drifts from one second to the next (this
 * one's does, by a third) slows them alike.
 */
export async function alternating(ports: number[], path: string, body: string, seconds: number, warmupSeconds = 0): Promise<SequentialResult[]> {
  const warm = performance.now() + warmupSeconds * 1000;
  for (let i = 0; i < 20 || performance.now() < warm; i++) for (const port of ports) await timedCall(port, path, body);
  const times: number[][] = ports.map(() => []);
  const statuses: Record<number, number>[] = ports.map(() => ({}));
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (const [i, port] of ports.entries()) {
      const { status, ms } = await timedCall(port, path, body);
      times[i]!.push(ms);
      statuses[i]![status] = (statuses[i]![status] ?? 0) + 1;
    }
  }
  return times.map((list, i) => {
    list.sort((a, b) => a - b);
    return { calls: list.length, p50: percentile(list, 50), p99: percentile(list, 99), statuses: statuses[i]! };
  });
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
