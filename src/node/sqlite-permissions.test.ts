/**
 * The database holds patient ids, user ids and override comments: only the service's user may
 * read it (issue 13, finding 2). A real SQLite file in WAL mode, so -wal and -shm exist.
 */
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from './sqlite.ts';

const mode = (path: string) => statSync(path).mode & 0o777;
let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'cds-perm-'));
  dirs.push(dir);
  return dir;
};

describe('database file permissions', () => {
  it('a new database: folder 0700, the file, -wal and -shm 0600', async () => {
    const path = join(scratch(), 'data', 'nested', 'cds.sqlite');
    const warnings: string[] = [];
    const db = openSqliteStore(path, { warn: (message) => warnings.push(message) });
    await db.store.purgeExpiredJtis(Date.now()); // a write, so the WAL is in use
    try {
      expect(mode(join(path, '..'))).toBe(0o700);
      for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(mode(file), file).toBe(0o600);
      expect(warnings).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('an existing file readable by others: a warning at start naming the file and its mode', () => {
    const path = join(scratch(), 'cds.sqlite');
    openSqliteStore(path).close();
    chmodSync(path, 0o644);
    const warnings: { message: string; fields: { file: string; mode: string } }[] = [];
    const db = openSqliteStore(path, { warn: (message, fields) => warnings.push({ message, fields }) });
    db.close();
    expect(warnings).toEqual([
      { message: 'database file is readable or writable by other users; chmod 600 it', fields: { file: path, mode: '644' } },
    ]);
  });
});
