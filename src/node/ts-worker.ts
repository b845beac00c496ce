/**
 * Worker threads whose module is TypeScript. The service runs through tsx (`npm start`), but a
 * worker thread does not inherit the main thread's `--import tsx` hooks on Node 20, so a
 * two-line bootstrap imports the module through tsx's API (its ESM build, as its package exports
 * name it: the CommonJS one cannot register hooks from a worker).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const tsxPackage = require('tsx/package.json') as { exports: Record<string, { import: { default: string } }> };
const TSX_API = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), tsxPackage.exports['./esm/api']!.import.default)).href;

/** Starts `module` (a .ts file URL) in a worker thread. */
export function startTsWorker(module: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const bootstrap = `import(${JSON.stringify(TSX_API)}).then(({ tsImport }) => tsImport(${JSON.stringify(module.href)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(bootstrap, { ...options, eval: true });
}
