/**
 * The layering of docs/architecture.md ("Floors"), enforced: an import only ever runs down a floor
 * or stays on its own; no two folders import each other; the core stays runtime-neutral (Node-only
 * code lives in src/node and the Node tooling, the Worker shell in src/worker). Every way a module
 * can reach another counts: `import`, `import type`, `export ... from` and dynamic `import()`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

const NODE_ONLY = ['src/node', 'src/authoring', 'src/cli'];
const WORKER_SHELL = 'src/worker';

/** Floors from the bottom up; a unit is a folder under src/ or a file directly in it. */
const FLOORS: readonly (readonly string[])[] = [
  ['protocol'],
  ['store', 'auth', 'log', 'observe', 'config.ts', 'settings.ts'],
  ['rules', 'cards'],
  ['pipeline'],
  ['governance'],
  ['app.ts', 'http', 'console'],
  ['node', 'worker', 'cli', 'authoring'],
];

function sources(dir: string, skip: string[] = []): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return skip.includes(path) ? [] : sources(path, skip);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Module specifiers a source names: static imports and re-exports (`from '...'`, side-effect `import '...'`) and dynamic `import('...')`. */
export function specifiersOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = [
    ...code.matchAll(/^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm),
    ...code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
    ...code.matchAll(/\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g),
  ];
  return found.map((m) => m[1]!);
}

const importsOf = (file: string) => specifiersOf(readFileSync(file, 'utf8'));

/** The unit (folder or top-level file under src/) a path belongs to, or undefined outside src/. */
function unitOf(path: string): string | undefined {
  const parts = normalize(path).split('/');
  return parts[0] === 'src' && parts.length > 1 ? parts[1] : undefined;
}

const floorOf = (unit: string) => FLOORS.findIndex((floor) => floor.includes(unit));

/** Every arrow between two units: `from -> to` with the file that draws it. */
function arrows(): { from: string; to: string; file: string; spec: string }[] {
  return sources('src').flatMap((file) =>
    importsOf(file)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => ({ from: unitOf(file)!, to: unitOf(join(dirname(file), spec)), file, spec }))
      .filter((a): a is { from: string; to: string; file: string; spec: string } => a.to !== undefined && a.to !== a.from),
  );
}

const nodeOnly = (i: string) => i.startsWith('node:') || i === 'better-sqlite3' || i.startsWith('@hono/node-server') || /\/(node|authoring|cli)\//.test(i);
const workerOnly = (i: string) => i.startsWith('cloudflare:') || i.startsWith('@cloudflare/') || /\/worker\//.test(i);

describe('architecture', () => {
  it('sees every form of import: static, type-only, re-export, side effect, dynamic', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../b.ts';",
      "export { c } from './c.ts';",
      "export * from './d.ts';",
      "export type { E } from './e.ts';",
      "import './f.ts';",
      "const g = await import('./g.ts');",
      'import {',
      '  h,',
      "} from './h.ts';",
      "// import { no } from './comment.ts';",
      "const s = 'import x from \"./not-code\"';",
    ].join('\n');
    expect(specifiersOf(text)).toEqual(['./a.ts', '../b.ts', './c.ts', './d.ts', './e.ts', './h.ts', './f.ts', './g.ts']);
  });

  it('every unit under src/ is on a floor', () => {
    const units = [...new Set(sources('src').map(unitOf))].filter((u) => u !== undefined);
    expect(units.filter((u) => floorOf(u) < 0)).toEqual([]);
  });

  it('no import runs up a floor', () => {
    const up = arrows()
      .filter((a) => floorOf(a.to) > floorOf(a.from))
      .map((a) => `${a.file} imports ${a.spec} (${a.from} is below ${a.to})`);
    expect(up).toEqual([]);
  });

  it('no two folders import each other', () => {
    const pairs = new Set(arrows().map((a) => `${a.from} -> ${a.to}`));
    const mutual = [...pairs].filter((p) => {
      const [from, to] = p.split(' -> ');
      return pairs.has(`${to} -> ${from}`);
    });
    expect(mutual).toEqual([]);
  });

  it('the core imports nothing from node:, better-sqlite3, Cloudflare, or either shell', () => {
    const core = sources('src', [...NODE_ONLY, WORKER_SHELL]);
    const offenders = core.flatMap((file) => importsOf(file).filter((i) => nodeOnly(i) || workerOnly(i)).map((i) => `${file} imports ${i}`));
    expect(core.length).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });

  it('the Worker shell imports nothing Node-only (Cloudflare modules are its own)', () => {
    const shell = sources(WORKER_SHELL);
    const offenders = shell.flatMap((file) => importsOf(file).filter(nodeOnly).map((i) => `${file} imports ${i}`));
    expect(shell).toContain(join(WORKER_SHELL, 'index.ts'));
    expect(offenders).toEqual([]);
  });
});
