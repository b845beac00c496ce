/** Reads the content folders (rules/, cards/) from disk as the files the compiler takes. */
import { readdir, readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { classifyContentPath } from '../rules/content.ts';
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
