/** The core stays runtime-neutral: Node-only code lives in src/node (and the Node tooling). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const NODE_ONLY = ['src/node', 'src/authoring', 'src/cli'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return NODE_ONLY.includes(path) ? [] : sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('architecture', () => {
  it('the core imports nothing from node:, better-sqlite3, or the Node shell', () => {
    const offenders = sources('src').flatMap((file) => {
      const imports = [...readFileSync(file, 'utf8').matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
      return imports.filter((i) => i.startsWith('node:') || i === 'better-sqlite3' || /\/(node|authoring|cli)\//.test(i)).map((i) => `${file} imports ${i}`);
    });
    expect(sources('src').length).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });
});
