/**
 * The console's files for the Node shell: the page, its ES modules and stylesheet from
 * src/console/public/, and Chart.js's self-contained UMD build from node_modules (pinned in
 * package.json, MIT licence in node_modules/chart.js/LICENSE.md), served as they are.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConsoleAsset, ConsoleAssets } from '../console/routes.ts';

const PUBLIC = fileURLToPath(new URL('../console/public/', import.meta.url));
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** Files served from elsewhere than src/console/public/. */
function vendored(): Record<string, string> {
  const chartDist = dirname(createRequire(import.meta.url).resolve('chart.js'));
  return { 'vendor/chart.umd.min.js': join(chartDist, 'chart.umd.min.js') };
}

export function consoleAssets(): ConsoleAssets {
  const vendor = vendored();
  return async (path) => {
    const file = vendor[path] ?? (path.startsWith('vendor/') ? undefined : join(PUBLIC, path));
    if (!file) return undefined;
    try {
      const body = new Uint8Array(await readFile(file));
      return { body, type: TYPES[path.split('.').pop()!] ?? 'application/octet-stream' } satisfies ConsoleAsset;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
      throw error;
    }
  };
}
