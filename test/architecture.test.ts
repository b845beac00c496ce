/**
 * The core stays runtime-neutral: Node-only code lives in src/node (and the Node tooling), the
 * Worker shell in src/worker, and neither shell's runtime leaks into the core.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const NODE_ONLY = ['src/node', 'src/authoring', 'src/cli'];
const WORKER_SHELL = 'src/worker';

function sources(dir: string, skip: string[]): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return skip.includes(path) ? [] : sources(path, skip);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);

const nodeOnly = (i: string) => i.startsWith('node:') || i === 'better-sqlite3' || i.startsWith('@hono/node-server') || /\/(node|authoring|cli)\//.test(i);
const workerOnly = (i: string) => i.startsWith('cloudflare:') || i.startsWith('@cloudflare/') || /\/worker\//.test(i);

describe('architecture', () => {
  it('the core imports nothing from node:, better-sqlite3, Cloudflare, or either shell', () => {
    const core = sources('src', [...NODE_ONLY, WORKER_SHELL]);
    const offenders = core.flatMap((file) => importsOf(file).filter((i) => nodeOnly(i) || workerOnly(i)).map((i) => `${file} imports ${i}`));
    expect(core.length).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });

  it('the Worker shell imports nothing Node-only (Cloudflare modules are its own)', () => {
    const shell = sources(WORKER_SHELL, []);
    const offenders = shell.flatMap((file) => importsOf(file).filter(nodeOnly).map((i) => `${file} imports ${i}`));
    expect(shell).toContain(join(WORKER_SHELL, 'index.ts'));
    expect(offenders).toEqual([]);
  });
});
