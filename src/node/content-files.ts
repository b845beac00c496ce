/** Reads the content folders (rules/, cards/) from disk as the files the compiler takes. */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { classifyContentPath } from '../rules/content.ts';
import { compileContent, type CompileResult, type RuleSet } from '../rules/compile.ts';
import type { SourceFile } from '../rules/source.ts';

/** Every content file under `root` (its rules/ and cards/), with paths relative to `root`. */
export async function readContentFiles(root: string): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  for (const top of ['rules', 'cards']) {
    let entries: string[];
    try {
      entries = await readdir(join(root, top), { recursive: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for (const entry of entries) {
      const path = [top, ...entry.split(sep)].join('/');
      if (!classifyContentPath(path)) continue;
      files.push({ path, text: await readFile(join(root, top, entry), 'utf8') });
    }
  }
  return files;
}

const sources = new WeakMap<RuleSet, SourceFile[]>();

/** The files a RuleSet from `loadContent` was compiled from (evaluation workers compile them again). */
export const contentFilesOf = (ruleSet: RuleSet): SourceFile[] | undefined => sources.get(ruleSet);

/**
 * Reads and compiles the content under `root`; problem paths are relative to the working directory.
 * Also returns the files it compiled, which the Worker build bundles.
 */
export async function loadContent(root: string): Promise<CompileResult & { files: SourceFile[] }> {
  // A mistyped content folder must not quietly serve nothing.
  if (!existsSync(join(root, 'rules')) && !existsSync(join(root, 'cards'))) {
    const problem = { path: root, line: 1, column: 1, severity: 'error' as const, message: 'no rules/ or cards/ folder here: is CDS_CONTENT_DIR right?' };
    return { problems: [problem], ruleIds: new Map(), files: [] };
  }
  const files = await readContentFiles(root);
  const result = compileContent(files);
  if (result.ruleSet) sources.set(result.ruleSet, files);
  const shown = relative(process.cwd(), root).split(sep).join('/');
  if (!shown) return { ...result, files };
  return { ...result, files, problems: result.problems.map((p) => ({ ...p, path: `${shown}/${p.path}` })) };
}
