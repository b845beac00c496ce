/** The real Node process, as `npm start` runs it: a port, a SQLite file, signals. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkContent } from '../../src/authoring/check.ts';
import { jsonPort, runToEnd, type Started, startProcess } from '../support/processes.ts';
import { warfarinIbuprofenRequest } from '../support/requests.ts';

let dir: string;
let server: Started;
let base: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cds-e2e-'));
  server = await startProcess('src/node/main.ts', { PORT: '0', HOST: '127.0.0.1', CDS_DB_PATH: join(dir, 'db', 'cds.sqlite') }, jsonPort('port'));
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('serves discovery, a hook call and feedback over HTTP, and shuts down cleanly on SIGTERM with every row on disk', async () => {
    const discovery = await fetch(`${base}/cds-services`);
    expect(discovery.status).toBe(200);
    const shipped = (await checkContent('.')).ruleSet!.counts.services;
    expect(((await discovery.json()) as { services: unknown[] }).services).toHaveLength(shipped);

    const call = await fetch(`${base}/cds-services/drug-interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://sandbox.cds-hooks.org' },
      body: JSON.stringify(warfarinIbuprofenRequest()),
    });
    expect(call.status).toBe(200);
    expect(call.headers.get('access-control-allow-origin')).toBe('*');
    const { cards } = (await call.json()) as { cards: { uuid: string; summary: string }[] };
    expect(cards.map((c) => c.summary)).toEqual(['Bleeding risk: Ibuprofen 400 MG Oral Tablet with warfarin']);

    const feedback = await fetch(`${base}/cds-services/drug-interactions/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ feedback: [{ card: cards[0]!.uuid, outcome: 'overridden', outcomeTimestamp: '2026-11-26T10:00:00Z' }] }),
    });
    expect(feedback.status).toBe(200);

    expect(await server.stop('SIGTERM')).toBe(0);
    const db = new Database(join(dir, 'db', 'cds.sqlite'), { readonly: true });
    expect(db.prepare('select status, rules_fired from invocations').all()).toEqual([{ status: 200, rules_fired: '["warfarin-nsaid"]' }]);
    expect(db.prepare('select rule_id, outcome from feedback').all()).toEqual([{ rule_id: 'warfarin-nsaid', outcome: 'overridden' }]);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();

    const logs = server.output.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    // Open development mode says so, loudly, at start.
    expect(logs.find((l) => l.level === 'warn' && String(l.msg).startsWith('AUTHENTICATION IS OFF'))).toBeDefined();
    expect(logs.find((l) => l.msg === 'hook call')).toMatchObject({ service: 'drug-interactions', status: 200, fired: 1 });
    // The request carried a patient name and birth date; neither may reach the log.
    expect(server.output.join('\n')).not.toMatch(/Zyxwvut|Qorinna|1950-03-04/);
  });
});

describe('start-up refuses bad content and settings', () => {
  it('a broken rule file stops start-up with path:line:col and exit code 1', async () => {
    const content = mkdtempSync(join(tmpdir(), 'cds-content-'));
    mkdirSync(join(content, 'rules', 'demo'), { recursive: true });
    mkdirSync(join(content, 'cards'));
    writeFileSync(join(content, 'rules', 'demo', 'service.yaml'), 'hook: patient-view\ntitle: Demo\ndescription: Demo\n');
    writeFileSync(
      join(content, 'rules', 'demo', 'broken.yaml'),
      'id: broken\ntitle: Broken\nreferences: [{ label: x, url: "https://example.org" }]\nwhen: "%patient.exists("\ncard: nope\n',
    );
    const { code, stderr } = await runToEnd(['--import', 'tsx', 'src/node/main.ts'], { PORT: '0', CDS_CONTENT_DIR: content, CDS_DB_PATH: join(content, 'x.sqlite') });
    expect(code).toBe(1);
    // An expression that does not parse has no parse tree to analyse: its syntax error is its one problem.
    expect(stderr).toMatch(/rules\/demo\/broken\.yaml:4:\d+: FHIRPath syntax error/);
    expect(stderr).not.toMatch(/%patient is not a define/);
    expect(stderr).toMatch(/rules\/demo\/broken\.yaml:5:7: card template 'nope' does not exist in cards\//);
    rmSync(content, { recursive: true, force: true });
  });

  it('NODE_ENV=production without trusted clients refuses to start open', async () => {
    const { code, stderr } = await runToEnd(['--import', 'tsx', 'src/node/main.ts'], { PORT: '0', NODE_ENV: 'production', CDS_TRUSTED_CLIENTS: '' });
    expect(code).toBe(1);
    expect(stderr).toContain('CDS_TRUSTED_CLIENTS is empty and NODE_ENV=production: refusing to serve without authentication');
  });

  it('a content folder with no rules/ or cards/ stops start-up instead of serving nothing', async () => {
    const { code, stderr } = await runToEnd(['--import', 'tsx', 'src/node/main.ts'], { PORT: '0', CDS_CONTENT_DIR: '/no/such/folder' });
    expect(code).toBe(1);
    expect(stderr).toContain('no rules/ or cards/ folder here: is CDS_CONTENT_DIR right?');
  });

  it('a malformed setting stops start-up naming the variable', async () => {
    const { code, stderr } = await runToEnd(['--import', 'tsx', 'src/node/main.ts'], { PORT: 'eighty' });
    expect(code).toBe(1);
    expect(stderr).toContain('PORT="eighty": expected a whole number from 0 to 65535');
  });
});
