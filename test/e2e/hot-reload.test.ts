/** Hot reload under a running server: real files, a real process, real HTTP. */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkContent } from '../../src/authoring/check.ts';
import { jsonPort, type Started, startProcess } from '../support/processes.ts';
import { bundle, medicationRequest } from '../support/requests.ts';

let dir: string;
let server: Started;
let base: string;
/** Every shipped service (derived from the content, not hard-coded), compiled before the server starts. */
let shipped: string[];

beforeAll(async () => {
  shipped = [...(await checkContent('.')).ruleSet!.services.keys()].sort();
  dir = mkdtempSync(join(tmpdir(), 'cds-reload-'));
  cpSync('rules', join(dir, 'rules'), { recursive: true });
  cpSync('cards', join(dir, 'cards'), { recursive: true });
  server = await startProcess(
    'src/node/main.ts',
    { PORT: '0', HOST: '127.0.0.1', CDS_CONTENT_DIR: dir, CDS_DB_PATH: join(dir, 'cds.sqlite') },
    jsonPort('port'),
  );
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Two NSAIDs ordered together: the duplicate-nsaid card. */
async function duplicateSummary(): Promise<string | undefined> {
  const res = await fetch(`${base}/cds-services/drug-interactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      hook: 'order-sign',
      hookInstance: crypto.randomUUID(),
      context: {
        userId: 'Practitioner/u',
        patientId: 'p1',
        draftOrders: bundle('collection', [
          medicationRequest('d1', '197805', 'Ibuprofen 400 MG Oral Tablet'),
          medicationRequest('d2', '198014', 'Naproxen 500 MG Oral Tablet'),
        ]),
      },
      prefetch: { patient: { resourceType: 'Patient', id: 'p1', birthDate: '1960-01-01' }, activeMeds: bundle('searchset', []), potassium: bundle('searchset', []) },
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { cards: { summary: string }[] }).cards[0]?.summary;
}

const serviceIds = async () => ((await (await fetch(`${base}/cds-services`)).json()) as { services: { id: string }[] }).services.map((s) => s.id).sort();
const health = async () => (await (await fetch(`${base}/health`)).json()) as { reload: { status: string; problems: string[] }; content: { services: number } };

/** Polls until `check` passes; returns how long it took. */
// A reload compiles the whole content (about 0.8 s of CPU, several seconds on a loaded machine):
// the limits are patience for "eventually", the bug they catch is "never".
vi.setConfig({ testTimeout: 120_000 });

async function eventually(check: () => Promise<boolean>, limitMs = 30_000): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < limitMs) {
    if (await check()) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`not within ${limitMs} ms`);
}

describe('hot reload', () => {
  const cardPath = () => join(dir, 'cards', 'duplicate-nsaid.yaml');

  it('a good edit goes live', async () => {
    expect(await duplicateSummary()).toBe('Duplicate NSAID: Ibuprofen 400 MG Oral Tablet with Naproxen 500 MG Oral Tablet');
    writeFileSync(cardPath(), readFileSync(cardPath(), 'utf8').replace('summary: "Duplicate NSAID:', 'summary: "Two NSAIDs:'));
    const ms = await eventually(async () => (await duplicateSummary())?.startsWith('Two NSAIDs:') ?? false);
    console.log(`good edit live after ${ms.toFixed(0)} ms`);
    expect((await health()).reload.status).toBe('ok');
  });

  it('a new service folder appears in discovery, and goes when deleted', async () => {
    mkdirSync(join(dir, 'rules', 'hello'));
    writeFileSync(join(dir, 'rules', 'hello', 'service.yaml'), 'hook: patient-view\ntitle: Hello\ndescription: A new service\n');
    await eventually(async () => (await serviceIds()).includes('hello'));
    rmSync(join(dir, 'rules', 'hello'), { recursive: true });
    await eventually(async () => !(await serviceIds()).includes('hello'));
  });

  it('a broken edit is rejected, the last good set keeps answering, and the errors show on /health', async () => {
    const rule = join(dir, 'rules', 'drug-interactions', 'duplicate-nsaid.yaml');
    const good = readFileSync(rule, 'utf8');
    writeFileSync(rule, good.replace('"%nsaidDrafts.exists()"', '"%nsaidDraft.exists()"'));
    await eventually(async () => (await health()).reload.status === 'error');
    // Stale content is something a monitor must see: 503 and status "degraded".
    const degraded = await fetch(`${base}/health`);
    expect(degraded.status).toBe(503);
    expect(((await degraded.json()) as { status: string }).status).toBe('degraded');
    expect((await health()).reload.problems).toEqual([
      expect.stringMatching(/duplicate-nsaid\.yaml:\d+:\d+: %nsaidDraft is not a define, prefetch key or context variable here \(did you mean 'nsaidDrafts'\?\)$/),
    ]);
    expect(await duplicateSummary()).toMatch(/^Two NSAIDs:/);
    // The last good set: every shipped service (derived from the content, not hard-coded).
    expect((await serviceIds()).slice().sort()).toEqual(shipped);

    writeFileSync(rule, good);
    await eventually(async () => (await health()).reload.status === 'ok');
    const healthy = await fetch(`${base}/health`);
    expect(healthy.status).toBe(200);
    expect(((await healthy.json()) as { status: string }).status).toBe('ok');
    expect(await duplicateSummary()).toMatch(/^Two NSAIDs:/);
  });

  it('logs the rejection without stopping', () => {
    const rejected = server.output.filter((l) => l.includes('content reload rejected'));
    expect(rejected.length).toBeGreaterThan(0);
  });
});

/**
 * Each way a tool saves a file: the fix of a rejected edit must go live. `fs.watch` (recursive)
 * lost a file once a tool had replaced it (rename-over, as vim, `sed -i` and git do), and the
 * old error stayed on /health until another file changed.
 */
describe('hot reload sees every way of saving a fix', () => {
  const relative = 'rules/drug-interactions/duplicate-nsaid.yaml';
  const rule = () => join(dir, relative);
  let good: string;
  const broken = () => good.replace('"%nsaidDrafts.exists()"', '"%nsaidDraft.exists()"');
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', ...args], { cwd: dir, stdio: 'pipe' });

  beforeAll(() => {
    good = readFileSync(rule(), 'utf8');
    git('init', '-q');
    git('add', 'rules', 'cards');
    git('commit', '-q', '-m', 'content');
  });

  const fixes: [string, () => void][] = [
    ['an in-place write', () => writeFileSync(rule(), good)],
    ['a rename over the file (vim, sed -i)', () => {
      writeFileSync(`${rule()}.tmp`, good);
      renameSync(`${rule()}.tmp`, rule());
    }],
    ['sed -i', () => execFileSync('sed', ['-i', 's/%nsaidDraft\\.exists()/%nsaidDrafts.exists()/', rule()])],
    ['cp over the file', () => {
      writeFileSync(join(dir, 'good-copy.yaml'), good);
      execFileSync('cp', [join(dir, 'good-copy.yaml'), rule()]);
    }],
    ['git checkout', () => git('checkout', '--', relative)],
  ];

  // Twice round: a way of saving that works once and loses the file after shows in the second round.
  for (const round of [1, 2]) {
    for (const [how, fix] of fixes) {
      it(`round ${round}: a fix saved by ${how} goes live`, async () => {
        writeFileSync(rule(), broken());
        await eventually(async () => (await health()).reload.status === 'error');
        fix();
        expect(readFileSync(rule(), 'utf8')).toBe(good);
        const ms = await eventually(async () => (await health()).reload.status === 'ok');
        console.log(`fix by ${how} live after ${ms.toFixed(0)} ms`);
      });
    }
  }
});
