/**
 * docs/authoring.md's tutorial, run as written: its code blocks are taken from the Markdown and
 * followed in a copy of the shipped content (each YAML block written to the file the text before
 * it names, each `npx cds-rules` command run there), and the outcomes it promises are asserted.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { runToEnd } from '../support/processes.ts';

interface Block {
  lang: string;
  code: string;
  /** The text between the previous block and this one. */
  before: string;
}

/** The fenced code blocks of one `## ` section, each with the prose that leads to it. */
function sectionBlocks(markdown: string, heading: string): Block[] {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  expect(start, `docs/authoring.md has no section '## ${heading}'`).toBeGreaterThan(0);
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  const blocks: Block[] = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  let last = 0;
  for (let m = fence.exec(section); m; m = fence.exec(section)) {
    blocks.push({ lang: m[1]!, code: m[2]!, before: section.slice(last, m.index) });
    last = m.index + m[0].length;
  }
  return blocks;
}

const dir = mkdtempSync(join(tmpdir(), 'cds-tutorial-'));
cpSync('rules', join(dir, 'rules'), { recursive: true });
cpSync('cards', join(dir, 'cards'), { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bin = resolve('bin/cds-rules.mjs');
/** `npx cds-rules <args>` as the reader types it, in the tutorial's content folder. */
const cdsRules = (command: string) => {
  const match = /^npx cds-rules (.+)$/.exec(command.trim());
  if (!match) throw new Error(`the tutorial asks for '${command}', which this test cannot run: only npx cds-rules commands`);
  return runToEnd([bin, ...match[1]!.split(/\s+/)], { NO_COLOR: '1' }, dir);
};

describe('the tutorial in docs/authoring.md, as written', () => {
  const blocks = sectionBlocks(readFileSync('docs/authoring.md', 'utf8'), 'Ten minutes from nothing to a tested rule');
  const ruleId = 'diabetes-uacr-overdue';

  it('has no elided parts a reader cannot paste', () => {
    for (const block of blocks) expect(block.code, block.code).not.toMatch(/^\s*\.\.\.\s*$|…/m);
  });

  it('step by step: scaffold, write the rule, the card and the example patients, check, test and preview', { timeout: 600_000 }, async () => {
    let cases: { name: string; expect: { cards: unknown[] } }[] = [];
    for (const block of blocks) {
      if (block.lang === 'yaml') {
        // The file a block goes to is the last `….yaml` path the prose before it names.
        const paths = [...block.before.matchAll(/`((?:rules|cards)\/[^`]+\.yaml)`/g)].map((m) => m[1]!);
        expect(paths.length, `no file named before the block:\n${block.code}`).toBeGreaterThan(0);
        const path = paths.at(-1)!;
        writeFileSync(join(dir, path), block.code);
        if (path.endsWith('.test.yaml')) cases = (parseYaml(block.code) as { cases: typeof cases }).cases;
        continue;
      }
      expect(block.lang, `a block the tutorial cannot run:\n${block.code}`).toBe('sh');
      for (const command of block.code.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'))) {
        const args = command.trim().split(/\s+/);
        const run = await cdsRules(command);
        const output = `${command}\n${run.stdout}${run.stderr}`;
        switch (args[2]) {
          case 'new': {
            // "This writes three files that already pass check and test".
            expect(run.code, output).toBe(0);
            for (const file of [`rules/preventive-care/${ruleId}.yaml`, `rules/preventive-care/${ruleId}.test.yaml`, `cards/preventive-care/${ruleId}.yaml`]) {
              expect(run.stdout, output).toContain(`created ${file}`);
            }
            const checked = await cdsRules('npx cds-rules check');
            expect(checked.code, checked.stdout).toBe(0);
            expect(checked.stdout).toContain('warning: placeholder reference');
            const tested = await cdsRules(`npx cds-rules test --rule ${ruleId}`);
            expect(tested.code, tested.stdout).toBe(0);
            break;
          }
          case 'check':
            expect(run.code, output).toBe(0);
            expect(run.stdout, output).toMatch(/^ok: /m);
            expect(run.stdout, output).not.toContain(`${ruleId}.yaml`); // no warning left on the new rule
            break;
          case 'test':
            expect(cases.length).toBeGreaterThanOrEqual(2);
            expect(run.code, output).toBe(0);
            for (const c of cases) expect(run.stdout, output).toContain(`✓ ${c.name}`);
            expect(run.stdout.trim().split('\n').at(-1), output).toBe(`${cases.length} passed, 0 failed`);
            break;
          case 'preview':
            expect(run.code, output).toBe(0);
            for (const c of cases) expect(run.stdout, output).toContain(`── preventive-care: ${c.name}`);
            expect(run.stdout, output).toMatch(/Urine albumin-to-creatinine ratio due \(last: (never|\d{4}-\d\d-\d\d)\)/);
            expect(run.stdout, output).toMatch(new RegExp(`${ruleId}\\s+fired`));
            expect(run.stdout, output).toMatch(new RegExp(`${ruleId}\\s+quiet`));
            break;
          default:
            throw new Error(`the tutorial runs '${command}': add what it promises to this test`);
        }
      }
    }
    expect(cases.length, 'the tutorial wrote no example patients').toBeGreaterThan(0);
  });
});
