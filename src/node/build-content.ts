/**
 * `npm run build:content`: the Worker's content step. A Worker has no filesystem, and FHIRPath
 * compiles to closures that cannot be serialised, so the build validates the content with the
 * same loader and compiler as the Node shell and bundles the file *texts*; the Worker compiles
 * them again at start-up (src/worker/bundle.ts). Any error fails the build with path:line:col.
 *
 * Usage: node --import tsx src/node/build-content.ts [contentDir=.] [outFile=build/content.json]
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { classifyContentPath } from '../rules/content.ts';
import { formatProblem } from '../rules/source.ts';
import type { ContentBundle } from '../worker/bundle.ts';
import { loadContent } from './content-files.ts';

const [contentDir = '.', outFile = 'build/content.json'] = process.argv.slice(2);

const { ruleSet, problems, files } = await loadContent(resolve(contentDir));
for (const p of problems) console.error(formatProblem(p));
if (!ruleSet) {
  // A bundle left from an earlier build must not be served or tested as if it were this content.
  await rm(outFile, { force: true });
  console.error(`content has ${problems.filter((p) => p.severity === 'error').length} error(s); no bundle written`);
  process.exit(1);
}

// Rule example patients (*.test.yaml) are authoring material: they stay out of the Worker.
const bundle: ContentBundle = { files: files.filter((f) => classifyContentPath(f.path)?.kind !== 'test') };
await mkdir(dirname(resolve(outFile)), { recursive: true });
await writeFile(outFile, `${JSON.stringify(bundle)}\n`);
const bytes = Buffer.byteLength(JSON.stringify(bundle));
console.log(`content bundle ${outFile}: ${bundle.files.length} files, ${(bytes / 1024).toFixed(1)} KiB (${Object.entries(ruleSet.counts).map(([k, v]) => `${v} ${k}`).join(', ')})`);
