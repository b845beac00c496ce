/**
 * `npm run dev:worker -- --port N` under real wrangler and workerd, in a copy of the project: the
 * port is the caller's, and a broken content edit makes every request fail at once with 503 and
 * the problem (a failed build used to leave requests hanging for minutes), until the fix.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'cds-worker-dev-'));
const rule = join(dir, 'rules', 'drug-interactions', 'duplicate-nsaid.yaml');
let child: ChildProcess;
let base: string;
const output: string[] = [];

beforeAll(async () => {
  for (const entry of ['src', 'rules', 'cards', 'package.json', 'wrangler.toml', 'tsconfig.json']) cpSync(entry, join(dir, entry), { recursive: true });
  symlinkSync(resolve('node_modules'), join(dir, 'node_modules'));
  // Its own process group, so the test can stop wrangler and workerd together.
  child = spawn('npm', ['run', 'dev:worker', '--', '--port', '0'], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  base = await new Promise<string>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${output.join('\n')}`)), 150_000);
    child.on('exit', (code) => reject(new Error(`wrangler dev exited with ${code}:\n${output.join('\n')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const ready = /Ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(line.replace(/\x1b\[[0-9;]*m/g, ''));
      if (ready) {
        clearTimeout(timer);
        resolvePort(ready[1]!);
      }
    });
  });
}, 180_000);

afterAll(async () => {
  if (child?.pid && child.exitCode === null) {
    const exited = new Promise((r) => child.on('exit', r));
    process.kill(-child.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Every request must answer within 5 s: a hang fails the test instead of stalling it. */
const get = (path: string) => fetch(`${base}${path}`, { signal: AbortSignal.timeout(5000) });

async function eventually(check: () => Promise<boolean>, limitMs: number): Promise<void> {
  const start = performance.now();
  while (performance.now() - start < limitMs) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not within ${limitMs} ms:\n${output.slice(-30).join('\n')}`);
}

describe('npm run dev:worker', () => {
  it('listens on the port given with --port (0: any free one)', async () => {
    expect(base).not.toMatch(/:8787$/);
    const res = await get('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', database: 'd1', auth: 'open', reload: { status: 'ok', problems: [] } });
  });

  it('after a broken edit answers 503 with the problem at once, and serves again after the fix', async () => {
    const good = readFileSync(rule, 'utf8');
    writeFileSync(rule, good.replace('"%nsaidDrafts.exists()"', '"%nsaidDraft.exists()"'));
    await eventually(async () => (await get('/health')).status === 503, 60_000);
    const health = (await (await get('/health')).json()) as { status: string; reload: { problems: string[] } };
    expect(health.status).toBe('degraded');
    expect(health.reload.problems).toEqual([expect.stringMatching(/rules\/drug-interactions\/duplicate-nsaid\.yaml:\d+:\d+: %nsaidDraft is not a define/)]);
    const call = await fetch(`${base}/cds-services/drug-interactions`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(5000) });
    expect(call.status).toBe(503);
    expect(JSON.stringify(await call.json())).toContain('%nsaidDraft is not a define');

    writeFileSync(rule, good);
    await eventually(async () => (await get('/health')).status === 200, 60_000);
    expect((await get('/cds-services')).status).toBe(200);
  }, 150_000);
});
