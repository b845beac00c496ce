/**
 * The CDS Hooks Sandbox (github cds-hooks/sandbox, Apache-2.0), built from a source archive the
 * caller names, outside the repository: its source never enters our tree. The build is cached in
 * `$CDS_HOOKS_SANDBOX_CACHE` (default `~/.cache/cds-hooks-sandbox`) under the archive's sha256,
 * so a second run (or a second test file) reuses it; a build that fails leaves nothing behind.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const TARBALL_VARIABLE = 'CDS_HOOKS_SANDBOX_TARBALL';

/** Where the built site is (index.html, app.bundle.js, .well-known/jwks.json). */
export async function sandboxBuild(tarball: string, log: (line: string) => void = () => {}): Promise<string> {
  const sha = createHash('sha256').update(readFileSync(tarball)).digest('hex');
  const root = join(process.env.CDS_HOOKS_SANDBOX_CACHE ?? join(homedir(), '.cache', 'cds-hooks-sandbox'), sha);
  const build = join(root, 'build');
  if (existsSync(join(build, 'index.html'))) return build;

  const work = join(root, `work-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const started = Date.now();
    await run('tar', ['-xzf', tarball, '-C', work]);
    // The archive's .npmrc sets legacy-peer-deps; its lockfile pins everything.
    const npm = { cwd: work, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } };
    await run('npm', ['ci', '--no-audit', '--no-fund'], npm);
    await run('npm', ['run', 'build'], npm);
    if (!existsSync(join(work, 'build', 'index.html'))) throw new Error(`the sandbox build wrote no build/index.html in ${work}`);
    // One rename makes the build visible whole: a concurrent run sees all of it or none.
    rmSync(build, { recursive: true, force: true });
    renameSync(join(work, 'build'), build);
    log(`built the CDS Hooks Sandbox ${sha.slice(0, 12)} in ${Math.round((Date.now() - started) / 1000)} s into ${build}`);
  } finally {
    // Its node_modules are ~600 MB: only the built site is kept.
    rmSync(work, { recursive: true, force: true });
  }
  return build;
}
