/**
 * Who may read the SQLite files: only the service's own user. They hold patient ids, user ids
 * and override comments (issue 13, finding 2). A new folder is created 0700 and a new database
 * 0600 before SQLite opens it; SQLite gives its -wal and -shm files the database file's mode,
 * and they are tightened again after opening in case they were left by another process. An
 * existing file that is wider is left as it is (the operator may share it on purpose, e.g. with
 * a backup user) but reported at start.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export type PermissionWarning = (message: string, fields: { file: string; mode: string }) => void;

const SIDE_FILES = ['-wal', '-shm', '-journal'];

/** Before opening: the folder and an empty 0600 database file, or a warning about an existing one. */
export function prepareDatabaseFiles(path: string, warn: PermissionWarning): void {
  const dir = dirname(path);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700); // the umask may have narrowed it further, never widened: make it exact
  }
  if (!existsSync(path)) {
    closeSync(openSync(path, 'wx', 0o600));
    chmodSync(path, 0o600);
  }
  for (const file of [path, ...SIDE_FILES.map((s) => `${path}${s}`)]) warnIfWide(file, warn);
}

/** After opening: -wal and -shm, now created, are 0600 when the database is. */
export function tightenSideFiles(path: string): void {
  if ((statSync(path).mode & 0o077) !== 0) return;
  for (const file of SIDE_FILES.map((s) => `${path}${s}`)) {
    if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
}

function warnIfWide(file: string, warn: PermissionWarning): void {
  if (!existsSync(file)) return;
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) warn('database file is readable or writable by other users; chmod 600 it', { file, mode: mode.toString(8) });
}
