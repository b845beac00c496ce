#!/usr/bin/env node
// The authoring command line. It runs src/cli compiled by esbuild into one bundle per version of
// the sources (build/cli-<key>/, rebuilt in about 0.2 s when a source file changes): under tsx
// every TypeScript module and every dependency went through its loader hooks, about 0.25 s of
// CPU before any work, where the bundle starts in about 0.06 s. If the bundle cannot be built,
// the sources run through tsx, which reports the real error.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A key for the sources the CLI is built from: each .ts file's path, size and modification time. */
function sourceKey() {
  const hash = createHash('sha1');
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const { size, mtimeMs } = statSync(path);
        hash.update(`${path}\0${size}\0${mtimeMs}\n`);
      }
    }
  };
  walk(join(root, 'src'));
  return hash.digest('hex').slice(0, 16);
}

async function bundled() {
  const builds = join(root, 'build');
  const out = join(builds, `cli-${sourceKey()}`);
  if (!existsSync(join(out, 'main.js'))) {
    const { build } = await import('esbuild');
    // Built aside and renamed into place, so a CLI started meanwhile never reads half a bundle.
    const aside = `${out}.${process.pid}.tmp`;
    await build({
      entryPoints: [join(root, 'src/cli/main.ts')],
      outdir: aside,
      bundle: true,
      splitting: true, // each command's modules stay in their own chunk, imported when it runs
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      logLevel: 'silent',
    });
    try {
      renameSync(aside, out);
    } catch {
      rmSync(aside, { recursive: true, force: true }); // another CLI built the same sources first
    }
    // Bundles of older sources, left for an hour in case a CLI still running reads one.
    for (const name of readdirSync(builds)) {
      const path = join(builds, name);
      if (name.startsWith('cli-') && path !== out && Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { recursive: true, force: true });
    }
  }
  return pathToFileURL(join(out, 'main.js')).href;
}

let entry;
try {
  entry = await bundled();
} catch {
  const { register } = await import('tsx/esm/api');
  register();
  entry = '../src/cli/main.ts';
}
await import(entry);
