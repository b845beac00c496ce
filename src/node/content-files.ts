/** Reads the content folders (rules/, cards/) from disk and compiles them. */
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { readContentFiles } from '../authoring/content-folder.ts';
import { compileContent, type CompileResult, type RuleSet } from '../rules/compile.ts';
import type { SourceFile } from '../rules/source.ts';

// The folder reader lives with the authoring tools (which the service's console uses too).
export { readContentFiles };

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
