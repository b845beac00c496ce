/**
 * Content versions. A rule's version is a hash of every file that decides what it does: its own
 * file, its service file (shared prefetch and defines), the libraries the service includes, its
 * card template, the value sets any of those texts names, and the data tables of the clinical
 * functions they call. Change any byte of one of them and the version changes; so a recorded
 * card names the exact texts that produced it (the store keeps each version's files).
 *
 * A service's version is a hash of its rules' versions. Synchronous SHA-256 (@noble/hashes), so
 * it is computed once at compile time in Node and in the Worker alike (crypto.subtle is async).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { CompiledService, VersionSource } from './compiled.ts';
import { classifyContentPath } from './content.ts';
import { FUNCTION_DATA_TABLES } from './functions.ts';
import type { SourceFile } from './source.ts';

/** Hex digits kept of a version hash: 64 bits, plenty for telling versions of one rule apart. */
const VERSION_HEX = 16;

/** Hex SHA-256 of a text: the key the store keeps a file's text under. */
export function textHash(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

/** What a rule's version is made of. */
export interface RuleVersion {
  /** Content hash (16 hex digits), or `<author version>+<hash>` when the rule file gives one. */
  version: string;
  sources: VersionSource[];
}

/** Where each card, value set, data table and library lives, by id. */
interface ContentIndex {
  texts: ReadonlyMap<string, string>;
  /** Each path's text hash, computed once (a value set is shared by many rules). */
  hashes: Map<string, string>;
  paths: Record<'card' | 'valueset' | 'data' | 'library', Map<string, string>>;
}

export function indexContent(files: readonly SourceFile[]): ContentIndex {
  const paths = { card: new Map(), valueset: new Map(), data: new Map(), library: new Map() } as ContentIndex['paths'];
  for (const file of files) {
    const kind = classifyContentPath(file.path);
    if (kind && kind.kind in paths) paths[kind.kind as keyof ContentIndex['paths']].set(kind.id, file.path);
  }
  return { texts: new Map(files.map((f) => [f.path, f.text])), hashes: new Map(), paths };
}

/**
 * Sets `version` and `sources` on every rule of the services, and `version` on each service.
 * Runs after compilation, so every path it looks up exists.
 */
export function stampVersions(services: Iterable<CompiledService>, index: ContentIndex): void {
  for (const service of services) {
    const shared = [service.path, ...service.includes.map((name) => index.paths.library.get(name)!)];
    for (const rule of service.rules) {
      const own = [rule.path, ...shared];
      if (rule.cardId) own.push(index.paths.card.get(rule.cardId)!);
      const texts = own.map((p) => index.texts.get(p) ?? '');
      const named = [...referencedValueSets(texts, index), ...referencedDataTables(texts, index)];
      const paths = [...new Set([...own, ...named])].sort();
      const sources = paths.map((path) => {
        const text = index.texts.get(path) ?? '';
        let sha256 = index.hashes.get(path);
        if (sha256 === undefined) index.hashes.set(path, (sha256 = textHash(text)));
        return { path, sha256, text };
      });
      const hash = textHash(JSON.stringify(sources.map((s) => [s.path, s.sha256]))).slice(0, VERSION_HEX);
      rule.version = rule.authorVersion ? `${rule.authorVersion}+${hash}` : hash;
      rule.sources = sources;
    }
    const ruleVersions = service.rules.map((r) => `${r.id}@${r.version}`).sort();
    service.version = textHash(JSON.stringify(ruleVersions)).slice(0, VERSION_HEX);
  }
}

function referencedValueSets(texts: string[], index: ContentIndex): string[] {
  const ids = texts.flatMap((t) => [...t.matchAll(/inValueSet\(\s*'([^']*)'\s*\)/g)].map((m) => m[1]!));
  return ids.flatMap((id) => index.paths.valueset.get(id) ?? []);
}

function referencedDataTables(texts: string[], index: ContentIndex): string[] {
  const called = texts.flatMap((t) => [...t.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)].map((m) => m[1]!));
  const tables = called.flatMap((name) => (Object.hasOwn(FUNCTION_DATA_TABLES, name) ? FUNCTION_DATA_TABLES[name]! : []));
  return tables.flatMap((name) => index.paths.data.get(name) ?? []);
}
