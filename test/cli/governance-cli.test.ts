/** `cds-rules check --strict`, `replay` and `stats` as an operator runs them, over a SQLite file the real app wrote. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createLogger } from '../../src/log/logger.ts';
import { openSqliteStore } from '../../src/node/sqlite.ts';
import type { SourceFile } from '../../src/rules/source.ts';
import { compileInline } from '../support/app.ts';
import { demoRequest, governanceContent } from '../support/governance-content.ts';
import { runToEnd } from '../support/processes.ts';

const cli = (...args: string[]) => runToEnd(['bin/cds-rules.mjs', ...args], { NO_COLOR: '1' });
const root = mkdtempSync(join(tmpdir(), 'cds-gov-cli-'));
const dbPath = join(root, 'cds.sqlite');

function writeContent(dir: string, files: SourceFile[]): string {
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.text);
  }
  return dir;
}

beforeAll(async () => {
  const database = openSqliteStore(dbPath);
  const app = createApp({ ruleSet: () => compileInline(governanceContent()), store: database.store, config: { storePayloads: true }, log: createLogger({ level: 'error' }) });
  for (const id of ['a', 'b', 'c']) {
    const res = await app.request('/cds-services/demo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(demoRequest(id)) });
    expect(res.status).toBe(200);
  }
  database.close();
  writeContent(join(root, 'v1'), governanceContent());
  writeContent(
    join(root, 'v2'),
    governanceContent().map((f) => (f.path === 'cards/shown.yaml' ? { ...f, text: f.text.replace('summary: "shown for {{who}}"', 'summary: "Seen by {{who}}"') } : f)),
  );
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('cds-rules check --strict', () => {
  it('refuses the active rule without approval, passes without --strict', async () => {
    expect((await cli('check', join(root, 'v1'))).code).toBe(0);
    const strict = await cli('check', join(root, 'v1'), '--strict');
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain("rules/demo/half.yaml:1:1: rule 'half' is active without approval");
    expect(strict.stdout).not.toContain('shown.yaml');
    expect(strict.stdout).not.toContain('quiet.yaml');
  });
});

describe('cds-rules replay', () => {
  it('reports the changed cards of the edited content, with the diff', async () => {
    const { code, stdout } = await cli('replay', '--since', '1d', '--content', join(root, 'v2'), '--db', dbPath);
    expect(code).toBe(0);
    expect(stdout).toMatch(/3 replayed, 0 without stored payload/);
    expect(stdout).toMatch(/demo\/shown\s+3\s+3\s+3\s+0\s+0\s+3/);
    expect(stdout).toMatch(/demo\/quiet\s+3\s+3\s+3\s+0\s+0\s+0/);
    expect(stdout).toContain('-  "summary": "shown for a",');
    expect(stdout).toContain('+  "summary": "Seen by a",');
  });

  it('is a usage error without a database, or with a bad period', async () => {
    const missing = await cli('replay', '--db', join(root, 'nope.sqlite'), '--content', join(root, 'v1'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no database at ${join(root, 'nope.sqlite')}`);
    const period = await cli('replay', '--since', 'a week', '--db', dbPath, '--content', join(root, 'v1'));
    expect(period.code).toBe(2);
    expect(period.stderr).toContain('--since="a week": expected a period such as 7d, 12h or 90m');
  });
});

describe('cds-rules stats', () => {
  it('prints per-rule figures and the alarm test', async () => {
    const { code, stdout } = await cli('stats', '--since', '1d', '--db', dbPath);
    expect(code).toBe(0);
    expect(stdout).toMatch(/demo\/shown\s+3\s+3\s+1000\s+0\s/);
    expect(stdout).toMatch(/demo\/quiet\s+3\s+0\s+0\s+3\s/);
    expect(stdout).toContain('firing-rate alarms');
    const json = JSON.parse((await cli('stats', '--since', '1d', '--db', dbPath, '--json')).stdout) as { rules: { ruleId: string; silentWouldFire: number }[] };
    expect(json.rules.find((r) => r.ruleId === 'quiet')!.silentWouldFire).toBe(3);
  });
});
