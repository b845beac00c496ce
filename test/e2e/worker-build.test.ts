/**
 * The Worker's content step (src/node/build-content.ts, run by wrangler.toml's [build] before
 * every `wrangler dev` and `wrangler deploy`): the Node loader and compiler validate, a bad file
 * fails the build with path:line:col, and the bundle compiles to what Node serves.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readContentFiles } from '../../src/node/content-files.ts';
import { compileContent } from '../../src/rules/compile.ts';
import { compileBundle, type ContentBundle } from '../../src/worker/bundle.ts';
import { runToEnd } from '../support/processes.ts';

const dir = mkdtempSync(join(tmpdir(), 'cds-worker-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const build = (contentDir: string, out: string) => runToEnd(['--import', 'tsx', 'src/node/build-content.ts', contentDir, out]);

describe('the Worker content build', () => {
  it('a broken rule file fails the build with path:line:col, and no bundle is left behind', async () => {
    const content = join(dir, 'broken');
    mkdirSync(join(content, 'rules', 'demo'), { recursive: true });
    writeFileSync(join(content, 'rules', 'demo', 'service.yaml'), 'hook: patient-view\ntitle: Demo\ndescription: Demo\n');
    writeFileSync(join(content, 'rules', 'demo', 'broken.yaml'), 'id: broken\ntitle: Broken\nreferences: [{ label: x, url: "https://example.org" }]\nwhen: "true"\ncard: nope\n');
    const out = join(dir, 'broken.json');
    writeFileSync(out, '{"files": []}'); // from an earlier, good build
    const { code, stderr } = await build(content, out);
    expect(code).toBe(1);
    expect(stderr).toMatch(/rules\/demo\/broken\.yaml:5:7: card template 'nope' does not exist in cards\//);
    expect(existsSync(out)).toBe(false);
  });

  it('a development build (npm run dev:worker) of broken content succeeds with a bundle of the problems, which the Worker answers 503 with', async () => {
    const content = join(dir, 'broken');
    const out = join(dir, 'broken-dev.json');
    const { code, stderr } = await runToEnd(['--import', 'tsx', 'src/node/build-content.ts', content, out], { CDS_CONTENT_BUILD: 'dev' });
    expect(code).toBe(0);
    expect(stderr).toContain('content has 1 error(s); the dev Worker answers 503 with them until they are fixed');
    const bundle = JSON.parse(readFileSync(out, 'utf8')) as ContentBundle;
    expect(bundle.files).toEqual([]);
    expect(bundle.problems).toEqual([expect.stringMatching(/rules\/demo\/broken\.yaml:5:7: card template 'nope' does not exist in cards\//)]);
  });

  it('bundles the shipped content without the example patients, and it compiles to what Node serves', async () => {
    const out = join(dir, 'content.json');
    const { code, stdout } = await build('.', out);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\d+ services, \d+ rules/);
    const bundle = JSON.parse(readFileSync(out, 'utf8')) as ContentBundle;
    const onDisk = await readContentFiles('.');
    expect(bundle.files.map((f) => f.path).sort()).toEqual(onDisk.filter((f) => !f.path.endsWith('.test.yaml')).map((f) => f.path).sort());
    expect(bundle.files.length).toBeLessThan(onDisk.length);
    expect(compileBundle(bundle).counts).toEqual(compileContent(onDisk).ruleSet!.counts);
  });

  it('the Worker refuses to start on a bundle that does not compile', () => {
    expect(() => compileBundle({ files: [{ path: 'cards/x.yaml', text: 'summary: [' }] })).toThrow(/cards\/x\.yaml:1:\d+: YAML syntax/);
  });
});
