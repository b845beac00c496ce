/** Hot reload under a running server: real files, a real process, real HTTP. */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonPort, type Started, startProcess } from '../support/processes.ts';
import { bundle, medicationRequest } from '../support/requests.ts';

let dir: string;
let server: Started;
let base: string;

beforeAll(async () => {
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
      prefetch: { patient: { resourceType: 'Patient', id: 'p1', birthDate: '1960-01-01' }, activeMeds: bundle('searchset', []) },
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { cards: { summary: string }[] }).cards[0]?.summary;
}

const serviceIds = async () => ((await (await fetch(`${base}/cds-services`)).json()) as { services: { id: string }[] }).services.map((s) => s.id).sort();
const health = async () => (await (await fetch(`${base}/health`)).json()) as { reload: { status: string; problems: string[] }; content: { services: number } };

/** Polls until `check` passes; returns how long it took. */
async function eventually(check: () => Promise<boolean>, limitMs = 5000): Promise<number> {
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
    const servedBefore = await serviceIds();
    writeFileSync(rule, good.replace('"%nsaidDrafts.exists()"', '"%nsaidDraft.exists()"'));
    await eventually(async () => (await health()).reload.status === 'error');
    expect((await health()).reload.problems).toEqual([
      expect.stringMatching(/duplicate-nsaid\.yaml:\d+:\d+: %nsaidDraft is not a define, prefetch key or context variable here \(did you mean 'nsaidDrafts'\?\)$/),
    ]);
    expect(await duplicateSummary()).toMatch(/^Two NSAIDs:/);
    expect(servedBefore).toEqual(expect.arrayContaining(['allergy-check', 'drug-interactions', 'preventive-care', 'renal-dosing']));
    expect(await serviceIds()).toEqual(servedBefore);

    writeFileSync(rule, good);
    await eventually(async () => (await health()).reload.status === 'ok');
    expect(await duplicateSummary()).toMatch(/^Two NSAIDs:/);
  });

  it('logs the rejection without stopping', () => {
    const rejected = server.output.filter((l) => l.includes('content reload rejected'));
    expect(rejected.length).toBeGreaterThan(0);
  });
});
